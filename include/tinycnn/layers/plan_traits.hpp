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

  friend constexpr bool operator==(const PlanTraits&, const PlanTraits&) = default;
};

// The layer's declared PlanTraits, or the defaults.
template <class L>
constexpr PlanTraits plan_traits_of() {
  // A fact written as a separate member (`static constexpr bool forwards_input = true;`) would
  // be ignored in silence, and a forwards_input ignored lets a ReLU overwrite someone else's input.
  static_assert(!requires { L::forwards_input; } && !requires { L::reads_own_output; } &&
                    !requires { L::elementwise_backward; } && !requires { L::in_place; },
                "tinycnn: declare the planner's facts as `static constexpr PlanTraits plan_traits{...}` "
                "(layers/plan_traits.hpp), not as separate members");
  if constexpr (requires { L::plan_traits; }) {
    static_assert(std::is_same_v<std::remove_cv_t<decltype(L::plan_traits)>, PlanTraits>,
                  "tinycnn: a layer's plan_traits must be a PlanTraits");
    static_assert(!L::plan_traits.in_place || requires(L& l, index_t n) { l.plan_in_place(n); },
                  "tinycnn: a layer whose plan_traits say in_place needs plan_in_place(batch) and "
                  "forward_in_place(T* x, Context&)");
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

}  // namespace tinycnn
