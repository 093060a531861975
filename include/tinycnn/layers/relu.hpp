// ReLU: y = max(x, 0). Its backward reads its own output, not its input, so it can overwrite
// its input: inside a Sequential it does, whenever that buffer is an earlier sibling's output
// (which that sibling's backward never reads back), saving one activation per ReLU.
#pragma once
#include "tinycnn/core/tensor.hpp"
#include "tinycnn/kernels/all.hpp"
#include "tinycnn/layers/layer.hpp"

namespace tinycnn {

struct ReLU {
  template <class T, class In>
  struct impl : LayerBase<T, In, In> {
    static constexpr double flops = double(In::size);
    static constexpr PlanTraits plan_traits{
        .reads_own_output = true, .elementwise_backward = true, .in_place = true, .fusable_relu = true};
    static std::string describe() { return "ReLU"; }
    void plan(index_t batch) {
      size_ = batch * In::size;
      out_.reshape(shape_of<In>(batch));
    }
    void plan_in_place(index_t batch) {
      size_ = batch * In::size;
      out_ = Tensor<T>();
    }
    const T* forward(const T* x, Context& ctx) {
      y_ = out_.data();
      kernels::relu_forward(x, y_, size_, ctx.exec);
      return y_;
    }
    const T* forward_in_place(T* x, Context& ctx) {
      y_ = x;
      kernels::relu_forward(x, y_, size_, ctx.exec);
      return y_;
    }
    // The layer before applied this ReLU in its own pass over x (fusable_relu): only note
    // where the output is.
    const T* forward_fused(T* x, Context&) {
      y_ = x;
      return y_;
    }
    void backward(const T*, const T* dy, T* dx, Context& ctx) {
      if (dx) kernels::relu_backward(y_, dy, dx, size_, ctx.exec);
    }
    std::size_t activation_bytes() const { return out_.bytes(); }
    index_t size_ = 0;
    T* y_ = nullptr;  // where the last forward wrote
    Tensor<T> out_;   // unused when running in place
  };
};

}  // namespace tinycnn
