// RMSProp with tf.train.RMSPropOptimizer's rule (uncentred):
//   ms  = decay * ms + (1 - decay) * g^2
//   mom = momentum * mom + lr * g / sqrt(ms + epsilon)
//   w  -= mom
// TensorFlow 1.x creates the mean-square slot ("rms") filled with ones, not zeros, and so does
// init_state: the first steps are then about lr * g instead of about lr * sign(g) / sqrt(1 - decay).
// (Keras' RMSprop starts from zeros; the two differ until decay^t has forgotten the start.)
// The defaults are TensorFlow's; its CNN benchmark uses momentum 0.9 and epsilon 1.0.
#pragma once
#include "tinycnn/optim/optimizer.hpp"

namespace tinycnn::optim {

struct RmsProp {
  static constexpr int state_per_param = 2;  // slot 0: ms (ones at first), slot 1: mom (zeros)

  LearningRate learning_rate = Constant{0.001};
  double decay = 0.9;
  double momentum = 0.0;
  double epsilon = 1e-10;
  double weight_decay = 0.0;

  template <class T>
  void init_state(std::span<T> state) const {
    const std::size_t n = state.size() / state_per_param;
    detail::fill(state.first(n), T(1));
    detail::fill(state.subspan(n), T(0));
  }

  // The whole planar state buffer (state_per_param x w.size() elements).
  template <class T>
  void update(std::span<T> w, std::span<const T> g, std::span<T> state, std::int64_t step, double lr,
              const parallel::Execution& ex) const {
    detail::check_sizes(w.size(), g.size(), state.size(), state_per_param, "rmsprop");
    update(w, g, StatePlanes<T>{state.data(), static_cast<index_t>(w.size())}, step, lr, ex);
  }
  // w and g are a run of a larger buffer whose state planes are given (optim::update_range).
  template <class T>
  void update(std::span<T> w, std::span<const T> g, StatePlanes<T> state, std::int64_t /*step*/, double lr,
              const parallel::Execution& ex) const {
    const T t_lr = static_cast<T>(lr), rho = static_cast<T>(decay), one_minus_rho = static_cast<T>(1.0 - decay),
            mu = static_cast<T>(momentum), eps = static_cast<T>(epsilon), wd = static_cast<T>(weight_decay);
    detail::for_each_param<state_per_param>(w, g, state, ex, [=](auto& wv, auto gv, auto& s) {
      using V = std::remove_cvref_t<decltype(wv)>;
      gv = detail::fma(V(wd), wv, gv);
      s[0] = detail::fma(V(rho), s[0], V(one_minus_rho) * (gv * gv));
      s[1] = detail::fma(V(mu), s[1], V(t_lr) * gv / detail::sqrt(s[0] + V(eps)));
      wv = wv - s[1];
    });
  }

  std::string name() const { return "rmsprop"; }
};

static_assert(Optimizer<RmsProp>);

}  // namespace tinycnn::optim
