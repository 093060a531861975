#include <doctest/doctest.h>

#include "reference/activation_reference.hpp"
#include "support/check.hpp"
#include "support/execution.hpp"
#include "tinycnn/kernels/activation.hpp"

using namespace tinycnn;

namespace {


// Values kept away from the kink at 0, so a finite difference never straddles it.
std::vector<double> away_from_zero(index_t n, Rng& rng) {
  std::vector<double> v(static_cast<std::size_t>(n));
  for (double& x : v) x = (rng.uniform() < 0.5 ? -1.0 : 1.0) * rng.uniform(0.01, 1.0);
  return v;
}

}  // namespace

TEST_CASE_TEMPLATE("relu forward and backward match the reference", T, float, double) {
  Rng rng(11);
  // Sizes below, at and past this build's SIMD width, and one past the threading threshold.
  std::vector<index_t> sizes = test::simd_sizes<T>();
  sizes.insert(sizes.end(), {3, 31, 100, 257, 70001});
  for (int i = 0; i < 10; ++i) sizes.push_back(1 + index_t(rng.below(500)));
  for (index_t n : sizes) {
    CAPTURE(n);
    auto x = test::random_vector<T>(n, rng);
    auto dy = test::random_vector<T>(n, rng);
    x[0] = T(0);  // exactly zero: no gradient, output 0
    std::vector<T> y(x.size()), dx(x.size());
    kernels::relu_forward(x.data(), y.data(), n, test::exec());
    // max and select are exact: measured worst 0 (AVX-512 and AVX2).
    test::check_close(y, reference::relu(x.data(), n), 0.0, "relu forward");
    kernels::relu_backward(y.data(), dy.data(), dx.data(), n, test::exec());
    test::check_close(dx, reference::relu_backward(y.data(), dy.data(), n), 0.0, "relu backward");
    CHECK(dx[0] == T(0));

    // In place, both directions.
    std::vector<T> inplace = x;
    kernels::relu_forward(inplace.data(), inplace.data(), n, test::exec());
    CHECK(inplace == y);
    std::vector<T> g = dy;
    kernels::relu_backward(y.data(), g.data(), g.data(), n, test::exec());
    CHECK(g == dx);
  }
}

TEST_CASE("relu maps NaN to 0 in the SIMD body and in the tail alike") {
  std::vector<float> x(11, std::nanf("")), y(11, 1.f);
  kernels::relu_forward(x.data(), y.data(), 11, test::exec());
  for (float v : y) CHECK(v == 0.f);
}

TEST_CASE("relu backward matches finite differences") {
  Rng rng(5);
  const index_t n = 23;
  auto x = away_from_zero(n, rng);
  auto g = test::random_vector<double>(n, rng);
  std::vector<double> y(x.size()), dx(x.size());
  auto loss = [&] {
    kernels::relu_forward(x.data(), y.data(), n, test::exec());
    double s = 0;
    for (index_t i = 0; i < n; ++i) s += g[std::size_t(i)] * y[std::size_t(i)];
    return s;
  };
  auto numeric = test::numeric_gradient(loss, x.data(), n);
  loss();
  kernels::relu_backward(y.data(), g.data(), dx.data(), n, test::exec());
  test::check_close(dx, numeric, 5e-10, "relu dx");  // measured worst 2.5e-11 (AVX-512), 6.7e-11 (AVX2)
}
