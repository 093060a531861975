// Sequential<L1, L2, ...>: layers applied one after another. The concrete layers are held in one
// flat std::tuple (no nesting of types), with each layer's input shape being the previous one's
// output shape, so a mismatch is reported by the layer that cannot take it.
#pragma once
#include <algorithm>
#include <array>
#include <string>
#include <tuple>
#include <utility>

#include "tinycnn/core/aligned_buffer.hpp"
#include "tinycnn/core/error.hpp"
#include "tinycnn/graph/node.hpp"
#include "tinycnn/layers/layer.hpp"

namespace tinycnn {

namespace detail {

template <class T, class In, class... Specs>
struct chain {
  using type = std::tuple<>;
  using out = In;
};
template <class T, class In, class First, class... Rest>
struct chain<T, In, First, Rest...> {
  using head = impl_of<First, T, In>;
  using tail = chain<T, typename head::out_dims, Rest...>;
  using type = decltype(std::tuple_cat(std::declval<std::tuple<head>>(), std::declval<typename tail::type>()));
  using out = typename tail::out;
};

// Where a chain child's backward writes its input gradient.
enum class GradTarget {
  ChainDx,    // child 0: the chain's own dx
  OverDy,     // where its dy is: an elementwise backward, with dy in a buffer dead after it
  OwnOutput,  // the child's output buffer, dead by then (see plan_chain_backward)
  Scratch,    // one of the chain's gradient buffers in the scratch arena
};

template <std::size_t N>
struct ChainBackwardPlan {
  std::array<GradTarget, N> target{};
  // Elements per image of each of the two scratch gradient buffers (0: not needed). A child
  // that takes scratch takes the buffer its dy is not in, as the runner does.
  std::array<index_t, 2> scratch_size{};
  // transient[i]: child i (recomputable) writes its output into the chain's transient buffer,
  // and writes it there again just before the backward of child reader[i], the one leaf that
  // reads it. fused_relu[i]: a ReLU between them runs in place over that output, and child i
  // applies it in its own pass, forward and recompute (PlanTraits::fusable_relu).
  // transient_size: that buffer's elements per image, the largest such output.
  // (Flags are std::size_t, not bool: clang 16 misreads bool arrays, with the padding after
  // them, in a class-type template argument such as this plan.)
  std::array<std::size_t, N> transient{};
  std::array<std::size_t, N> reader{};
  std::array<std::size_t, N> fused_relu{};
  std::array<std::size_t, N> fused_into_previous{};  // child i is such a ReLU
  index_t transient_size = 0;
};

// Decides, for the children L... of a chain (in_place[i]: child i runs over its input's buffer),
// where each backward writes dx. Activations are kept for backward anyway; a child's output is
// dead once the next child's backward has run (only the child itself may still read it), and
// so is any gradient once read, except the chain's own dy (a Residual reads its dy again after
// its main path). Walking backward:
//   - an elementwise-backward leaf (ReLU, BatchNorm) writes dx over its dy when that is not the
//     chain's dy; else over its own output, if nobody reads that buffer back (running in place
//     it is an earlier sibling's) and, as the last child, if it reads its output itself (ReLU):
//     a chain's output can be a Residual's sum buffer holding the Residual's dy;
//   - another leaf not last in the chain (a convolution) writes dx over its own output when dx
//     fits there, it does not read that output, and dy is not in it;
//   - everything else (containers, shrinking layers, pass-throughs) takes a scratch buffer, the
//     one its dy is not in; each of the two is sized for the largest gradient it will hold.
// Then the outputs that need not be kept: a recomputable leaf's (batch norm), optionally with
// a ReLU running in place over it, when the next child is a leaf that only reads it (a
// convolution or a pool: not in place, not handing it on) and no gradient is planned into it.
// Only that reader and the in-place child read it, both during backward right after the
// recompute, and the gradients then flow through the reader's own buffers, so one transient
// buffer serves every such output of the chain.
template <std::size_t N, class... L>
constexpr ChainBackwardPlan<N> plan_chain_backward(const std::array<bool, N>& in_place) {
  constexpr std::array<bool, N> leaf{!Container<L>...}, forwards{tinycnn::forwards_input<L>()...},
      elementwise{tinycnn::elementwise_backward<L>()...}, reads_own{tinycnn::reads_own_output<L>()...},
      recomputable{tinycnn::recomputable<L>()...}, relu{tinycnn::fusable_relu<L>()...},
      fits{(L::in_dims::size <= L::out_dims::size)...};
  constexpr std::array<index_t, N> out_size{L::out_dims::size...};
  constexpr std::array<index_t, N> in_size{L::in_dims::size...};
  // buffer[i]: whose buffer child i's output is (an in-place child writes over its owner's).
  std::array<std::size_t, N> buffer{};
  for (std::size_t i = 0; i < N; ++i) {
    std::size_t owner = i;
    if (in_place[i]) {
      owner = i - 1;
      while (owner > 0 && forwards[owner]) --owner;
      owner = buffer[owner];
    }
    buffer[i] = owner;
  }
  constexpr std::size_t chain_dy = N, scratch = N + 1;  // other places the gradient can be
  ChainBackwardPlan<N> plan;
  plan.target[0] = GradTarget::ChainDx;
  std::size_t grad = chain_dy;  // where the gradient flowing down currently is
  int holding = -1;             // which scratch buffer, when it is in one
  for (std::size_t i = N - 1; i >= 1; --i) {
    GradTarget t = GradTarget::Scratch;
    if (leaf[i] && !forwards[i]) {
      if (elementwise[i]) {
        bool buffer_read_back = false;  // by a sibling sharing it, before this one
        for (std::size_t j = buffer[i]; j < i; ++j) buffer_read_back |= buffer[j] == buffer[i] && reads_own[j];
        if (grad != chain_dy)
          t = GradTarget::OverDy;
        else if ((i < N - 1 || reads_own[i]) && !buffer_read_back)
          t = GradTarget::OwnOutput;
      } else if (i < N - 1 && !in_place[i] && !reads_own[i] && fits[i] && grad != buffer[i]) {
        t = GradTarget::OwnOutput;
      }
    }
    plan.target[i] = t;
    if (t == GradTarget::OwnOutput) {
      grad = buffer[i];
      holding = -1;
    } else if (t == GradTarget::Scratch) {
      holding = holding == 0 ? 1 : 0;
      plan.scratch_size[std::size_t(holding)] = std::max(plan.scratch_size[std::size_t(holding)], in_size[i]);
      grad = scratch;
    }
  }
  for (std::size_t i = 0; i + 1 < N; ++i) {
    if (!recomputable[i] || plan.target[i] == GradTarget::OwnOutput) continue;
    std::size_t reader = i + 1;
    if (in_place[reader]) {
      if (!relu[reader] || plan.target[reader] == GradTarget::OwnOutput) continue;
      ++reader;
    }
    if (reader >= N || !leaf[reader] || forwards[reader] || in_place[reader]) continue;
    plan.transient[i] = 1;
    plan.reader[i] = reader;
    plan.fused_relu[i] = reader == i + 2 ? 1 : 0;
    plan.fused_into_previous[i + 1] = plan.fused_relu[i];
    plan.transient_size = std::max(plan.transient_size, out_size[i]);
  }
  return plan;
}

// Runs a chain of concrete layers held in any indexable container (a tuple of different types
// or an array of one type): the shared machinery of Sequential and Repeat. Gradients between
// the children go where Plan says (above); the scratch buffers come first in the arena and the
// children get the rest of it.
template <class T, std::size_t N, ChainBackwardPlan<N> Plan>
class ChainRunner {
 public:
  static constexpr ChainBackwardPlan<N> plan = Plan;
  static constexpr index_t own_scratch(index_t batch) {
    return align_count<T>(batch * Plan.scratch_size[0]) + align_count<T>(batch * Plan.scratch_size[1]);
  }
  static constexpr index_t own_transient(index_t batch) { return align_count<T>(batch * Plan.transient_size); }

