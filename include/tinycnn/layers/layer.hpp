// What a layer is.
//
// A user writes layer *specs*: Conv2D<32, 5>, ReLU, MaxPool<2> ... A spec has no element type
// and no input shape; the graph instantiates it as `Spec::impl<T, InDims>`, a concrete layer
// whose output shape is computed from its input shape at compile time. A concrete layer:
//   using in_dims, out_dims;                 per-image shapes (Dims<H, W, C>)
//   static constexpr index_t num_params;     trainable values, counted exactly
//   static constexpr index_t num_state;      saved non-trainable values (batch-norm statistics)
//   static constexpr double flops;           forward FLOPs per image (multiply + add = 2)
//   static std::string describe();           one line, used in model signatures and reports
//   void plan(index_t batch);                allocate outputs and workspaces, once
//   void bind(Slices<T>);                    where its parameters, gradients and state live
//   void init(Rng&);                         initial parameters and state
//   const T* forward(const T* x, Context&);  returns its output (batch x out_dims::size)
//   void backward(const T* x, const T* dy, T* dx, Context&);
//   static constexpr PlanTraits plan_traits;  optional: what the memory planner may assume
//                                             (plan_traits.hpp)
// backward overwrites (never accumulates) its parameter gradients and dx; dx may be null when
// nobody needs the input gradient (the first layer). x is the same pointer forward was given.
#pragma once
#include <concepts>
#include <string>

#include "tinycnn/core/aligned_buffer.hpp"
#include "tinycnn/core/random.hpp"
#include "tinycnn/core/shape.hpp"
#include "tinycnn/layers/plan_traits.hpp"
#include "tinycnn/parallel/execution.hpp"

namespace tinycnn {

enum class Mode { Train, Eval };

class LayerProfiler;
class GradientHook;

// What one pass hands down to every layer and, through `exec`, to every kernel: threads and
// workspace come from here, never from a process-wide setting (parallel/execution.hpp).
struct Context {
  Mode mode = Mode::Train;
  Rng* rng = nullptr;                  // dropout masks
  LayerProfiler* profiler = nullptr;   // per-layer timing, when attached (graph/profiler.hpp)
  index_t batch = 0;                   // set by the Network for each pass
  void* scratch = nullptr;             // backward's temporary gradients (see scratch_size below)
  void* transient = nullptr;           // outputs recomputed in backward, not kept (plan_traits.hpp)
  parallel::Execution exec;            // set by the Network: its threads and planned workspace
  GradientHook* gradients_ready = nullptr;  // told when a leaf's gradients are final (graph/gradient_hook.hpp)
  parallel::Trace* trace = nullptr;    // when each leaf ran, and on how many threads (parallel/trace.hpp)
};

// What a kernel workspace is planned for: the threads the passes will run with, and whether
// backward runs too (inference never holds backward's workspace).
struct WorkspacePlan {
  int intra = 1;
  int inter = 1;
  bool backward = false;
};

// A layer whose kernels take workspace (a convolution's packed panels, a dense layer's GEMM)
// states how many bytes, after plan(batch), with
//   std::size_t workspace_bytes(const WorkspacePlan&) const
// and finds them at ctx.exec.workspace. Containers combine their children's needs
// (graph/node.hpp: workspace_of).

// scratch_size (backward's arena) and the other facts the memory planner reads about a layer:
// layers/plan_traits.hpp.

// Carves cache-line aligned pieces off a scratch arena.
template <class T>
struct ScratchCursor {
  T* next;
  T* take(index_t n) {
    T* p = next;
    next += align_count<T>(n);
    return p;
  }
};

// A layer's part of the model's flat parameter, gradient and state buffers.
template <class T>
struct Slices {
  T* params = nullptr;
  T* grads = nullptr;
  T* state = nullptr;
};

template <class Spec, class T, class In>
using impl_of = typename Spec::template impl<T, In>;

template <class L, class T>
concept Layer = requires(L l, const T* x, T* dx, Context& ctx, Rng& rng, index_t n) {
  typename L::in_dims;
  typename L::out_dims;
  { L::num_params } -> std::convertible_to<index_t>;
  { L::num_state } -> std::convertible_to<index_t>;
  { L::param_storage } -> std::convertible_to<index_t>;
  { L::state_storage } -> std::convertible_to<index_t>;
  { L::flops } -> std::convertible_to<double>;
  { L::describe() } -> std::convertible_to<std::string>;
  l.plan(n);
  l.bind(Slices<T>{});
  l.init(rng);
  { l.forward(x, ctx) } -> std::convertible_to<const T*>;
  l.backward(x, x, dx, ctx);
};

// Defaults for the many layers without parameters or state.
template <class T, class In, class Out>
struct LayerBase {
  using in_dims = In;
  using out_dims = Out;
  static constexpr index_t num_params = 0;
  static constexpr index_t num_state = 0;
  static constexpr index_t param_storage = 0;
  static constexpr index_t state_storage = 0;
  static constexpr double flops = 0.0;
  void bind(Slices<T>) {}
  void init(Rng&) {}
};

// Leaves with parameters reserve whole cache lines, so every layer's slice starts aligned.
template <class T>
constexpr index_t storage_for(index_t n) {
  return align_count<T>(n);
}

}  // namespace tinycnn
