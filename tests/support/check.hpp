// Helpers shared by the tests: random data, comparisons with a tolerance that scales with the
// magnitude, and a central finite-difference gradient in double precision.
#pragma once
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <source_location>
#include <string>
#include <type_traits>
#include <vector>

#include "tinycnn/core/random.hpp"
#include "tinycnn/core/shape.hpp"
#include "tinycnn/simd/simd.hpp"

namespace tinycnn::test {

// A tolerance for each element type. Every tolerance in the suite is a small multiple (about 4 to
// 10) of the worst error measured on both vector widths, written beside it: measure with
// TINYCNN_TEST_MARGINS=1 (see report_margin below) when a kernel changes.
template <class T>
constexpr double by_type(double for_float, double for_double) {
  return std::is_same_v<T, float> ? for_float : for_double;
}

// Sizes (channels, classes, lengths) that reach every SIMD path of this build for T: the
// kernels run whole vectors, then a scalar tail. Under one vector (the tail alone), exactly one,
// one and a tail, two and a half vectors and a tail. They follow the build's vector width, so an
// AVX-512 build (16 floats) is tested on its own widths, not on AVX2's.
template <class T>
std::vector<index_t> simd_sizes() {
  constexpr index_t W = simd::width<T>;
  return {1, W - 1, W, W + 1, 2 * W + W / 2 + 1};
}

// One size for a test that can afford only one: a full vector and a tail of more than one.
template <class T>
constexpr index_t simd_mixed_size() {
  return simd::width<T> + simd::width<T> / 2 + 1;
}

// With TINYCNN_TEST_MARGINS set, every comparison prints its worst error as a fraction of its
// tolerance, with its place in the source: what a developer needs to set a tolerance at a small
// multiple of the error actually measured (and to see one that can hardly fail).
inline void report_margin(double worst, double tol, const std::string& what, const std::source_location& where) {
  static const bool on = std::getenv("TINYCNN_TEST_MARGINS") != nullptr;
  if (on)
    std::printf("margin %s:%u worst %.3g tol %.3g ratio %.3g [%s]\n", where.file_name(), unsigned(where.line()),
                worst, tol, tol > 0 ? worst / tol : (worst > 0 ? 1e300 : 0.0), what.c_str());
}

template <class T>
void fill_uniform(T* p, index_t n, Rng& rng, double lo = -1.0, double hi = 1.0) {
  for (index_t i = 0; i < n; ++i) p[i] = static_cast<T>(rng.uniform(lo, hi));
}

template <class T>
std::vector<T> random_vector(index_t n, Rng& rng, double lo = -1.0, double hi = 1.0) {
  std::vector<T> v(static_cast<std::size_t>(n));
  fill_uniform(v.data(), n, rng, lo, hi);
  return v;
}

// The comparison behind check_close, apart so that it can be tested itself: the worst
// |a_i - b_i| / (1 + |b_i|) over the finite pairs, and the non-finite ones counted apart. A NaN
// has no error to rank, so it must never be outranked by a later finite element.
struct Closeness {
  double worst = 0.0;           // over the pairs where both values are finite
  index_t at = -1;              // where the worst is, -1 if there is no finite pair
  index_t non_finite = 0;       // pairs where either value is NaN or Inf
  index_t first_non_finite = -1;
  bool within(double tol) const { return non_finite == 0 && worst <= tol; }
};

template <class A, class B>
Closeness closeness(const A* got, const B* want, index_t n) {
  Closeness c;
  for (index_t i = 0; i < n; ++i) {
    double g = static_cast<double>(got[i]), w = static_cast<double>(want[i]);
    if (!std::isfinite(g) || !std::isfinite(w)) {
      if (c.first_non_finite < 0) c.first_non_finite = i;
      ++c.non_finite;
      continue;
    }
    double e = std::abs(g - w) / (1.0 + std::abs(w));
    if (c.at < 0 || e > c.worst) {
      c.worst = e;
      c.at = i;
    }
  }
  return c;
}

// Fails on any NaN or Inf in either array (naming the first) and when the worst relative error
// exceeds tol (naming where).
template <class A, class B>
void check_close(const A* got, const B* want, index_t n, double tol, const std::string& what = "",
                 const std::source_location where = std::source_location::current()) {
  const Closeness c = closeness(got, want, n);
  report_margin(c.worst, tol, what, where);
  if (c.non_finite > 0) {
    const index_t i = c.first_non_finite;
    FAIL_CHECK(what << ": " << c.non_finite << " non-finite value(s), the first at index " << i << ": got "
                    << static_cast<double>(got[i]) << ", want " << static_cast<double>(want[i]));
  }
  INFO(what << ": worst relative error " << c.worst << " at index " << c.at);
  if (c.at >= 0) INFO("got " << static_cast<double>(got[c.at]) << ", want " << static_cast<double>(want[c.at]));
  CHECK(c.worst <= tol);
}

template <class A, class B>
void check_close(const std::vector<A>& got, const std::vector<B>& want, double tol, const std::string& what = "",
                 const std::source_location where = std::source_location::current()) {
  REQUIRE(got.size() == want.size());
  check_close(got.data(), want.data(), static_cast<index_t>(got.size()), tol, what, where);
}

// d f / d x_i by central differences, for every i. f reads x (which this function perturbs and
// restores).
inline std::vector<double> numeric_gradient(const std::function<double()>& f, double* x, index_t n,
                                            double h = 1e-6) {
  std::vector<double> g(static_cast<std::size_t>(n));
  for (index_t i = 0; i < n; ++i) {
    double keep = x[i];
    x[i] = keep + h;
    double up = f();
    x[i] = keep - h;
    double down = f();
    x[i] = keep;
    g[static_cast<std::size_t>(i)] = (up - down) / (2.0 * h);
  }
  return g;
}

}  // namespace tinycnn::test