  // in_place[i]: child i may overwrite its input (see Sequential::in_place_). The transient
  // buffer comes first in ctx.transient; the children get the rest of it.
  template <class Get>
  const T* forward(const T* x, Context& ctx, Get&& get, const std::array<bool, N>& in_place = {}) {
    Context inner = ctx;
    T* transient = nullptr;
    if constexpr (Plan.transient_size > 0) {
      require(ctx.transient != nullptr,
              "a chain keeps batch norm outputs in the transient arena, and the context has none "
              "(a Network provides it; see transient_size_of in layers/plan_traits.hpp)");
      ScratchCursor<T> arena{static_cast<T*>(ctx.transient)};
      transient = arena.take(ctx.batch * Plan.transient_size);
      inner.transient = arena.next;
    }
    const T* cur = x;
    for_each_index([&](auto i) {
      inputs_[i] = cur;
      using L = std::remove_reference_t<decltype(get(i))>;
      if constexpr (Plan.transient[i] != 0)
        cur = run_forward_into(get(i), cur, transient, inner, Plan.fused_relu[i] != 0);
      else if constexpr (Plan.fused_into_previous[i] != 0)
        cur = run_forward_fused(get(i), const_cast<T*>(cur), inner);
      else if constexpr (runs_in_place<L>())
        cur = in_place[i] ? run_forward<true>(get(i), cur, inner) : run_forward(get(i), cur, inner);
      else
        cur = run_forward(get(i), cur, inner);
      outputs_[i] = cur;
    });
    return cur;
  }
  template <class Get>
  void backward(const T* dy, T* dx, Context& ctx, Get&& get) {
    ScratchCursor<T> arena{static_cast<T*>(ctx.scratch)};
    T* buffers[2] = {nullptr, nullptr};
    for (int b = 0; b < 2; ++b)
      if (Plan.scratch_size[b] > 0) buffers[b] = arena.take(ctx.batch * Plan.scratch_size[b]);
    Context inner = ctx;
    inner.scratch = arena.next;
    const T* grad = dy;
    int holding = -1;  // the scratch buffer grad is in, if any
    for_each_index_reversed([&](auto i) {
      T* target = dx;
      if constexpr (Plan.target[i] == GradTarget::OverDy) {
        target = const_cast<T*>(grad);  // a buffer of this chain, dead after this child
      } else if constexpr (Plan.target[i] == GradTarget::OwnOutput) {
        target = const_cast<T*>(outputs_[i]);  // this chain's activation, dead now
        holding = -1;
      } else if constexpr (Plan.target[i] == GradTarget::Scratch) {
        holding = holding == 0 ? 1 : 0;
        target = buffers[holding];
      }
      recompute_for<decltype(i)::value>(inner, get);
      run_backward(get(i), inputs_[i], grad, target, inner);
      grad = target;
    });
  }

