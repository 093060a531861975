// Dropout<Rate>: in training, zeroes each activation with probability Rate and scales the rest
// by 1 / (1 - Rate); in evaluation it is the identity. Dropout<Percent<50>> drops half.
#pragma once
#include <cstdint>
#include <ratio>
#include <string>

#include "tinycnn/core/tensor.hpp"
#include "tinycnn/kernels/all.hpp"
#include "tinycnn/layers/layer.hpp"
#include "tinycnn/layers/options.hpp"

namespace tinycnn {

template <class Rate>
struct Dropout {
  static constexpr double rate = double(Rate::num) / double(Rate::den);
  static_assert(rate >= 0.0 && rate < 1.0, "tinycnn: Dropout's rate must be in [0, 1)");
  static constexpr double keep = 1.0 - rate;

  template <class T, class In>
  struct impl : LayerBase<T, In, In> {
    static constexpr PlanTraits plan_traits{.forwards_input = true};  // in evaluation
    static std::string describe() { return "Dropout " + std::to_string(int(rate * 100 + 0.5)) + "%"; }
    void plan(index_t batch) {
      out_.reshape(shape_of<In>(batch));
      mask_.resize(batch * In::size);
    }
    const T* forward(const T* x, Context& ctx) {
      training_ = ctx.mode == Mode::Train;
      if (!training_) return x;
      require(ctx.rng != nullptr, "Dropout in training mode needs a random generator in the Context");
      kernels::dropout_forward_training(x, out_.data(), mask_.data(), out_.size(), keep, *ctx.rng);
      return out_.data();
    }
    void backward(const T*, const T* dy, T* dx, Context&) {
      if (!dx) return;
      if (training_)
        kernels::dropout_backward(dy, dx, mask_.data(), out_.size(), keep);
      else
        std::copy(dy, dy + out_.size(), dx);
    }
    std::size_t activation_bytes() const { return out_.bytes() + mask_.bytes(); }
    bool training_ = true;
    Tensor<T> out_;
    AlignedBuffer<std::uint8_t> mask_;
  };
};

}  // namespace tinycnn
