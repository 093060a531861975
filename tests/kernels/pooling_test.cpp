#include <doctest/doctest.h>

#include "reference/pooling_reference.hpp"
#include "support/check.hpp"
#include "support/execution.hpp"
#include "tinycnn/kernels/pooling.hpp"

using namespace tinycnn;

namespace {


std::string describe(index_t n, index_t c, const Window& w) {
  return "n=" + std::to_string(n) + " c=" + std::to_string(c) + " in=" + std::to_string(w.in_h) + "x" +
         std::to_string(w.in_w) + " k=" + std::to_string(w.kh) + "x" + std::to_string(w.kw) + " s=" +
         std::to_string(w.sh) + "x" + std::to_string(w.sw) + " pad=" + std::to_string(w.pad_top) + "," +
         std::to_string(w.pad_left) + " out=" + std::to_string(w.out_h) + "x" + std::to_string(w.out_w);
}

template <class T>
void check_pooling(Rng& rng, index_t n, index_t c, const Window& w, double lo = -1.0, double hi = 1.0,
                   bool integers = false) {
  const std::string what = describe(n, c, w);
  CAPTURE(what);
  auto x = test::random_vector<T>(n * w.in_h * w.in_w * c, rng, lo, hi);
  if (integers)  // few distinct values: many ties
    for (T& v : x) v = std::floor(v);
  auto dy = test::random_vector<T>(n * w.out_h * w.out_w * c, rng);
  std::vector<T> y(dy.size()), dx(x.size(), T(7));  // dx must be overwritten

  // Measured worst, float / double, both widths: max forward 0 / 0 (exact), max backward (sums
  // where windows overlap) 3.4e-7 / 0, avg forward 7.0e-8 / 7.4e-17, avg backward 1.6e-7 / 2.6e-16.
  kernels::max_pool_forward(x.data(), y.data(), n, c, w, test::exec());
  test::check_close(y, reference::max_pool(x.data(), n, c, w), 0.0, "max forward " + what);
  kernels::max_pool_backward(x.data(), dy.data(), dx.data(), n, c, w, test::exec());
  test::check_close(dx, reference::max_pool_backward(x.data(), dy.data(), n, c, w), test::by_type<T>(2e-6, 8.9e-16),
                    "max backward " + what);

  kernels::avg_pool_forward(x.data(), y.data(), n, c, w, test::exec());
  test::check_close(y, reference::avg_pool(x.data(), n, c, w), test::by_type<T>(5e-7, 5e-16), "avg forward " + what);
  std::fill(dx.begin(), dx.end(), T(7));
  kernels::avg_pool_backward(dy.data(), dx.data(), n, c, w, test::exec());
  test::check_close(dx, reference::avg_pool_backward(dy.data(), n, c, w), test::by_type<T>(1e-6, 2e-15),
                    "avg backward " + what);
}

}  // namespace

TEST_CASE_TEMPLATE("pooling matches the reference over SAME, VALID and explicit windows", T, float, double) {
  Rng rng(2024);
  const index_t kernels_[] = {1, 2, 3, 5};
  const std::vector<index_t> channels = test::simd_sizes<T>();
  int checked = 0;
  for (int repeat = 0; repeat < 3; ++repeat)
  for (index_t k : kernels_)
    for (index_t s = 1; s <= 3; ++s)
      for (Padding p : {Padding::Same, Padding::Valid, Padding::Explicit}) {
        const index_t in_h = 1 + index_t(rng.below(11)), in_w = 1 + index_t(rng.below(11));
        const index_t kw = p == Padding::Explicit ? k : std::max<index_t>(1, k - index_t(rng.below(2)));  // non-square too
        const index_t pad = p == Padding::Explicit ? index_t(rng.below(std::size_t(k))) : 0;  // pad < k
        Window w = make_window(in_h, in_w, k, kw, s, 1 + index_t(rng.below(3)), p, pad, pad);
        if (w.out_h == 0 || w.out_w == 0) continue;  // VALID window larger than the image
        const index_t n = 1 + index_t(rng.below(3));
        const index_t c = channels[rng.below(channels.size())];
        check_pooling<T>(rng, n, c, w);
        ++checked;
      }
  CHECK(checked > 80);
  // Every channel count at least once, whatever the draws above were.
  for (index_t c : channels) check_pooling<T>(rng, 2, c, make_window(6, 7, 3, 3, 2, 2, Padding::Same));
}

