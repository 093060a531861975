// BatchNorm<options...>: per-channel normalisation over batch, height and width. Training uses
// the batch's statistics and updates running averages; evaluation uses the running averages.
// Trainable: beta, and gamma unless NoGamma (TensorFlow's scale=False, as in InceptionV3).
// State (saved, not trained): running mean and running variance.
//   BatchNorm<>                                         epsilon 1e-3, momentum 0.99, gamma
//   BatchNorm<Epsilon<std::ratio<1, 100000>>, Momentum<std::ratio<997, 1000>>>   (ResNet)
#pragma once
#include <cmath>
#include <string>
#include <tuple>
#include <vector>

#include "tinycnn/core/tensor.hpp"
#include "tinycnn/kernels/all.hpp"
#include "tinycnn/layers/layer.hpp"
#include "tinycnn/layers/tensor_info.hpp"
#include "tinycnn/layers/options.hpp"

namespace tinycnn {

template <class... Opts>
struct BatchNorm {
  static_assert(options_allowed<std::tuple<option_kind::epsilon, option_kind::momentum, option_kind::gamma>, Opts...>,
                "tinycnn: BatchNorm accepts only Epsilon<>, Momentum<> and WithGamma/NoGamma as options");
  static constexpr double epsilon = pick_option<option_kind::epsilon, Epsilon<std::ratio<1, 1000>>, Opts...>::value;
  static constexpr double momentum = pick_option<option_kind::momentum, Momentum<std::ratio<99, 100>>, Opts...>::value;
  static constexpr bool has_gamma = pick_option<option_kind::gamma, WithGamma, Opts...>::enabled;

  template <class T, class In>
  class impl {
    static constexpr index_t C = In::channels;

   public:
    using in_dims = In;
    using out_dims = In;
    static constexpr index_t num_params = (has_gamma ? 2 : 1) * C;  // [beta, gamma]
    static constexpr index_t num_state = 2 * C;                      // [running mean, running var]
    static constexpr index_t param_storage = storage_for<T>(num_params);
    static constexpr index_t state_storage = storage_for<T>(num_state);
    static constexpr double flops = 4.0 * double(In::size);
    // dx = a * dy + b + k * (x - mean), per channel. Its output can be recomputed from its
    // input with the affine map the forward saved, so a chain may keep it in a transient buffer.
    static constexpr PlanTraits plan_traits{.elementwise_backward = true, .recomputable = true};

    // beta first, then gamma (the reverse of PyTorch's weight-then-bias); the statistics in
    // state(): moving mean, then moving variance.
    static std::vector<TensorInfo> tensors() {
      std::vector<TensorInfo> t{{"beta", {C}, "C", 0, false}};
      if constexpr (has_gamma) t.push_back({"gamma", {C}, "C", C, false});
      t.push_back({"moving_mean", {C}, "C", 0, true});
      t.push_back({"moving_variance", {C}, "C", C, true});
      return t;
    }
    static std::string describe() { return "BatchNorm " + std::to_string(C) + (has_gamma ? "" : " nogamma"); }

