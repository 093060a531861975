// Pooling layers with TensorFlow's semantics: padding never wins a max, and an average counts
// only the elements inside the image.
//   MaxPool<2>                      2x2 window, stride 2, VALID
//   MaxPool<3, Stride<2>>           overlapping 3x3 windows (AlexNet, ResNet)
//   AvgPool<3, Stride<1>, Pad::Same>
//   GlobalAvgPool                   [H, W, C] -> [1, 1, C]
#pragma once
#include <string>
#include <tuple>

#include "tinycnn/core/tensor.hpp"
#include "tinycnn/kernels/all.hpp"
#include "tinycnn/layers/layer.hpp"
#include "tinycnn/layers/options.hpp"

namespace tinycnn {

namespace detail {

enum class PoolKind { Max, Average };

template <PoolKind Kind, Kernel K, class... Opts>
struct Pool {
  static_assert(K.h > 0 && K.w > 0, "tinycnn: a pooling window must be positive");
  static_assert(options_allowed<std::tuple<option_kind::stride, option_kind::padding>, Opts...>,
                "tinycnn: pooling layers accept only Stride<> and Pad::Same/Valid/Explicit<> as options");
  using stride = pick_option<option_kind::stride, Stride<K.h, K.w>, Opts...>;
  using padding = pick_option<option_kind::padding, Pad::Valid, Opts...>;

  template <class T, class In>
  class impl {
    static constexpr Window win = make_window(In::height, In::width, K.h, K.w, stride::h, stride::w,
                                              padding::mode, padding::h, padding::w);
    static_assert(win.out_h > 0 && win.out_w > 0,
                  "tinycnn: the pooling window is larger than its (padded) input: the output would be empty");

   public:
    using in_dims = In;
    using out_dims = Dims<win.out_h, win.out_w, In::channels>;
    static constexpr index_t num_params = 0, num_state = 0, param_storage = 0, state_storage = 0;
    static constexpr double flops = double(out_dims::size) * double(K.h * K.w);

    static std::string describe() {
      return std::string(Kind == PoolKind::Max ? "MaxPool " : "AvgPool ") + std::to_string(K.h) + "x" +
             std::to_string(K.w) + "/" + std::to_string(stride::h) +
             (padding::mode == Padding::Same ? " SAME" : padding::mode == Padding::Valid ? " VALID" : " PAD");
    }
    void plan(index_t batch) {
      batch_ = batch;
      out_.reshape(shape_of<out_dims>(batch));
    }
    void bind(Slices<T>) {}
    void init(Rng&) {}
    const T* forward(const T* x, Context& ctx) {
      if constexpr (Kind == PoolKind::Max)
        kernels::max_pool_forward(x, out_.data(), batch_, In::channels, win, ctx.exec);
      else
        kernels::avg_pool_forward(x, out_.data(), batch_, In::channels, win, ctx.exec);
      return out_.data();
    }
    void backward(const T* x, const T* dy, T* dx, Context& ctx) {
      if (!dx) return;
      if constexpr (Kind == PoolKind::Max)
        kernels::max_pool_backward(x, dy, dx, batch_, In::channels, win, ctx.exec);
      else
        kernels::avg_pool_backward(dy, dx, batch_, In::channels, win, ctx.exec);
    }

    std::size_t activation_bytes() const { return out_.bytes(); }

   private:
    index_t batch_ = 0;
    Tensor<T> out_;
  };
};

}  // namespace detail

template <Kernel K, class... Opts>
struct MaxPool : detail::Pool<detail::PoolKind::Max, K, Opts...> {};
template <Kernel K, class... Opts>
struct AvgPool : detail::Pool<detail::PoolKind::Average, K, Opts...> {};

struct GlobalAvgPool {
  template <class T, class In>
  struct impl : LayerBase<T, In, Dims<1, 1, In::channels>> {
    static constexpr double flops = double(In::size);
    static std::string describe() { return "GlobalAvgPool"; }
    void plan(index_t batch) {
      batch_ = batch;
      out_.reshape(shape_of<Dims<1, 1, In::channels>>(batch));
    }
    const T* forward(const T* x, Context& ctx) {
      kernels::global_avg_pool_forward(x, out_.data(), batch_, In::height, In::width, In::channels, ctx.exec);
      return out_.data();
    }
    void backward(const T*, const T* dy, T* dx, Context& ctx) {
      if (dx) kernels::global_avg_pool_backward(dy, dx, batch_, In::height, In::width, In::channels, ctx.exec);
    }
    std::size_t activation_bytes() const { return out_.bytes(); }
    index_t batch_ = 0;
    Tensor<T> out_;
  };
};

}  // namespace tinycnn
