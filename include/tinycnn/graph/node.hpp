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

// Calls call(ctx), as a traced event "<describe> forward|backward" when a Trace is attached.
template <class L, class Call>
auto traced_leaf(Context& ctx, bool backward, Call& call) {
  using Result = decltype(call(ctx));
  if (!ctx.exec.trace) return call(ctx);
  Context inner = ctx;
  std::conditional_t<std::is_void_v<Result>, int, Result> result{};
  parallel::traced(ctx.exec, [&] { return L::describe() + (backward ? " backward" : " forward"); },
                   [&](const parallel::Execution& ex) {
                     inner.exec = ex;
                     if constexpr (std::is_void_v<Result>)
                       call(inner);
                     else
                       result = call(inner);
                   });
  if constexpr (!std::is_void_v<Result>) return result;
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
  if constexpr (!Container<L>) {
    auto leaf = [&](Context& c) { return traced_leaf<L>(c, false, call); };
    if (ctx.profiler) {
      auto t0 = std::chrono::steady_clock::now();
      const T* y = leaf(ctx);
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      ctx.profiler->record(&layer, L::describe(), L::flops * double(ctx.batch), false, s);
      return y;
    }
    return leaf(ctx);
  }
  return call(ctx);
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
      traced_leaf<L>(ctx, true, call);
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      ctx.profiler->record(&layer, L::describe(), L::flops * double(ctx.batch), true, s);
    } else {
      traced_leaf<L>(ctx, true, call);
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