TEST_CASE_TEMPLATE("pooling on odd InceptionV3-like shapes and a threaded size", T, float, double) {
  Rng rng(77);
  check_pooling<T>(rng, 2, 9, make_window(17, 17, 3, 3, 2, 2, Padding::Valid));
  check_pooling<T>(rng, 1, 5, make_window(15, 13, 3, 3, 1, 1, Padding::Same));
  check_pooling<T>(rng, 3, 12, make_window(8, 8, 3, 3, 1, 1, Padding::Same));
  check_pooling<T>(rng, 2, 16, make_window(32, 32, 3, 3, 1, 1, Padding::Same));  // past the threading threshold
}

TEST_CASE_TEMPLATE("max pooling breaks ties towards the first element of the window", T, float, double) {
  Rng rng(9);
  // Integer-valued inputs in a narrow range: most windows hold several equal maxima.
  for (int trial = 0; trial < 12; ++trial) {
    Window w = make_window(2 + index_t(rng.below(8)), 2 + index_t(rng.below(8)), 2 + index_t(rng.below(2)),
                           2 + index_t(rng.below(2)), 1 + index_t(rng.below(2)), 1 + index_t(rng.below(2)),
                           trial % 2 ? Padding::Same : Padding::Valid);
    if (w.out_h == 0 || w.out_w == 0) continue;
    for (index_t c : test::simd_sizes<T>()) check_pooling<T>(rng, 2, c, w, 0.0, 2.0, true);
  }
  // By hand: windows of 2 over [5 5 5 5] with stride 1: each gradient goes to its window's left end.
  std::vector<T> x = {5, 5, 5, 5}, dy = {1, 2, 3}, dx(4);
  Window w = make_window(1, 4, 1, 2, 1, 1, Padding::Valid);
  kernels::max_pool_backward(x.data(), dy.data(), dx.data(), 1, 1, w, test::exec());
  CHECK(dx == std::vector<T>{1, 2, 3, 0});
}

TEST_CASE_TEMPLATE("padded positions never win a max and are not averaged", T, float, double) {
  // All inputs negative: a padded zero winning would show as a 0 output.
  const index_t n = 1, c = test::simd_mixed_size<T>();
  Window w = make_window(4, 4, 3, 3, 1, 1, Padding::Same);
  std::vector<T> x(std::size_t(n * 16 * c)), y(std::size_t(n * 16 * c));
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = T(-1) - T(i % 5);
  kernels::max_pool_forward(x.data(), y.data(), n, c, w, test::exec());
  for (T v : y) CHECK(v < T(0));
  std::fill(x.begin(), x.end(), T(-2));
  kernels::avg_pool_forward(x.data(), y.data(), n, c, w, test::exec());
  for (T v : y) CHECK(v == T(-2));  // corners average 4 elements, not 9
}

TEST_CASE("a window entirely in the padding is refused") {
  Window w = make_window(4, 4, 2, 2, 1, 1, Padding::Explicit, 2, 2);
  std::vector<float> x(16), y(std::size_t(w.out_h * w.out_w));
  CHECK_THROWS_AS(kernels::max_pool_forward(x.data(), y.data(), 1, 1, w, test::exec()), Error);
  CHECK_THROWS_AS(kernels::avg_pool_backward(y.data(), x.data(), 1, 1, w, test::exec()), Error);
}