 private:
  template <class F, std::size_t... I>
  static void apply(F&& f, std::index_sequence<I...>) { (f(std::integral_constant<std::size_t, I>{}), ...); }
  template <class F>
  static void for_each_index(F&& f) { apply(f, std::make_index_sequence<N>{}); }
  template <class F, std::size_t... I>
  static void apply_reversed(F&& f, std::index_sequence<I...>) {
    (f(std::integral_constant<std::size_t, N - 1 - I>{}), ...);
  }
  template <class F>
  static void for_each_index_reversed(F&& f) { apply_reversed(f, std::make_index_sequence<N>{}); }

  // Before reader J's backward: the transient output it reads, written again where forward put
  // it (with the ReLU over it, when there is one).
  template <std::size_t J, class Get>
  void recompute_for(Context& ctx, Get& get) {
    if constexpr (J >= 1) recompute_if_read_by<J - 1, J>(ctx, get);
    if constexpr (J >= 2) recompute_if_read_by<J - 2, J>(ctx, get);
  }
  template <std::size_t I, std::size_t J, class Get>
  void recompute_if_read_by(Context& ctx, Get& get) {
    if constexpr (Plan.transient[I] != 0 && Plan.reader[I] == J) {
      T* y = const_cast<T*>(outputs_[I]);
      run_recompute(get(std::integral_constant<std::size_t, I>{}), inputs_[I], y, ctx, Plan.fused_relu[I] != 0);
    }
  }

  std::array<const T*, N> inputs_{}, outputs_{};
};

}  // namespace detail

template <class... Specs>
struct Sequential {
  static_assert(sizeof...(Specs) > 0, "tinycnn: a Sequential needs at least one layer");

  template <class T, class In>
  class impl {
    using chain = detail::chain<T, In, Specs...>;
    using layers_t = typename chain::type;
    static constexpr std::size_t N = sizeof...(Specs);

    template <class F, std::size_t... I>
    static constexpr auto fold(F&& f, std::index_sequence<I...>) {
      return f.template operator()<std::tuple_element_t<I, layers_t>...>();
    }
    template <class F>
    static constexpr auto fold(F&& f) { return fold(f, std::make_index_sequence<N>{}); }

