#include <doctest/doctest.h>

#include "reference/elementwise_reference.hpp"
#include "support/check.hpp"
#include "support/execution.hpp"
#include "tinycnn/kernels/elementwise.hpp"

using namespace tinycnn;

namespace {
}  // namespace

TEST_CASE_TEMPLATE("elementwise kernels match the reference", T, float, double) {
  Rng rng(3);
  std::vector<index_t> sizes = test::simd_sizes<T>();
  sizes.insert(sizes.end(), {0, 64, 99, 70003});
  for (int i = 0; i < 8; ++i) sizes.push_back(1 + index_t(rng.below(300)));
  for (index_t n : sizes) {
    CAPTURE(n);
    auto a = test::random_vector<T>(n, rng);
    auto b = test::random_vector<T>(n, rng);
    std::vector<T> y(a.size());

    kernels::add(a.data(), b.data(), y.data(), n, test::exec());
    auto want = reference::add(a.data(), b.data(), n);
    // One rounding (axpy: one fused rounding): measured worst 3.0e-8 (axpy 3.9e-8) in float, 0 in
    // double, both widths.
    const double one_rounding = test::by_type<T>(1.2e-7, 2.3e-16);
    test::check_close(y, want, one_rounding, "add");

    std::vector<T> acc = a;  // the accumulate form, and add with y aliasing a
    kernels::add_inplace(acc.data(), b.data(), n, test::exec());
    test::check_close(acc, want, one_rounding, "add_inplace");

    const T alpha = T(rng.uniform(-2, 2));
    std::vector<T> z = b;
    kernels::axpy(alpha, a.data(), z.data(), n, test::exec());
    test::check_close(z, reference::axpy(double(alpha), a.data(), b.data(), n), 2 * one_rounding, "axpy");

    z = a;
    kernels::scale(z.data(), alpha, n, test::exec());
    test::check_close(z, reference::scale(a.data(), double(alpha), n), one_rounding, "scale");

    kernels::copy(a.data(), y.data(), n, test::exec());
    CHECK(y == a);
    kernels::copy(y.data(), y.data(), n, test::exec());
    CHECK(y == a);

    kernels::fill(y.data(), T(2.5), n, test::exec());
    CHECK(std::all_of(y.begin(), y.end(), [](T v) { return v == T(2.5); }));
  }
}

TEST_CASE("the gradient of a sum reaches both addends unchanged (finite differences)") {
  Rng rng(8);
  const index_t n = 11;
  auto a = test::random_vector<double>(n, rng);
  auto b = test::random_vector<double>(n, rng);
  auto g = test::random_vector<double>(n, rng);
  std::vector<double> y(a.size());
  auto loss = [&] {
    kernels::add(a.data(), b.data(), y.data(), n, test::exec());
    double s = 0;
    for (index_t i = 0; i < n; ++i) s += g[std::size_t(i)] * y[std::size_t(i)];
    return s;
  };
  // Finite differences: measured worst 8.8e-11 (AVX-512), 2.1e-10 (AVX2).
  test::check_close(test::numeric_gradient(loss, a.data(), n), g, 1e-9, "da");
  test::check_close(test::numeric_gradient(loss, b.data(), n), g, 1e-9, "db");
}
