// Conv2D<Filters, Kernel, options...>: a 2-D convolution over NHWC input with HWIO weights.
//   Conv2D<32, 5>                         5x5, stride 1, SAME, with bias, Glorot-uniform weights
//   Conv2D<64, 3, Stride<2>, Pad::Valid, NoBias>
//   Conv2D<192, Kernel{1, 7}>             a 1x7 window (InceptionV3)
// Options: Stride<>, Pad::{Same, Valid, Explicit<>}, WithBias/NoBias, a weight initialiser
// (GlorotUniform, TruncatedNormal<>, ScaledTruncatedNormal<>), BiasInit<>.
#pragma once
#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include "tinycnn/core/tensor.hpp"
#include "tinycnn/kernels/all.hpp"
#include "tinycnn/layers/init.hpp"
#include "tinycnn/layers/layer.hpp"
#include "tinycnn/layers/tensor_info.hpp"
#include "tinycnn/layers/options.hpp"
#include "tinycnn/parallel/branches.hpp"
#include "tinycnn/parallel/trace.hpp"

namespace tinycnn {

template <index_t Filters, Kernel K, class... Opts>
struct Conv2D {
  static_assert(Filters > 0, "tinycnn: Conv2D needs at least one filter");
  static_assert(K.h > 0 && K.w > 0, "tinycnn: Conv2D's kernel size must be positive");
  static_assert(options_allowed<std::tuple<option_kind::stride, option_kind::padding, option_kind::bias,
                                           option_kind::weight_init, option_kind::bias_init>,
                                Opts...>,
                "tinycnn: Conv2D accepts only Stride<>, Pad::Same/Valid/Explicit<>, WithBias/NoBias, "
                "a weight initialiser and BiasInit<> as options");
  using stride = pick_option<option_kind::stride, Stride<1>, Opts...>;
  using padding = pick_option<option_kind::padding, Pad::Same, Opts...>;
  static constexpr bool has_bias = pick_option<option_kind::bias, WithBias, Opts...>::enabled;
  using weight_init = pick_option<option_kind::weight_init, GlorotUniform, Opts...>;
  using bias_init = pick_option<option_kind::bias_init, BiasInit<>, Opts...>;

  template <class T, class In>
  class impl {
    static constexpr Window win = make_window(In::height, In::width, K.h, K.w, stride::h, stride::w,
                                              padding::mode, padding::h, padding::w);
    static_assert(win.out_h > 0 && win.out_w > 0,
                  "tinycnn: Conv2D's window is larger than its (padded) input: the output would be empty");

   public:
    using in_dims = In;
    using out_dims = Dims<win.out_h, win.out_w, Filters>;
    static constexpr index_t num_weights = K.h * K.w * In::channels * Filters;
    static constexpr index_t num_params = num_weights + (has_bias ? Filters : 0);
    static constexpr index_t num_state = 0;
    static constexpr index_t param_storage = storage_for<T>(num_params);
    static constexpr index_t state_storage = 0;
    static constexpr double flops = 2.0 * double(out_dims::height * out_dims::width) *
                                    double(K.h * K.w * In::channels) * double(Filters);

    // Weights HWIO ([kernel h, kernel w, in, out], TensorFlow's order), then the bias.
    static std::vector<TensorInfo> tensors() {
      std::vector<TensorInfo> t{{"weights", {K.h, K.w, In::channels, Filters}, "HWIO", 0, false}};
      if constexpr (has_bias) t.push_back({"bias", {Filters}, "C", num_weights, false});
      return t;
    }
    static std::string describe() {
      return "Conv2D " + std::to_string(K.h) + "x" + std::to_string(K.w) + "/" + std::to_string(stride::h) +
             (stride::h != stride::w ? "x" + std::to_string(stride::w) : "") +
             (padding::mode == Padding::Same ? " SAME" : padding::mode == Padding::Valid ? " VALID" : " PAD" + std::to_string(padding::h)) +
             " " + std::to_string(In::channels) + "->" + std::to_string(Filters) + (has_bias ? "" : " nobias");
    }

    void plan(index_t batch) {
      shape_ = {batch, In::channels, Filters, win};
      out_.reshape(shape_of<out_dims>(batch));
    }
    void bind(Slices<T> s) { p_ = s; }
    void init(Rng& rng) {
      weight_init::fill(p_.params, num_weights, K.h * K.w * In::channels, K.h * K.w * Filters, rng);
      if constexpr (has_bias) bias_init::fill(p_.params + num_weights, Filters);
    }

    const T* forward(const T* x, Context& ctx) {
      kernels::conv_forward(shape_, x, static_cast<const T*>(p_.params), out_.data(), T(0), ctx.exec);
      if constexpr (has_bias)
        kernels::bias_add_forward(out_.data(), p_.params + num_weights, out_.data(), shape_.pixels(), Filters, ctx.exec);
      return out_.data();
    }

    // The weight (and bias) gradients and the input gradient read the same dy and write apart:
    // with num_inter_threads > 1 they run side by side, each on its share of the threads.
    void backward(const T* x, const T* dy, T* dx, Context& ctx) {
      const int pieces = dx ? 2 : 1;
      const std::size_t slot = backward_piece_bytes(parallel::branch_split(ctx.exec.intra, ctx.exec.inter, pieces).share);
      parallel::run_branches(ctx.exec, pieces, slot, [&](int i, const parallel::Execution& ex) {
        if (i == 0) {
          parallel::traced(ex, [] { return describe() + " backward weights"; }, [&](const parallel::Execution& e) {
            kernels::conv_backward_weights(shape_, x, dy, p_.grads, T(0), e);
            if constexpr (has_bias) kernels::bias_add_backward(dy, p_.grads + num_weights, shape_.pixels(), Filters, e);
          });
        } else {
          parallel::traced(ex, [] { return describe() + " backward data"; }, [&](const parallel::Execution& e) {
            kernels::conv_backward_data(shape_, dy, static_cast<const T*>(p_.params), dx, e);
          });
        }
      });
    }

    // The kernels' workspace: the largest of the passes that will run; backward's two pieces
    // take a slot each when they run side by side.
    std::size_t workspace_bytes(const WorkspacePlan& w) const {
      std::size_t bytes = kernels::conv_forward_workspace<T>(shape_, w.intra);
      if (w.backward) {
        const parallel::BranchSplit split = parallel::branch_split(w.intra, w.inter, 2);
        bytes = std::max({bytes, backward_piece_bytes(w.intra),
                          parallel::branch_slots_bytes(split, backward_piece_bytes(split.share))});
      }
      return bytes;
    }

    const kernels::ConvShape& conv_shape() const { return shape_; }
    std::size_t activation_bytes() const { return out_.bytes(); }

   private:
    std::size_t backward_piece_bytes(int threads) const {
      std::size_t bytes = std::max(kernels::conv_backward_weights_workspace<T>(shape_, threads),
                                   kernels::conv_backward_data_workspace<T>(shape_, threads));
      if constexpr (has_bias)
        bytes = std::max(bytes, kernels::bias_add_backward_workspace<T>(shape_.pixels(), Filters, threads));
      return bytes;
    }

    kernels::ConvShape shape_;
    Slices<T> p_;
    Tensor<T> out_;
  };
};

}  // namespace tinycnn
