#include <doctest/doctest.h>

#include "reference/concat_reference.hpp"
#include "support/check.hpp"
#include "support/execution.hpp"
#include "tinycnn/kernels/concat.hpp"

using namespace tinycnn;

TEST_CASE_TEMPLATE("channel concat and split match the reference", T, float, double) {
  Rng rng(64);
  for (int trial = 0; trial < 20; ++trial) {
    const index_t rows = trial == 0 ? 4000 : 1 + index_t(rng.below(100));  // the first one is threaded
    const std::size_t parts = 1 + rng.below(4);
    std::vector<index_t> channels;
    const std::vector<index_t> widths = test::simd_sizes<T>();
    for (std::size_t i = 0; i < parts; ++i)  // 0 allowed after the first; every SIMD size in turn
      channels.push_back(i == 0 ? widths[std::size_t(trial) % widths.size()] : index_t(rng.below(20)));
    index_t total = 0;
    for (index_t c : channels) total += c;
    CAPTURE(rows); CAPTURE(parts); CAPTURE(total);

    std::vector<std::vector<T>> xs;
    std::vector<const T*> ptrs;
    for (index_t c : channels) xs.push_back(test::random_vector<T>(rows * c, rng));
    for (auto& x : xs) ptrs.push_back(x.data());
    std::vector<T> y(static_cast<std::size_t>(rows * total));
    kernels::concat_channels_forward(std::span<const T* const>(ptrs), channels, y.data(), rows, test::exec());
    test::check_close(y, reference::concat_channels(xs, channels, rows), 0.0, "concat");

    auto dy = test::random_vector<T>(rows * total, rng);
    std::vector<std::vector<T>> grads;
    std::vector<T*> gptrs;
    for (index_t c : channels) grads.emplace_back(static_cast<std::size_t>(rows * c), T(3));
    for (auto& g : grads) gptrs.push_back(g.data());
    const std::size_t skipped = rng.below(parts + 1);  // == parts: none skipped
    if (skipped < parts) gptrs[skipped] = nullptr;
    kernels::concat_channels_backward(dy.data(), rows, channels, std::span<T* const>(gptrs), test::exec());
    auto want = reference::split_channels(dy.data(), channels, rows);
    for (std::size_t i = 0; i < parts; ++i) {
      if (i == skipped)
        CHECK(std::all_of(grads[i].begin(), grads[i].end(), [](T v) { return v == T(3); }));
      else
        test::check_close(grads[i], want[i], 0.0, "split " + std::to_string(i));
    }
  }
}

TEST_CASE("channel concat refuses mismatched lists") {
  std::vector<float> a(4), y(8);
  std::vector<const float*> ptrs = {a.data()};
  std::vector<index_t> channels = {2, 2};
  CHECK_THROWS_AS(kernels::concat_channels_forward<float>(ptrs, channels, y.data(), 2, test::exec()), Error);
}

TEST_CASE("channel concat backward matches finite differences") {
  Rng rng(8);
  const index_t rows = 5;
  const std::vector<index_t> channels = {3, 1, 4};
  std::vector<std::vector<double>> xs;
  for (index_t c : channels) xs.push_back(test::random_vector<double>(rows * c, rng));
  auto g = test::random_vector<double>(rows * 8, rng);
  std::vector<double> y(g.size());
  auto loss = [&] {
    std::vector<const double*> ptrs;
    for (auto& x : xs) ptrs.push_back(x.data());
    kernels::concat_channels_forward<double>(ptrs, channels, y.data(), rows, test::exec());
    double s = 0;
    for (std::size_t i = 0; i < y.size(); ++i) s += g[i] * y[i];
    return s;
  };
  std::vector<std::vector<double>> grads;
  std::vector<double*> gptrs;
  for (index_t c : channels) grads.emplace_back(static_cast<std::size_t>(rows * c));
  for (auto& d : grads) gptrs.push_back(d.data());
  kernels::concat_channels_backward<double>(g.data(), rows, channels, gptrs, test::exec());
  for (std::size_t i = 0; i < xs.size(); ++i)
    // Measured worst 1.5e-10, both widths.
    test::check_close(grads[i], test::numeric_gradient(loss, xs[i].data(), index_t(xs[i].size())), 1e-9,
                      "d input " + std::to_string(i));
}