TEST_CASE_TEMPLATE("global average pooling matches the reference", T, float, double) {
  Rng rng(31);
  struct Case { index_t n, h, w, c; };
  std::vector<Case> cases = {{1, 1, 1, 1}, {2, 8, 8, 17}, {3, 5, 3, 8}, {64, 8, 8, 32} /* threaded */};
  for (int i = 0; i < 8; ++i)
    cases.push_back({1 + index_t(rng.below(4)), 1 + index_t(rng.below(9)), 1 + index_t(rng.below(9)), 1 + index_t(rng.below(20))});
  for (const Case& k : cases) {
    const index_t n = k.n, h = k.h, w = k.w, c = k.c;  // named, not bound: OpenMP builds may not capture bindings
    CAPTURE(n); CAPTURE(h); CAPTURE(w); CAPTURE(c);
    auto x = test::random_vector<T>(n * h * w * c, rng);
    auto dy = test::random_vector<T>(n * c, rng);
    std::vector<T> y(dy.size()), dx(x.size());
    kernels::global_avg_pool_forward(x.data(), y.data(), n, h, w, c, test::exec());
    // Measured worst 5.3e-8 / 4.2e-17 forward, 5.1e-9 / 1.3e-17 backward, both widths.
    test::check_close(y, reference::global_avg_pool(x.data(), n, h, w, c), test::by_type<T>(4e-7, 4e-16),
                      "global avg forward");
    kernels::global_avg_pool_backward(dy.data(), dx.data(), n, h, w, c, test::exec());
    test::check_close(dx, reference::global_avg_pool_backward(dy.data(), n, h, w, c), test::by_type<T>(4e-8, 1e-16),
                      "global avg backward");
  }
}

TEST_CASE("pooling backwards match finite differences") {
  Rng rng(13);
  const index_t n = 2;
  for (index_t c : {test::simd_sizes<double>()[1], test::simd_mixed_size<double>()})  // a tail alone; a vector and a tail
  for (Window w : {make_window(5, 4, 3, 3, 2, 2, Padding::Same), make_window(5, 5, 2, 3, 1, 2, Padding::Valid),
                   make_window(4, 5, 3, 2, 2, 1, Padding::Explicit, 1, 1)}) {
    const std::string what = describe(n, c, w);
    CAPTURE(what);
    // Distinct values (a shuffled ramp with gaps of 0.01) so no max is within h of a tie.
    const index_t size = n * w.in_h * w.in_w * c;
    std::vector<double> x(static_cast<std::size_t>(size));
    for (index_t i = 0; i < size; ++i) x[std::size_t(i)] = 0.01 * double(i);
    for (index_t i = size - 1; i > 0; --i) std::swap(x[std::size_t(i)], x[std::size_t(rng.below(std::uint64_t(i + 1)))]);
    auto g = test::random_vector<double>(n * w.out_h * w.out_w * c, rng);
    std::vector<double> y(g.size()), dx(x.size());
    for (bool max : {true, false}) {
      auto loss = [&] {
        if (max)
          kernels::max_pool_forward(x.data(), y.data(), n, c, w, test::exec());
        else
          kernels::avg_pool_forward(x.data(), y.data(), n, c, w, test::exec());
        double s = 0;
        for (std::size_t i = 0; i < y.size(); ++i) s += g[i] * y[i];
        return s;
      };
      auto numeric = test::numeric_gradient(loss, x.data(), size);
      if (max)
        kernels::max_pool_backward(x.data(), g.data(), dx.data(), n, c, w, test::exec());
      else
        kernels::avg_pool_backward(g.data(), dx.data(), n, c, w, test::exec());
      test::check_close(dx, numeric, 5e-8, max ? "max dx" : "avg dx");  // measured worst 8.2e-9
    }
  }

  const index_t h = 3, w = 4, c = test::simd_mixed_size<double>();
  auto x = test::random_vector<double>(n * h * w * c, rng);
  auto g = test::random_vector<double>(n * c, rng);
  std::vector<double> y(g.size()), dx(x.size());
  auto loss = [&] {
    kernels::global_avg_pool_forward(x.data(), y.data(), n, h, w, c, test::exec());
    double s = 0;
    for (std::size_t i = 0; i < y.size(); ++i) s += g[i] * y[i];
    return s;
  };
  auto numeric = test::numeric_gradient(loss, x.data(), index_t(x.size()));
  kernels::global_avg_pool_backward(g.data(), dx.data(), n, h, w, c, test::exec());
  test::check_close(dx, numeric, 1e-9, "global avg dx");  // measured worst 1.0e-10
}
