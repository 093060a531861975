// Layers that hand their input on unchanged: only the type (the shape) may change.
//   Flatten:  [H, W, C] -> [1, 1, H*W*C]. NHWC memory is already in that order.
//   Identity: the shortcut of a residual block whose shape does not change.
#pragma once
#include <algorithm>

#include "tinycnn/layers/layer.hpp"

namespace tinycnn {

namespace detail {
template <class T, class In, class Out>
struct PassThrough : LayerBase<T, In, Out> {
  static constexpr PlanTraits plan_traits{.forwards_input = true};
  void plan(index_t batch) { batch_ = batch; }
  const T* forward(const T* x, Context&) { return x; }
  void backward(const T*, const T* dy, T* dx, Context&) {
    if (dx) std::copy(dy, dy + batch_ * In::size, dx);
  }
  index_t batch_ = 0;
};
}  // namespace detail

struct Flatten {
  template <class T, class In>
  struct impl : detail::PassThrough<T, In, Dims<1, 1, In::size>> {
    static std::string describe() { return "Flatten"; }
  };
};

struct Identity {
  template <class T, class In>
  struct impl : detail::PassThrough<T, In, In> {
    static std::string describe() { return "Identity"; }
  };
};

}  // namespace tinycnn
