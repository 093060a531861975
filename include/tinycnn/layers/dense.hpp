// Dense<Units, options...>: a fully connected layer, y = x W + b with W stored [inputs, units].
// Its input must be flat (1 x 1 x C): put Flatten before it, as TensorFlow's reshape.
// Options: WithBias/NoBias, a weight initialiser (default ScaledTruncatedNormal<2>, the
// TensorFlow benchmark's sqrt(2 / fan_in)), BiasInit<>.
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

namespace tinycnn {

template <index_t Units, class... Opts>
struct Dense {
  static_assert(Units > 0, "tinycnn: Dense needs at least one unit");
  static_assert(options_allowed<std::tuple<option_kind::bias, option_kind::weight_init, option_kind::bias_init>,
                                Opts...>,
                "tinycnn: Dense accepts only WithBias/NoBias, a weight initialiser and BiasInit<> as options");
  static constexpr bool has_bias = pick_option<option_kind::bias, WithBias, Opts...>::enabled;
  using weight_init = pick_option<option_kind::weight_init, ScaledTruncatedNormal<>, Opts...>;
  using bias_init = pick_option<option_kind::bias_init, BiasInit<>, Opts...>;

  template <class T, class In>
  class impl {
    static_assert(In::height == 1 && In::width == 1,
                  "tinycnn: Dense needs a flat input (1 x 1 x C) but gets an image: put Flatten before Dense");
    static constexpr index_t inputs = In::channels;

   public:
    using in_dims = In;
    using out_dims = Dims<1, 1, Units>;
    static constexpr index_t num_weights = inputs * Units;
    static constexpr index_t num_params = num_weights + (has_bias ? Units : 0);
    static constexpr index_t num_state = 0;
    static constexpr index_t param_storage = storage_for<T>(num_params);
    static constexpr index_t state_storage = 0;
    static constexpr double flops = 2.0 * double(inputs) * double(Units);

    // Weights IO ([inputs, units], TensorFlow's order; PyTorch's Linear stores the transpose),
    // then the bias.
    static std::vector<TensorInfo> tensors() {
      std::vector<TensorInfo> t{{"weights", {inputs, Units}, "IO", 0, false}};
      if constexpr (has_bias) t.push_back({"bias", {Units}, "C", num_weights, false});
      return t;
    }
    static std::string describe() {
      return "Dense " + std::to_string(inputs) + "->" + std::to_string(Units) + (has_bias ? "" : " nobias");
    }

    void plan(index_t batch) {
      batch_ = batch;
      out_.reshape(shape_of<out_dims>(batch));
    }
    void bind(Slices<T> s) { p_ = s; }
    void init(Rng& rng) {
      weight_init::fill(p_.params, num_weights, inputs, Units, rng);
      if constexpr (has_bias) bias_init::fill(p_.params + num_weights, Units);
    }

    const T* forward(const T* x, Context& ctx) {
      using kernels::Trans;
      kernels::gemm<T>(Trans::No, Trans::No, batch_, Units, inputs, T(1), x, inputs, p_.params, Units, T(0),
                       out_.data(), Units, ctx.exec);
      if constexpr (has_bias)
        kernels::bias_add_forward(out_.data(), p_.params + num_weights, out_.data(), batch_, Units, ctx.exec);
      return out_.data();
    }

    void backward(const T* x, const T* dy, T* dx, Context& ctx) {
      using kernels::Trans;
      kernels::gemm<T>(Trans::Yes, Trans::No, inputs, Units, batch_, T(1), x, inputs, dy, Units, T(0), p_.grads,
                       Units, ctx.exec);
      if constexpr (has_bias) kernels::bias_add_backward(dy, p_.grads + num_weights, batch_, Units, ctx.exec);
      if (dx)
        kernels::gemm<T>(Trans::No, Trans::Yes, batch_, inputs, Units, T(1), dy, Units, p_.params, Units, T(0), dx,
                         inputs, ctx.exec);
    }

    // forward: batch x Units over inputs; backward: the weight gradient (inputs x Units over the
    // batch) and dx (batch x inputs over Units).
    std::size_t workspace_bytes(const WorkspacePlan& w) const {
      std::size_t bytes = kernels::gemm_workspace<T>({batch_, Units, inputs}, w.intra);
      if (w.backward) {
        bytes = std::max({bytes, kernels::gemm_workspace<T>({inputs, Units, batch_}, w.intra),
                          kernels::gemm_workspace<T>({batch_, inputs, Units}, w.intra)});
        if constexpr (has_bias) bytes = std::max(bytes, kernels::bias_add_backward_workspace<T>(batch_, Units, w.intra));
      }
      return bytes;
    }

    std::size_t activation_bytes() const { return out_.bytes(); }

   private:
    index_t batch_ = 0;
    Slices<T> p_;
    Tensor<T> out_;
  };
};

}  // namespace tinycnn
