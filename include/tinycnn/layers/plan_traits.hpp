// What the memory planner may assume about a layer. The graph (graph/sequential.hpp,
// graph/residual.hpp, graph/network.hpp) shares buffers between layers only where these facts
// make it safe, so a fact declared wrongly is a wrong gradient or an overwritten input, not just
// a slower run. A layer that differs from the defaults declares all of its facts in one place:
//
//   static constexpr PlanTraits plan_traits{.reads_own_output = true, .elementwise_backward = true};
//
// Each fact has a test that fails when it is set wrongly on a layer (tests/layers/plan_traits_test.cpp,
// and the gradient checks of tests/layers/layers_gradient_test.cpp); docs/architecture.md
// describes the plan they feed.
#pragma once
#include <type_traits>

#include "tinycnn/core/shape.hpp"

namespace tinycnn {

struct PlanTraits {
  // Its output may be its input pointer itself (Flatten, Identity, Dropout in evaluation), so
  // the output is not a buffer of its own: whoever may write over the output (a ReLU running in
  // place, a Residual's sum) must treat it as the layer's input, which others may share.
  bool forwards_input = false;
  // Its backward reads its own forward output (ReLU): nothing may write over that output before
  // the backward has run (a Residual's sum, an input gradient kept in a dead activation).
  bool reads_own_output = false;
  // Its backward computes each element of dx from the same element of dy, x and its output, and
  // per-channel constants found first (ReLU, BatchNorm): dx may then share a buffer with dy or
  // with its own output, which lets a chain keep gradients in dead activations.
  bool elementwise_backward = false;
  // It can compute its output over its input's buffer (ReLU), and provides
  // plan_in_place(batch) (no output buffer) and forward_in_place(T* x, Context&). A Sequential
  // uses that form only where the input is an earlier sibling's output, nobody else's.
  bool in_place = false;
  // It can write its output into a buffer it is handed and later recompute that output, bit for
  // bit, from its input (BatchNorm, with the affine map its forward saved), and provides
  // plan_transient(batch) (no output buffer), forward_into(const T* x, T* y, Context&, bool relu)
  // and recompute(const T* x, T* y, Context&, bool relu) (relu: apply a ReLU in the same pass).
  // A Sequential then keeps its output (and that of a fusable ReLU running over it) in a
  // transient buffer instead of an activation of its own, when the next layer to read it is a
  // leaf that only reads it (a convolution): it recomputes the output just before that layer's
  // backward (see transient_size_of below).
  bool recomputable = false;
  // It is y = max(x, 0) as kernels::relu_forward computes it, running in place (ReLU): a
  // recomputable layer before it whose output is transient applies it in its own pass, forward
  // and recompute, and this layer's forward_fused(T* x, Context&) only notes where its output is.
  bool fusable_relu = false;

  friend constexpr bool operator==(const PlanTraits&, const PlanTraits&) = default;
};

// The layer's declared PlanTraits, or the defaults.
template <class L>
constexpr PlanTraits plan_traits_of() {
  // A fact written as a separate member (`static constexpr bool forwards_input = true;`) would
  // be ignored in silence, and a forwards_input ignored lets a ReLU overwrite someone else's input.
  static_assert(!requires { L::forwards_input; } && !requires { L::reads_own_output; } &&
                    !requires { L::elementwise_backward; } && !requires { L::in_place; } &&
                    !requires { L::recomputable; } && !requires { L::fusable_relu; },
                "tinycnn: declare the planner's facts as `static constexpr PlanTraits plan_traits{...}` "
                "(layers/plan_traits.hpp), not as separate members");
  if constexpr (requires { L::plan_traits; }) {
    static_assert(std::is_same_v<std::remove_cv_t<decltype(L::plan_traits)>, PlanTraits>,
                  "tinycnn: a layer's plan_traits must be a PlanTraits");
    static_assert(!L::plan_traits.in_place || requires(L& l, index_t n) { l.plan_in_place(n); },
                  "tinycnn: a layer whose plan_traits say in_place needs plan_in_place(batch) and "
                  "forward_in_place(T* x, Context&)");
    static_assert(!L::plan_traits.fusable_relu || L::plan_traits.in_place,
                  "tinycnn: a layer whose plan_traits say fusable_relu runs in place (and provides "
                  "forward_fused(T* x, Context&))");
    static_assert(!L::plan_traits.recomputable || requires(L& l, index_t n) { l.plan_transient(n); },
                  "tinycnn: a layer whose plan_traits say recomputable needs plan_transient(batch), "
                  "forward_into(const T* x, T* y, Context&, bool relu) and "
                  "recompute(const T* x, T* y, Context&, bool relu)");
    return L::plan_traits;
  } else {
    return PlanTraits{};
  }
}

// The planner reads the facts through these.
template <class L>
constexpr bool forwards_input() { return plan_traits_of<L>().forwards_input; }
template <class L>
constexpr bool reads_own_output() { return plan_traits_of<L>().reads_own_output; }
template <class L>
constexpr bool elementwise_backward() { return plan_traits_of<L>().elementwise_backward; }
template <class L>
constexpr bool runs_in_place() { return plan_traits_of<L>().in_place; }
template <class L>
constexpr bool recomputable() { return plan_traits_of<L>().recomputable; }
template <class L>
constexpr bool fusable_relu() { return plan_traits_of<L>().fusable_relu; }

// Backward's scratch arena. Backward needs temporary gradient buffers (between the layers of a
// Sequential, for a shortcut, for each Concat branch). They live only while the container's
// backward runs, so instead of each container owning its own, the Network allocates one arena
// and each container takes its part and hands the rest to its children: the arena's size is the
// deepest nesting's sum, not the total over all containers. A layer that needs some declares
//   static constexpr index_t scratch_size(index_t batch)   (elements of T, itself + children)
// and finds them at ctx.scratch during backward. It is a function of the batch, so it is not a
// PlanTraits member. Declaring too little makes backward write past the arena
// (tests/layers/plan_traits_test.cpp surrounds the arena with a guard to catch it).
template <class L>
constexpr index_t scratch_size_of(index_t batch) {
  if constexpr (requires { L::scratch_size(batch); })
    return L::scratch_size(batch);
  else
    return 0;
}

// The transient arena: where recomputable outputs (see PlanTraits::recomputable) live. Unlike
// the scratch arena it is live in forward too (a transient output is written in forward, read by
// the next layer, and rewritten in backward just before that layer's backward), so the Network
// holds it from planning on, for inference as for training. The same nesting rule: a container
// that keeps an output there declares
//   static constexpr index_t transient_size(index_t batch)   (elements of T, itself + children)
// takes its part from the front of ctx.transient and hands the rest to its children; branches
// that may run side by side get disjoint parts.
template <class L>
constexpr index_t transient_size_of(index_t batch) {
  if constexpr (requires { L::transient_size(batch); })
    return L::transient_size(batch);
  else
    return 0;
}

}  // namespace tinycnn
