// Momentum and Nesterov momentum with tf.train.MomentumOptimizer's rule, in which the learning
// rate multiplies the accumulator at use rather than being folded into it, so changing the rate
// mid-training rescales the whole step at once:
//   accum = momentum * accum + g
//   w -= lr * accum                       (plain)
//   w -= lr * (g + momentum * accum)      (use_nesterov = True)
#pragma once
#include "tinycnn/optim/optimizer.hpp"

namespace tinycnn::optim {

struct Momentum {
  static constexpr int state_per_param = 1;  // the accumulator, zero at first

  LearningRate learning_rate = Constant{0.01};
  double momentum = 0.9;  // TensorFlow has no default; 0.9 is its CNN benchmark's
  double weight_decay = 0.0;
  bool nesterov = false;

  template <class T>
  void init_state(std::span<T> state) const {
    detail::fill(state, T(0));
  }

  // The whole planar state buffer (state_per_param x w.size() elements).
  template <class T>
  void update(std::span<T> w, std::span<const T> g, std::span<T> state, std::int64_t step, double lr,
              const parallel::Execution& ex) const {
    detail::check_sizes(w.size(), g.size(), state.size(), state_per_param, name().c_str());
    update(w, g, StatePlanes<T>{state.data(), static_cast<index_t>(w.size())}, step, lr, ex);
  }
  // w and g are a run of a larger buffer whose state planes are given (optim::update_range).
  template <class T>
  void update(std::span<T> w, std::span<const T> g, StatePlanes<T> state, std::int64_t /*step*/, double lr,
              const parallel::Execution& ex) const {
    const T neg_lr = static_cast<T>(-lr), m = static_cast<T>(momentum), wd = static_cast<T>(weight_decay);
    if (nesterov) {
      detail::for_each_param<state_per_param>(w, g, state, ex, [=](auto& wv, auto gv, auto& s) {
        using V = std::remove_cvref_t<decltype(wv)>;
        gv = detail::fma(V(wd), wv, gv);
        s[0] = detail::fma(V(m), s[0], gv);
        wv = detail::fma(V(neg_lr), detail::fma(V(m), s[0], gv), wv);
      });
    } else {
      detail::for_each_param<state_per_param>(w, g, state, ex, [=](auto& wv, auto gv, auto& s) {
        using V = std::remove_cvref_t<decltype(wv)>;
        gv = detail::fma(V(wd), wv, gv);
        s[0] = detail::fma(V(m), s[0], gv);
        wv = detail::fma(V(neg_lr), s[0], wv);
      });
    }
  }

  std::string name() const { return nesterov ? "nesterov" : "momentum"; }
};

static_assert(Optimizer<Momentum>);

}  // namespace tinycnn::optim
