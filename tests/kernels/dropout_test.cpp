#include <doctest/doctest.h>

#include "reference/dropout_reference.hpp"
#include "support/check.hpp"
#include "tinycnn/kernels/dropout.hpp"

using namespace tinycnn;

namespace {
}  // namespace

TEST_CASE_TEMPLATE("dropout matches the reference for its own mask", T, float, double) {
  Rng data(1);
  for (double keep : {0.1, 0.5, 0.8, 1.0}) {
    std::vector<index_t> sizes = test::simd_sizes<T>();
    sizes.push_back(1000);
    for (index_t n : sizes) {
      CAPTURE(keep); CAPTURE(n);
      auto x = test::random_vector<T>(n, data);
      auto dy = test::random_vector<T>(n, data);
      std::vector<T> y(x.size()), dx(x.size());
      std::vector<std::uint8_t> mask(x.size(), 7);
      Rng rng(99);
      kernels::dropout_forward_training(x.data(), y.data(), mask.data(), n, keep, rng);
      for (auto m : mask) CHECK((m == 0 || m == 1));
      // x / keep, rounded twice: measured worst 5.2e-8 (float), 2.0e-16 (double).
      const double tol = test::by_type<T>(4.8e-7, 8.9e-16);
      test::check_close(y, reference::dropout_apply(x.data(), mask.data(), n, keep), tol, "y");
      kernels::dropout_backward(dy.data(), dx.data(), mask.data(), n, keep);
      test::check_close(dx, reference::dropout_apply(dy.data(), mask.data(), n, keep), tol, "dx");
      if (keep == 1.0) {
        CHECK(std::all_of(mask.begin(), mask.end(), [](std::uint8_t m) { return m == 1; }));
        CHECK(y == x);
      }
      std::vector<T> inplace = x;  // y may be x, with the same draws
      Rng again(99);
      std::vector<std::uint8_t> mask2(x.size());
      kernels::dropout_forward_training(inplace.data(), inplace.data(), mask2.data(), n, keep, again);
      CHECK(mask2 == mask);
      CHECK(inplace == y);
    }
  }
}

TEST_CASE("dropout keeps the requested fraction, and a seed fixes the mask") {
  const index_t n = 100000;
  std::vector<float> x(n, 1.f), y(n);
  std::vector<std::uint8_t> a(n), b(n);
  Rng r1(5), r2(5);
  kernels::dropout_forward_training(x.data(), y.data(), a.data(), n, 0.8, r1);
  kernels::dropout_forward_training(x.data(), y.data(), b.data(), n, 0.8, r2);
  CHECK(a == b);
  double kept = 0;
  for (auto m : a) kept += m;
  CHECK(std::abs(kept / n - 0.8) < 0.01);  // about 8 standard deviations
  double mean = 0;
  for (float v : y) mean += v;
  CHECK(std::abs(mean / n - 1.0) < 0.02);  // inverted dropout keeps the expectation
  kernels::dropout_forward_training(x.data(), y.data(), b.data(), n, 0.8, r2);
  CHECK(a != b);  // the generator moved on
}

TEST_CASE("neighbouring elements get independent mask bits") {
  // Each 64-bit draw feeds two elements: if both halves of it gave the same bit, pairs would be
  // kept together with probability keep instead of keep^2. Keep 0.5 over 100000 pairs: expected
  // 25000 pairs both kept, standard deviation 137; 5 deviations allowed.
  const index_t n = 200000;
  std::vector<float> x(n, 1.f), y(n);
  std::vector<std::uint8_t> mask(n);
  Rng rng(11);
  kernels::dropout_forward_training(x.data(), y.data(), mask.data(), n, 0.5, rng);
  for (index_t offset : {0, 1}) {  // pairs (2i, 2i + 1) and (2i + 1, 2i + 2)
    CAPTURE(offset);
    double both = 0, pairs = 0;
    for (index_t i = offset; i + 1 < n; i += 2, ++pairs) both += mask[std::size_t(i)] & mask[std::size_t(i + 1)];
    const double expected = 0.25 * pairs, sd = std::sqrt(pairs * 0.25 * 0.75);
    CHECK(std::abs(both - expected) < 5 * sd);
  }
}

TEST_CASE("dropout inference is the identity, and a bad keep probability is refused") {
  std::vector<double> x = {1, -2, 3}, y(3);
  kernels::dropout_forward_inference(x.data(), y.data(), 3);
  CHECK(y == x);
  std::vector<std::uint8_t> mask(3);
  Rng rng;
  CHECK_THROWS_AS(kernels::dropout_forward_training(x.data(), y.data(), mask.data(), 3, 0.0, rng), Error);
  CHECK_THROWS_AS(kernels::dropout_forward_training(x.data(), y.data(), mask.data(), 3, 1.5, rng), Error);
  CHECK_THROWS_AS(kernels::dropout_backward(x.data(), y.data(), mask.data(), 3, -0.5), Error);
}

TEST_CASE("dropout backward matches finite differences with the mask held fixed") {
  Rng data(12);
  const index_t n = 17;
  const double keep = 0.6;
  auto x = test::random_vector<double>(n, data);
  auto g = test::random_vector<double>(n, data);
  std::vector<double> y(x.size()), dx(x.size());
  std::vector<std::uint8_t> mask(x.size());
  auto loss = [&] {
    Rng rng(3);  // the same mask on every evaluation
    kernels::dropout_forward_training(x.data(), y.data(), mask.data(), n, keep, rng);
    double s = 0;
    for (std::size_t i = 0; i < y.size(); ++i) s += g[i] * y[i];
    return s;
  };
  auto numeric = test::numeric_gradient(loss, x.data(), n);
  loss();
  kernels::dropout_backward(g.data(), dx.data(), mask.data(), n, keep);
  test::check_close(dx, numeric, 5e-10, "dx");  // measured worst 8.9e-11, both widths
}