    void plan(index_t batch) {
      plan_transient(batch);
      out_.reshape(shape_of<In>(batch));
    }
    // No output buffer: the caller hands one to forward_into and recompute.
    void plan_transient(index_t batch) {
      rows_ = batch * In::height * In::width;
      out_ = Tensor<T>();
      saved_.resize(4 * C);
    }
    void bind(Slices<T> s) { p_ = s; }
    void init(Rng&) {
      std::fill(p_.params, p_.params + num_params, T(0));
      if constexpr (has_gamma) std::fill(gamma(p_.params), gamma(p_.params) + C, T(1));
      std::fill(p_.state, p_.state + C, T(0));
      std::fill(p_.state + C, p_.state + 2 * C, T(1));
    }
    std::size_t activation_bytes() const { return out_.bytes() + saved_.bytes(); }
    // Per-channel arrays and partial sums; forward may run in either mode.
    std::size_t workspace_bytes(const WorkspacePlan& w) const {
      std::size_t bytes = std::max(kernels::batch_norm_training_workspace<T>(rows_, C, w.intra),
                                   kernels::batch_norm_inference_workspace<T>(C));
      if (w.backward) bytes = std::max(bytes, kernels::batch_norm_backward_workspace<T>(rows_, C, w.intra));
      return bytes;
    }
    const T* forward(const T* x, Context& ctx) { return forward_into(x, out_.data(), ctx); }
    // relu: a ReLU that follows is applied in the same pass (PlanTraits::fusable_relu).
    const T* forward_into(const T* x, T* y, Context& ctx, bool relu = false) {
      y_ = y;
      if (ctx.mode == Mode::Train) {
        kernels::batch_norm_forward_training(x, y, rows_, C, gamma(p_.params), p_.params,
                                             kernels::BatchNormConfig{epsilon, momentum, relu}, saved_mean(),
                                             saved_invstd(), saved_scale(), saved_offset(), p_.state, p_.state + C,
                                             ctx.exec);
      } else {
        inference(x, y, ctx, relu);
      }
      return y;
    }
    // The output of the last forward on x again, bit for bit: in training with the map that
    // forward applied (the batch's statistics are not gathered again, nor the running averages
    // updated); in evaluation the running statistics give the same map as before.
    void recompute(const T* x, T* y, Context& ctx, bool relu = false) {
      if (ctx.mode == Mode::Train)
        kernels::batch_norm_apply(x, y, rows_, C, saved_scale(), saved_offset(), relu, ctx.exec);
      else
        inference(x, y, ctx, relu);
    }
    void backward(const T* x, const T* dy, T* dx, Context& ctx) {
      if (ctx.mode == Mode::Eval) return backward_inference(x, dy, dx);
      // The kernel needs somewhere to write dx even when nobody wants it: use where the output
      // went, which backward no longer needs.
      kernels::batch_norm_backward(x, dy, dx ? dx : y_, rows_, C, gamma(p_.params), saved_mean(), saved_invstd(),
                                   gamma(p_.grads), p_.grads, ctx.exec);
    }

   private:
    void inference(const T* x, T* y, Context& ctx, bool relu) {
      kernels::batch_norm_forward_inference(x, y, rows_, C, gamma(p_.params), p_.params, p_.state, p_.state + C,
                                            epsilon, relu, ctx.exec);
    }
    // In evaluation the statistics are constants, so the layer is a per-channel affine map:
    // dx = dy * gamma * invstd, dgamma = sum(dy * xhat), dbeta = sum(dy). Rarely on a hot path
    // (fine-tuning with frozen statistics), so plain loops in double.
    void backward_inference(const T* x, const T* dy, T* dx) {
      const T* mean = p_.state;
      const T* var = p_.state + C;
      const T* g = gamma(p_.params);
      std::vector<double> dbeta(C, 0.0), dgamma(C, 0.0);
      for (index_t r = 0; r < rows_; ++r)
        for (index_t ch = 0; ch < C; ++ch) {
          double invstd = 1.0 / std::sqrt(double(var[ch]) + epsilon);
          double d = dy[r * C + ch];
          dbeta[ch] += d;
          dgamma[ch] += d * (double(x[r * C + ch]) - double(mean[ch])) * invstd;
          if (dx) dx[r * C + ch] = T(d * (g ? double(g[ch]) : 1.0) * invstd);
        }
      for (index_t ch = 0; ch < C; ++ch) {
        p_.grads[ch] = T(dbeta[ch]);
        if constexpr (has_gamma) p_.grads[C + ch] = T(dgamma[ch]);
      }
    }
    static T* gamma(T* base) { return has_gamma ? base + C : nullptr; }
    T* saved_mean() { return saved_.data(); }
    T* saved_invstd() { return saved_.data() + C; }
    T* saved_scale() { return saved_.data() + 2 * C; }
    T* saved_offset() { return saved_.data() + 3 * C; }
    index_t rows_ = 0;
    Slices<T> p_;
    Tensor<T> out_;      // none when planned transient
    T* y_ = nullptr;     // where the last forward wrote
    AlignedBuffer<T> saved_;  // batch mean, 1/stddev and the affine map applied, for backward
  };
};

}  // namespace tinycnn