    // Child I may overwrite its input when that buffer is the output of an earlier sibling
    // (not this Sequential's input, which others may share): walking back over children that
    // hand their input on, we must meet one that owns its output.
    template <std::size_t I>
    static constexpr bool owned_by_earlier_sibling() {
      if constexpr (I == 0)
        return false;
      else if constexpr (tinycnn::forwards_input<std::tuple_element_t<I - 1, layers_t>>())
        return owned_by_earlier_sibling<I - 1>();
      else
        return true;
    }
    static constexpr std::array<bool, N> in_place_ = []<std::size_t... I>(std::index_sequence<I...>) {
      return std::array<bool, N>{(runs_in_place<std::tuple_element_t<I, layers_t>>() && owned_by_earlier_sibling<I>())...};
    }(std::make_index_sequence<N>{});

   public:
    using in_dims = In;
    using out_dims = typename chain::out;
    static constexpr index_t num_params = fold([]<class... L>() { return (L::num_params + ...); });
    static constexpr index_t num_state = fold([]<class... L>() { return (L::num_state + ...); });
    static constexpr index_t param_storage = fold([]<class... L>() { return (L::param_storage + ...); });
    static constexpr index_t state_storage = fold([]<class... L>() { return (L::state_storage + ...); });
    static constexpr double flops = fold([]<class... L>() { return (L::flops + ...); });
    using runner_t = detail::ChainRunner<T, N, fold([]<class... L>() { return detail::plan_chain_backward<N, L...>(in_place_); })>;
    static constexpr index_t scratch_size(index_t batch) {
      return runner_t::own_scratch(batch) +
             fold([batch]<class... L>() { return std::max<index_t>({scratch_size_of<L>(batch)...}); });
    }
    static constexpr index_t transient_size(index_t batch) {
      return runner_t::own_transient(batch) +
             fold([batch]<class... L>() { return std::max<index_t>({transient_size_of<L>(batch)...}); });
    }

    static std::string describe() {
      return fold([]<class... L>() {
        std::string s = "Sequential(";
        ((s += L::describe() + ", "), ...);
        s.resize(s.size() - 2);
        return s + ")";
      });
    }

    // The output is the last child's, and the input itself when every child hands its input on.
    static constexpr PlanTraits plan_traits{
        .forwards_input = fold([]<class... L>() { return (tinycnn::forwards_input<L>() && ...); }),
        .reads_own_output = tinycnn::reads_own_output<std::tuple_element_t<N - 1, layers_t>>()};

    void plan(index_t batch) {
      std::size_t i = 0;
      for_each([&](auto& l) {
        using L = std::remove_reference_t<decltype(l)>;
        if constexpr (runs_in_place<L>()) {
          if (in_place_[i]) l.plan_in_place(batch);
          else l.plan(batch);
        } else if constexpr (recomputable<L>()) {
          if (runner_t::plan.transient[i] != 0) l.plan_transient(batch);
          else l.plan(batch);
        } else {
          l.plan(batch);
        }
        ++i;
      });
    }
    void bind(Slices<T> s) {
      for_each([&](auto& l) {
        using L = std::remove_reference_t<decltype(l)>;
        l.bind(s);
        s.params += L::param_storage;
        s.grads += L::param_storage;
        s.state += L::state_storage;
      });
    }
    void init(Rng& rng) { for_each([&](auto& l) { l.init(rng); }); }
    const T* forward(const T* x, Context& ctx) { return runner_.forward(x, ctx, getter(), in_place_); }
    void backward(const T*, const T* dy, T* dx, Context& ctx) { runner_.backward(dy, dx, ctx, getter()); }

    // Visits the direct children in order.
    template <class F>
    void for_each(F&& f) { std::apply([&](auto&... l) { (f(l), ...); }, layers_); }

   private:
    auto getter() { return [this](auto i) -> auto& { return std::get<decltype(i)::value>(layers_); }; }
    layers_t layers_;
    runner_t runner_;
  };
};

namespace detail {
template <class... S>
struct sequential_cat;
template <class... A>
struct sequential_cat<Sequential<A...>> {
  using type = Sequential<A...>;
};
template <class... A, class... B, class... Rest>
struct sequential_cat<Sequential<A...>, Sequential<B...>, Rest...> : sequential_cat<Sequential<A..., B...>, Rest...> {};
}  // namespace detail

// SequentialCat<Sequential<A...>, Sequential<B...>, ...> = Sequential<A..., B..., ...>: a model
// written in named parts (a stem, stages) that runs as one chain. A Sequential child of a
// Sequential is a container, whose gradient always takes a scratch buffer; in one flat chain its
// leaves keep their gradients in dead activations instead (plan_chain_backward).
template <class... S>
using SequentialCat = typename detail::sequential_cat<S...>::type;

}  // namespace tinycnn
