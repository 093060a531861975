// Helpers shared by the tests: random data, comparisons with a tolerance that scales with the
// magnitude, and a central finite-difference gradient in double precision.
#pragma once
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <string>
#include <type_traits>
#include <vector>

#include "tinycnn/core/random.hpp"
#include "tinycnn/core/shape.hpp"

namespace tinycnn::test {

// The kernels' default tolerance against the double reference, for values of order one.
template <class T>
constexpr double tol() {
  return std::is_same_v<T, float> ? 1e-5 : 1e-12;
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

// max_i |a_i - b_i| / (1 + |b_i|) must stay below tol; reports the worst index on failure.
template <class A, class B>
void check_close(const A* got, const B* want, index_t n, double tol, const std::string& what = "") {
  double worst = 0.0;
  index_t at = -1;
  for (index_t i = 0; i < n; ++i) {
    double g = static_cast<double>(got[i]), w = static_cast<double>(want[i]);
    double e = std::abs(g - w) / (1.0 + std::abs(w));
    if (!(e <= worst)) {  // also catches NaN
      worst = e;
      at = i;
    }
  }
  INFO(what << ": worst relative error " << worst << " at index " << at);
  if (at >= 0) INFO("got " << static_cast<double>(got[at]) << ", want " << static_cast<double>(want[at]));
  CHECK(worst <= tol);
}

template <class A, class B>
void check_close(const std::vector<A>& got, const std::vector<B>& want, double tol,
                 const std::string& what = "") {
  REQUIRE(got.size() == want.size());
  check_close(got.data(), want.data(), static_cast<index_t>(got.size()), tol, what);
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
