// ReLU: y = max(x, 0). Its backward reads its own output, not its input.
#pragma once
#include "tinycnn/core/tensor.hpp"
#include "tinycnn/kernels/activation.hpp"
#include "tinycnn/layers/layer.hpp"

namespace tinycnn {

struct ReLU {
  template <class T, class In>
  struct impl : LayerBase<T, In, In> {
    static constexpr double flops = double(In::size);
    static std::string describe() { return "ReLU"; }
    void plan(index_t batch) { out_.reshape(shape_of<In>(batch)); }
    const T* forward(const T* x, Context&) {
      kernels::relu_forward(x, out_.data(), out_.size());
      return out_.data();
    }
    void backward(const T*, const T* dy, T* dx, Context&) {
      if (dx) kernels::relu_backward(out_.data(), dy, dx, out_.size());
    }
    Tensor<T> out_;
  };
};

}  // namespace tinycnn
