// Flatten: [H, W, C] -> [1, 1, H*W*C]. NHWC memory is already in that order, so forward hands
// its input on unchanged; only the type changes.
#pragma once
#include <algorithm>

#include "tinycnn/layers/layer.hpp"

namespace tinycnn {

struct Flatten {
  template <class T, class In>
  struct impl : LayerBase<T, In, Dims<1, 1, In::size>> {
    static std::string describe() { return "Flatten"; }
    void plan(index_t batch) { batch_ = batch; }
    const T* forward(const T* x, Context&) { return x; }
    void backward(const T*, const T* dy, T* dx, Context&) {
      if (dx) std::copy(dy, dy + batch_ * In::size, dx);
    }
    index_t batch_ = 0;
  };
};

// Identity: the shortcut of a residual block whose shape does not change.
struct Identity {
  template <class T, class In>
  struct impl : LayerBase<T, In, In> {
    static std::string describe() { return "Identity"; }
    void plan(index_t batch) { batch_ = batch; }
    const T* forward(const T* x, Context&) { return x; }
    void backward(const T*, const T* dy, T* dx, Context&) {
      if (dx) std::copy(dy, dy + batch_ * In::size, dx);
    }
    index_t batch_ = 0;
  };
};

}  // namespace tinycnn
