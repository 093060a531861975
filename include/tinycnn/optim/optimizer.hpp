// The shape every optimizer shares, and the one loop that applies any of them.
//
// A model keeps all trainable parameters in one flat buffer w, their gradients in a second
// buffer g of the same size, and the optimizer's state in a third of state_per_param * size
// elements. The state is planar: slot k of parameter i is state[k * size + i], so every slot is
// one contiguous run and the update loads whole SIMD vectors from each. An optimizer is a plain
// struct of hyper-parameters; it owns no buffers, so it can be copied, printed and compared.
//
// Any run [offset, offset + length) of the buffers can be updated on its own (update_range): every
// rule is elementwise, and the vector body and the scalar tail round alike, so updating the
// pieces of a partition in any order gives, bit for bit, the update of the whole buffer. That
// is what lets a distribution policy update only its shard of the parameters.
//
// Weight decay is TensorFlow's CNN-benchmark L2 term, loss += weight_decay * sum(w^2) / 2 over
// every parameter handed in, so the optimizer rule sees g + weight_decay * w. Parameters that
// must not decay (batch norm's, by TensorFlow's rule: graph/weight_decay_rule.hpp) are handed to
// a copy of the optimizer with weight_decay = 0, run by run (distributed::Updater).
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
#include "tinycnn/parallel/execution.hpp"
#include "tinycnn/simd/simd.hpp"

namespace tinycnn::optim {

// The optimizer state of a run of parameters inside a larger flat buffer: slot k of the run's
// element j is at data[k * stride + j]. For a whole buffer of n parameters data is the state
// buffer and stride = n; for its part [offset, offset + length), data = state + offset and the
// stride stays n, so each slot of the part is still one contiguous run.
template <class T>
struct StatePlanes {
  T* data = nullptr;
  index_t stride = 0;
};

// step: how many updates were applied before this one (0 on the first), i.e. TensorFlow's
// global_step as the update reads it. lr: the rate for this update, normally learning_rate(step).
// update takes the state either as the whole planar buffer (a span of state_per_param * w.size()
// elements) or as StatePlanes, for a part of a larger buffer. Like a kernel, it takes its thread
// count from the caller's Execution (a Trainer passes its network's intra-op threads).
template <class O, class T>
concept OptimizerFor = requires(const O& o, std::span<T> w, std::span<const T> g, std::span<T> state,
                                StatePlanes<T> planes, std::int64_t step, double lr, const parallel::Execution& ex) {
  { O::state_per_param } -> std::convertible_to<int>;
  requires std::integral_constant<int, O::state_per_param>::value >= 0;
  o.init_state(state);
  o.update(w, g, state, step, lr, ex);
  o.update(w, g, planes, step, lr, ex);
  { o.learning_rate(step) } -> std::convertible_to<double>;
  { o.weight_decay } -> std::convertible_to<double>;
  { o.name() } -> std::convertible_to<std::string>;
};

template <class O>
concept Optimizer = OptimizerFor<O, float> && OptimizerFor<O, double>;

// One training step's update at the optimizer's own scheduled rate.
template <class O, class T>
  requires OptimizerFor<O, T>
void apply_update(const O& o, std::span<T> w, std::span<const T> g, std::span<T> state, std::int64_t step,
                  const parallel::Execution& ex) {
  o.update(w, g, state, step, o.learning_rate(step), ex);
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
// updated in place and all are either simd::batch<T> or T, on ex.intra threads. The kernel is
// elementwise, so neither the chunk boundaries nor the split into vectors and a tail change any
// result: it is the same with any number of threads, and for a part of a buffer as for the whole.
template <int Slots, class T, class Kernel>
void for_each_param(std::span<T> w, std::span<const T> g, StatePlanes<T> state, const parallel::Execution& ex,
                    const Kernel& kernel) {
  using V = simd::batch<T>;
  constexpr index_t W = simd::width<T>;
  constexpr auto S = static_cast<std::size_t>(Slots);
  const index_t n = static_cast<index_t>(w.size());
  T* const wp = w.data();
  const T* const gp = g.data();
  std::array<T*, S> slot;
  if (g.size() != w.size()) throw Error("optimizer update: the gradients do not match the parameters in size");
  for (std::size_t k = 0; k < S; ++k) slot[k] = state.data + static_cast<index_t>(k) * state.stride;

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
    if (i == end) return;
    // The last few elements go through the same vector code, from a zero-padded copy: scalar
    // code may round differently from the vector instructions (it does with AVX-512), and then
    // an element's update would depend on where a slice happens to end.
    const index_t m = end - i;
    alignas(64) std::array<T, W> wt{}, gt{};
    alignas(64) std::array<std::array<T, W>, S> st{};
    for (index_t j = 0; j < m; ++j) {
      wt[std::size_t(j)] = wp[i + j];
      gt[std::size_t(j)] = gp[i + j];
      for (std::size_t k = 0; k < S; ++k) st[k][std::size_t(j)] = slot[k][i + j];
    }
    V wv = simd::load(wt.data());
    std::array<V, S> s;
    for (std::size_t k = 0; k < S; ++k) s[k] = simd::load(st[k].data());
    kernel(wv, simd::load(gt.data()), s);
    simd::store(wt.data(), wv);
    for (std::size_t k = 0; k < S; ++k) simd::store(st[k].data(), s[k]);
    for (index_t j = 0; j < m; ++j) {
      wp[i + j] = wt[std::size_t(j)];
      for (std::size_t k = 0; k < S; ++k) slot[k][i + j] = st[k][std::size_t(j)];
    }
  };

  // One loop for short and long buffers alike (the if clause runs it on this thread): a second,
  // serial copy of the loop would be compiled separately, and its floating-point code may round
  // differently, so a slice below the threshold would no longer match the whole update.
  const index_t chunks = (n + kChunk - 1) / kChunk;
#pragma omp parallel for schedule(static) num_threads(ex.intra) if (n > kParallelMin && ex.intra > 1)
  for (index_t c = 0; c < chunks; ++c) run(c * kChunk, std::min(n, (c + 1) * kChunk));
}

// Fills every element of a slot with one value.
template <class T>
void fill(std::span<T> s, T value) {
  for (T& x : s) x = value;
}

}  // namespace detail

// Updates parameters [offset, offset + length) of the flat buffers w, g and state (laid out as
// for the whole update) and nothing else: bit for bit what the whole update writes there.
template <class O, class T>
  requires OptimizerFor<O, T>
void update_range(const O& o, std::span<T> w, std::span<const T> g, std::span<T> state, index_t offset,
                  index_t length, std::int64_t step, double lr, const parallel::Execution& ex) {
  detail::check_sizes(w.size(), g.size(), state.size(), O::state_per_param, o.name().c_str());
  const auto n = static_cast<index_t>(w.size());
  if (offset < 0 || length < 0 || offset > n - length)
    throw Error(o.name() + ": the range [" + std::to_string(offset) + ", " + std::to_string(offset + length) +
                ") is not inside the " + std::to_string(n) + " parameters");
  const auto at = static_cast<std::size_t>(offset), count = static_cast<std::size_t>(length);
  T* const first_slot = O::state_per_param > 0 ? state.data() + offset : nullptr;
  o.update(w.subspan(at, count), g.subspan(at, count), StatePlanes<T>{first_slot, n}, step, lr, ex);
}

}  // namespace tinycnn::optim
