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
// backward overwrites (never accumulates) its parameter gradients and dx; dx may be null when
// nobody needs the input gradient (the first layer). x is the same pointer forward was given.
#pragma once
#include <concepts>
#include <string>

#include "tinycnn/core/aligned_buffer.hpp"
#include "tinycnn/core/random.hpp"
#include "tinycnn/core/shape.hpp"

namespace tinycnn {

enum class Mode { Train, Eval };

class LayerProfiler;
class GradientHook;

struct Context {
  Mode mode = Mode::Train;
  Rng* rng = nullptr;                  // dropout masks
  LayerProfiler* profiler = nullptr;   // per-layer timing, when attached (graph/profiler.hpp)
  index_t batch = 0;                   // set by the Network for each pass
  void* scratch = nullptr;             // backward's temporary gradients (see scratch_size below)
  GradientHook* gradients_ready = nullptr;  // told when a leaf's gradients are final (graph/gradient_hook.hpp)
};

// Backward needs temporary gradient buffers (between the layers of a Sequential, for a
// shortcut, for each Concat branch). They live only while the container's backward runs, so
// instead of each container owning its own, the Network allocates one arena and each container
// takes its part and hands the rest to its children: the arena's size is the deepest nesting's
// sum, not the total over all containers. A layer that needs some declares
//   static constexpr index_t scratch_size(index_t batch)   (elements of T, itself + children)
// and finds them at ctx.scratch during backward.
template <class L>
constexpr index_t scratch_size_of(index_t batch) {
  if constexpr (requires { L::scratch_size(batch); })
    return L::scratch_size(batch);
  else
    return 0;
}

// Some layers return their input pointer as their output (Flatten, Identity, Dropout when not
// training): their output is not a buffer of their own. They declare forwards_input = true.
template <class L>
constexpr bool forwards_input() {
  if constexpr (requires { L::forwards_input; })
    return L::forwards_input;
  else
    return false;
}

// A layer whose backward reads its own forward output (ReLU) declares reads_own_output = true:
// nobody may then write over that output (see Residual's in-place add).
template <class L>
constexpr bool reads_own_output() {
  if constexpr (requires { L::reads_own_output; })
    return L::reads_own_output;
  else
    return false;
}

// A layer whose backward computes each element of dx from the same element of dy, x and its
// output (and per-channel constants found first), as ReLU and BatchNorm do, declares
// elementwise_backward = true: its dx may then share a buffer with its dy or its own output,
// which lets a Sequential keep gradients in dead activations (graph/sequential.hpp).
template <class L>
constexpr bool elementwise_backward() {
  if constexpr (requires { L::elementwise_backward; })
    return L::elementwise_backward;
  else
    return false;
}

// A layer that can compute its output over its input's buffer (ReLU) declares
// in_place = true and provides plan_in_place(batch) (no output buffer) and
// forward_in_place(T* x, Context&). A Sequential uses that form only when the input buffer
// belongs to an earlier sibling, i.e. is nobody else's input.
template <class L>
constexpr bool runs_in_place() {
  if constexpr (requires { L::in_place; })
    return L::in_place;
  else
    return false;
}

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
