// How a container runs one of its children. Leaves (layers without children) are where the
// time goes, so this is the one place that times them when a LayerProfiler is attached, and
// the one place that tells a GradientHook when a leaf's parameter gradients are final.
#pragma once
#include <algorithm>
#include <array>
#include <chrono>
#include <type_traits>

#include "tinycnn/graph/gradient_hook.hpp"
#include "tinycnn/graph/profiler.hpp"
#include "tinycnn/layers/layer.hpp"
#include "tinycnn/parallel/branches.hpp"
#include "tinycnn/parallel/trace.hpp"

namespace tinycnn::detail {

// A container visits its children with for_each; a leaf has none.
template <class L>
concept Container = requires(L& l) { l.for_each([](auto&) {}); };

// Calls call(ctx), as a traced event "<describe> forward|backward|recompute" when a Trace is
// attached.
template <class L, class Call>
auto traced_leaf(Context& ctx, const char* phase, Call& call) {
  using Result = decltype(call(ctx));
  if (!ctx.exec.trace) return call(ctx);
  Context inner = ctx;
  std::conditional_t<std::is_void_v<Result>, int, Result> result{};
  parallel::traced(ctx.exec, [&] { return L::describe() + " " + phase; },
                   [&](const parallel::Execution& ex) {
                     inner.exec = ex;
                     if constexpr (std::is_void_v<Result>)
                       call(inner);
                     else
                       result = call(inner);
                   });
  if constexpr (!std::is_void_v<Result>) return result;
}

// Times call(ctx) as a leaf's forward (or, with Extra, as more of its backward: a recompute,
// which is backward's work but not another backward call) when a profiler is attached, and
// records it when a trace is.
template <class L, bool Extra = false, class Call>
auto profiled_leaf(L& layer, Context& ctx, Call& call) {
  auto leaf = [&](Context& c) { return traced_leaf<L>(c, Extra ? "recompute" : "forward", call); };
  if (!ctx.profiler) return leaf(ctx);
  auto t0 = std::chrono::steady_clock::now();
  auto record = [&] {
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ctx.profiler->record(&layer, L::describe(), L::flops * double(ctx.batch), Extra, s, !Extra);
  };
  if constexpr (std::is_void_v<decltype(call(ctx))>) {
    leaf(ctx);
    record();
  } else {
    auto y = leaf(ctx);
    record();
    return y;
  }
}

// Runs layer.forward(x) (or forward_in_place when InPlace); a leaf is timed when a profiler is
// attached and recorded when a trace is.
template <bool InPlace = false, class L, class T>
const T* run_forward(L& layer, const T* x, Context& ctx) {
  auto call = [&](Context& c) {
    if constexpr (InPlace)
      return layer.forward_in_place(const_cast<T*>(x), c);  // the caller owns x: see Sequential
    else
      return layer.forward(x, c);
  };
  if constexpr (!Container<L>)
    return profiled_leaf(layer, ctx, call);
  else
    return call(ctx);
}

// A recomputable leaf (PlanTraits::recomputable) writing its output into y in forward, with
// the ReLU after it applied in the same pass when relu is set ...
template <class L, class T>
const T* run_forward_into(L& layer, const T* x, T* y, Context& ctx, bool relu) {
  auto call = [&](Context& c) { return layer.forward_into(x, y, c, relu); };
  return profiled_leaf(layer, ctx, call);
}
// ... and writing it there again before backward reads it: timed as part of its backward.
template <class L, class T>
void run_recompute(L& layer, const T* x, T* y, Context& ctx, bool relu) {
  auto call = [&](Context& c) { layer.recompute(x, y, c, relu); };
  profiled_leaf<L, true>(layer, ctx, call);
}
// The ReLU that a recomputable layer applied in its own pass: a forward call that computes
// nothing, so profiles still count it.
template <class L, class T>
const T* run_forward_fused(L& layer, T* x, Context& ctx) {
  auto call = [&](Context& c) { return layer.forward_fused(x, c); };
  return profiled_leaf(layer, ctx, call);
}

// Runs layer.backward; for a leaf, timed when a profiler is attached, recorded when a trace is,
// and then, when the leaf has parameters, its gradients are final: the hook hears of it (after
// the clock has stopped).
template <class L, class T>
void run_backward(L& layer, const T* x, const T* dy, T* dx, Context& ctx) {
  auto call = [&](Context& c) { layer.backward(x, dy, dx, c); };
  if constexpr (!Container<L>) {
    if (ctx.profiler) {
      auto t0 = std::chrono::steady_clock::now();
      traced_leaf<L>(ctx, "backward", call);
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      ctx.profiler->record(&layer, L::describe(), L::flops * double(ctx.batch), true, s);
    } else {
      traced_leaf<L>(ctx, "backward", call);
    }
    if constexpr (L::num_params > 0)
      if (ctx.gradients_ready) ctx.gradients_ready->leaf_gradients_ready(&layer);
  } else {
    call(ctx);
  }
}

// Bytes of activations a planned node holds: its own outputs and saved values (a layer with
// any declares std::size_t activation_bytes() const) and, for a container, its children's.
template <class L>
std::size_t activations_of(L& node) {
  std::size_t bytes = 0;
  if constexpr (requires { node.activation_bytes(); }) bytes = node.activation_bytes();
  if constexpr (Container<L>) node.for_each([&](auto& child) { bytes += activations_of(child); });
  return bytes;
}

// Bytes of kernel workspace a planned node needs: its own statement, or for a container
// without one the largest of its children's, since children run one after the other.
template <class L>
std::size_t workspace_of(L& node, const WorkspacePlan& w) {
  if constexpr (requires { node.workspace_bytes(w); }) {
    return node.workspace_bytes(w);
  } else if constexpr (Container<L>) {
    std::size_t most = 0;
    node.for_each([&](auto& child) { most = std::max(most, workspace_of(child, w)); });
    return most;
  } else {
    return 0;
  }
}

// The workspace of a container whose n children may run side by side (parallel/branches.hpp):
// one slot per concurrent child, each as large as the largest child needs with its share of the
// threads. Forward and backward ask at every call and answering walks every child's kernels,
// so the slot size is kept per pass until the threads change; plan() calls forget().
class BranchSlots {
 public:
  template <class Node>
  std::size_t workspace_bytes(Node& node, int n, const WorkspacePlan& w) {
    return parallel::branch_slots_bytes(parallel::branch_split(w.intra, w.inter, n), slot_bytes(node, n, w));
  }
  template <class Node>
  std::size_t slot_bytes(Node& node, int n, const WorkspacePlan& w) {
    Known& known = known_[w.backward ? 1 : 0];
    if (known.intra == w.intra && known.inter == w.inter) return known.bytes;
    const parallel::BranchSplit split = parallel::branch_split(w.intra, w.inter, n);
    const WorkspacePlan inner = split.at_once <= 1 ? w : WorkspacePlan{split.share, 1, w.backward};
    std::size_t most = 0;
    node.for_each([&](auto& child) { most = std::max(most, workspace_of(child, inner)); });
    known = {w.intra, w.inter, most};
    return most;
  }
  void forget() { known_ = {}; }

 private:
  struct Known {
    int intra = 0, inter = 0;  // 0: not known yet
    std::size_t bytes = 0;
  };
  std::array<Known, 2> known_{};  // forward, backward
};

}  // namespace tinycnn::detail
