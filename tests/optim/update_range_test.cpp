// optim::update_range: a distribution policy updates its shard of the flat buffers only, and the
// pieces of any partition, updated one by one, must give the whole update bit for bit, optimizer
// state included (planar: a piece's state is one run per slot, a whole buffer apart).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "support/check.hpp"
#include "support/execution.hpp"
#include "support/same_bits.hpp"
#include "tinycnn/core/aligned_buffer.hpp"
#include "tinycnn/core/error.hpp"
#include "tinycnn/optim/all.hpp"

using namespace tinycnn;
using namespace tinycnn::optim;

namespace {

// The number of parameters: more than the threaded loop's threshold (64k), so the whole update
// and the larger pieces run threaded, and odd, so no vector width divides it.
constexpr index_t kParams = 3 * (index_t{1} << 15) + 4099;

template <class T>
struct Buffers {
  AlignedBuffer<T> w, g, state;
  template <class O>
  Buffers(const O& opt, Rng& rng) : w(kParams), g(kParams), state(kParams * O::state_per_param) {
    test::fill_uniform(w.data(), kParams, rng, -2.0, 2.0);
    opt.init_state(state.span());
  }
};

template <class T>
bool same_bits(const AlignedBuffer<T>& a, const AlignedBuffer<T>& b) {
  return test::same_bits<T>(a.span(), b.span());
}

// Four steps, each with fresh gradients: whole buffer in one call against the pieces [cut_i,
// cut_i+1) updated in the order given.
template <class T, class O>
void check_pieces_equal_whole(const O& opt, const std::vector<std::pair<index_t, index_t>>& pieces, int threads) {
  Rng rng(7);
  Buffers<T> whole(opt, rng);
  Rng same(7);
  Buffers<T> split(opt, same);
  for (std::int64_t step = 0; step < 4; ++step) {
    test::fill_uniform(whole.g.data(), kParams, rng, -1.0, 1.0);
    std::copy(whole.g.data(), whole.g.data() + kParams, split.g.data());
    const double lr = opt.learning_rate(step);
    opt.update(whole.w.span(), std::span<const T>(whole.g.span()), whole.state.span(), step, lr, test::exec(threads));
    for (auto [offset, length] : pieces)
      update_range(opt, split.w.span(), std::span<const T>(split.g.span()), split.state.span(), offset, length, step, lr,
                   test::exec(threads));
  }
  CHECK_MESSAGE(same_bits(split.w, whole.w), opt.name() << ": parameters differ from the whole update");
  CHECK_MESSAGE(same_bits(split.state, whole.state), opt.name() << ": optimizer state differs from the whole update");
}

// Every optimizer of optim/, each with weight decay, and momentum both plain and Nesterov.
template <class F>
void for_every_optimizer(F&& f) {
  const LearningRate lr = PiecewiseConstant({2}, {0.05, 0.01});
  f(Sgd{.learning_rate = lr, .weight_decay = 1e-3});
  f(Momentum{.learning_rate = lr, .momentum = 0.9, .weight_decay = 1e-3});
  f(Momentum{.learning_rate = lr, .momentum = 0.9, .weight_decay = 1e-3, .nesterov = true});
  f(RmsProp{.learning_rate = lr, .decay = 0.9, .momentum = 0.9, .epsilon = 1.0, .weight_decay = 1e-3});
  f(Adam{.learning_rate = lr, .weight_decay = 1e-3});
}

}  // namespace

TEST_CASE_TEMPLATE("two halves, an odd split and pieces out of order each give the whole update bit for bit", T,
                   float, double) {
  const index_t half = kParams / 2, odd = 12345;
  const std::vector<std::vector<std::pair<index_t, index_t>>> partitions = {
      {{0, half}, {half, kParams - half}},
      {{0, odd}, {odd, kParams - odd}},
      // later pieces first, one of them shorter than a vector, one empty
      {{odd + 3, kParams - odd - 3}, {odd, 3}, {odd, 0}, {0, odd}},
  };
  for (int threads : {1, 2}) {
    for_every_optimizer([&](const auto& opt) {
      for (std::size_t p = 0; p < partitions.size(); ++p) {
        CAPTURE(threads);
        CAPTURE(p);
        check_pieces_equal_whole<T>(opt, partitions[p], threads);
      }
    });
  }
}

TEST_CASE("update_range leaves everything outside its range alone") {
  const Adam opt{.weight_decay = 1e-3};
  Rng rng(3);
  Buffers<float> b(opt, rng);
  test::fill_uniform(b.g.data(), kParams, rng, -1.0, 1.0);
  const AlignedBuffer<float> w0 = [&] {
    AlignedBuffer<float> c(kParams);
    std::copy(b.w.data(), b.w.data() + kParams, c.data());
    return c;
  }();
  const index_t offset = 1001, length = 777;
  update_range(opt, b.w.span(), std::span<const float>(b.g.span()), b.state.span(), offset, length, 0, 0.1, test::exec());
  index_t changed_inside = 0;
  for (index_t i = 0; i < kParams; ++i) {
    const bool inside = i >= offset && i < offset + length;
    if (!inside) {
      REQUIRE_MESSAGE(b.w[i] == w0[i], "parameter " << i << " outside the range changed");
      for (int k = 0; k < Adam::state_per_param; ++k)
        REQUIRE_MESSAGE(b.state[k * kParams + i] == 0.0f, "state slot " << k << " of " << i << " changed");
    } else {
      changed_inside += b.w[i] != w0[i];
    }
  }
  CHECK(changed_inside == length);
}

TEST_CASE("update_range refuses a range outside the buffer and mismatched buffers") {
  const Momentum opt;
  AlignedBuffer<float> w(10), g(10), state(10), short_state(9);
  auto gs = std::span<const float>(g.span());
  CHECK_THROWS_AS(update_range(opt, w.span(), gs, state.span(), 5, 6, 0, 0.1, test::exec()), Error);
  CHECK_THROWS_AS(update_range(opt, w.span(), gs, state.span(), -1, 2, 0, 0.1, test::exec()), Error);
  CHECK_THROWS_AS(update_range(opt, w.span(), gs, state.span(), 2, -1, 0, 0.1, test::exec()), Error);
  CHECK_THROWS_AS(update_range(opt, w.span(), gs, short_state.span(), 0, 5, 0, 0.1, test::exec()), Error);
  CHECK_NOTHROW(update_range(opt, w.span(), gs, state.span(), 4, 6, 0, 0.1, test::exec()));
}
