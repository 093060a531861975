// How a container runs one of its children. Leaves (layers without children) are where the
// time goes, so this is the one place that times them when a LayerProfiler is attached, and
// the one place that tells a GradientHook when a leaf's parameter gradients are final.
#pragma once
#include <algorithm>
#include <chrono>

#include "tinycnn/graph/gradient_hook.hpp"
#include "tinycnn/graph/profiler.hpp"
#include "tinycnn/layers/layer.hpp"

namespace tinycnn::detail {

// A container visits its children with for_each; a leaf has none.
template <class L>
concept Container = requires(L& l) { l.for_each([](auto&) {}); };

// Runs layer.forward(x) (or forward_in_place when InPlace), timed when a profiler is attached.
template <bool InPlace = false, class L, class T>
const T* run_forward(L& layer, const T* x, Context& ctx) {
  auto call = [&] {
    if constexpr (InPlace)
      return layer.forward_in_place(const_cast<T*>(x), ctx);  // the caller owns x: see Sequential
    else
      return layer.forward(x, ctx);
  };
  if constexpr (!Container<L>) {
    if (ctx.profiler) {
      auto t0 = std::chrono::steady_clock::now();
      const T* y = call();
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      ctx.profiler->record(&layer, L::describe(), L::flops * double(ctx.batch), false, s);
      return y;
    }
  }
  return call();
}

// Runs layer.backward; for a leaf, timed when a profiler is attached, and then, when the leaf
// has parameters, its gradients are final: the hook hears of it (after the clock has stopped).
template <class L, class T>
void run_backward(L& layer, const T* x, const T* dy, T* dx, Context& ctx) {
  if constexpr (!Container<L>) {
    if (ctx.profiler) {
      auto t0 = std::chrono::steady_clock::now();
      layer.backward(x, dy, dx, ctx);
      double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      ctx.profiler->record(&layer, L::describe(), L::flops * double(ctx.batch), true, s);
    } else {
      layer.backward(x, dy, dx, ctx);
    }
    if constexpr (L::num_params > 0)
      if (ctx.gradients_ready) ctx.gradients_ready->leaf_gradients_ready(&layer);
  } else {
    layer.backward(x, dy, dx, ctx);
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

}  // namespace tinycnn::detail
