// The shape every optimizer shares, and the one loop that applies any of them.
//
// A model keeps all trainable parameters in one flat buffer w, their gradients in a second
// buffer g of the same size, and the optimizer's state in a third of state_per_param * size
// elements. The state is planar: slot k of parameter i is state[k * size + i], so every slot is
// one contiguous run and the update loads whole SIMD vectors from each. An optimizer is a plain
// struct of hyper-parameters; it owns no buffers, so it can be copied, printed and compared.
//
// Weight decay is TensorFlow's CNN-benchmark L2 term, loss += weight_decay * sum(w^2) / 2 over
// every parameter handed in, so the optimizer rule sees g + weight_decay * w. Parameters that
// must not decay (TensorFlow's benchmark keeps batch-norm ones when told to) need their own
// buffer and an optimizer copy with weight_decay = 0.
#pragma once
#include <algorithm>
#include <array>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>

#include "tinycnn/core/error.hpp"
#include "tinycnn/core/shape.hpp"
#include "tinycnn/optim/schedule.hpp"
#include "tinycnn/parallel/threads.hpp"
#include "tinycnn/simd/simd.hpp"

namespace tinycnn::optim {

// step: how many updates were applied before this one (0 on the first), i.e. TensorFlow's
// global_step as the update reads it. lr: the rate for this update, normally learning_rate(step).
template <class O, class T>
concept OptimizerFor = requires(const O& o, std::span<T> w, std::span<const T> g, std::span<T> state,
                                std::int64_t step, double lr) {
  { O::state_per_param } -> std::convertible_to<int>;
  requires std::integral_constant<int, O::state_per_param>::value >= 0;
  o.init_state(state);
  o.update(w, g, state, step, lr);
  { o.learning_rate(step) } -> std::convertible_to<double>;
  { o.weight_decay } -> std::convertible_to<double>;
  { o.name() } -> std::convertible_to<std::string>;
};

template <class O>
concept Optimizer = OptimizerFor<O, float> && OptimizerFor<O, double>;

// One training step's update at the optimizer's own scheduled rate.
template <class O, class T>
  requires OptimizerFor<O, T>
void apply_update(const O& o, std::span<T> w, std::span<const T> g, std::span<T> state, std::int64_t step) {
  o.update(w, g, state, step, o.learning_rate(step));
}

namespace detail {

// Below this many parameters a parallel region costs more than the update (a few cycles per
// element, memory bound); the chunk size keeps each thread's share of the four streams in L2.
inline constexpr index_t kParallelMin = index_t{1} << 16;
inline constexpr index_t kChunk = index_t{1} << 14;

// The same operations on a SIMD vector and on the scalar tail, with explicit fused multiply-adds
// in both, so the tail rounds as the vectors do instead of as the compiler's contraction picks.
template <class T>
inline simd::batch<T> fma(const simd::batch<T>& a, const simd::batch<T>& b, const simd::batch<T>& c) {
  return simd::fma(a, b, c);
}
template <std::floating_point T>
inline T fma(T a, T b, T c) { return std::fma(a, b, c); }
template <class T>
inline simd::batch<T> sqrt(const simd::batch<T>& a) { return simd::sqrt(a); }
template <std::floating_point T>
inline T sqrt(T a) { return std::sqrt(a); }

inline void check_sizes(std::size_t w, std::size_t g, std::size_t state, int slots, const char* who) {
  if (g != w || state != static_cast<std::size_t>(slots) * w)
    throw Error(std::string(who) + ": " + std::to_string(w) + " parameters need as many gradients (got " +
                std::to_string(g) + ") and " + std::to_string(slots) + " x as many state elements (got " +
                std::to_string(state) + ")");
}

// Calls kernel(w, g, s) for every parameter, where w and the slots s (std::array of Slots) are
// updated in place and all are either simd::batch<T> or T. Chunk boundaries do not depend on
// the thread count, so the result is the same with any number of threads.
template <int Slots, class T, class Kernel>
void for_each_param(std::span<T> w, std::span<const T> g, std::span<T> state, const Kernel& kernel) {
  using V = simd::batch<T>;
  constexpr index_t W = simd::width<T>;
  constexpr auto S = static_cast<std::size_t>(Slots);
  const index_t n = static_cast<index_t>(w.size());
  T* const wp = w.data();
  const T* const gp = g.data();
  std::array<T*, S> slot;
  for (std::size_t k = 0; k < S; ++k) slot[k] = state.data() + static_cast<index_t>(k) * n;

  auto run = [&](index_t begin, index_t end) {
    index_t i = begin;
    for (; i + W <= end; i += W) {
      V wv = simd::load(wp + i);
      std::array<V, S> s;
      for (std::size_t k = 0; k < S; ++k) s[k] = simd::load(slot[k] + i);
      kernel(wv, simd::load(gp + i), s);
      simd::store(wp + i, wv);
      for (std::size_t k = 0; k < S; ++k) simd::store(slot[k] + i, s[k]);
    }
    for (; i < end; ++i) {
      T wv = wp[i];
      std::array<T, S> s;
      for (std::size_t k = 0; k < S; ++k) s[k] = slot[k][i];
      kernel(wv, gp[i], s);
      wp[i] = wv;
      for (std::size_t k = 0; k < S; ++k) slot[k][i] = s[k];
    }
  };

  if (n <= kParallelMin) {
    run(0, n);
    return;
  }
  const index_t chunks = (n + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(static) num_threads(parallel::intra_threads())
  for (index_t c = 0; c < chunks; ++c) run(c * kChunk, std::min(n, (c + 1) * kChunk));
}

// Fills every element of a slot with one value.
template <class T>
void fill(std::span<T> s, T value) {
  for (T& x : s) x = value;
}

}  // namespace detail
}  // namespace tinycnn::optim
