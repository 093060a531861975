// Adam with tf.train.AdamOptimizer's rule, which folds both bias corrections into the rate and
// adds epsilon outside the square root (Kingma & Ba's "epsilon hat", section 2):
//   t    = step + 1
//   lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t)
//   m    = beta1 * m + (1 - beta1) * g
//   v    = beta2 * v + (1 - beta2) * g^2
//   w   -= lr_t * m / (sqrt(v) + epsilon)
// The powers come from the step count rather than from accumulators in the state, so a restart
// from a checkpoint only needs the step.
#pragma once
#include "tinycnn/optim/optimizer.hpp"

namespace tinycnn::optim {

struct Adam {
  static constexpr int state_per_param = 2;  // slot 0: m, slot 1: v; both zero at first

  LearningRate learning_rate = Constant{0.001};
  double beta1 = 0.9;
  double beta2 = 0.999;
  double epsilon = 1e-8;
  double weight_decay = 0.0;

  template <class T>
  void init_state(std::span<T> state) const {
    detail::fill(state, T(0));
  }

  // The rate after bias correction, computed in double whatever T is.
  double corrected_rate(std::int64_t step, double lr) const {
    const double t = static_cast<double>(step + 1);
    return lr * std::sqrt(1.0 - std::pow(beta2, t)) / (1.0 - std::pow(beta1, t));
  }

  // The whole planar state buffer (state_per_param x w.size() elements).
  template <class T>
  void update(std::span<T> w, std::span<const T> g, std::span<T> state, std::int64_t step, double lr,
              const parallel::Execution& ex) const {
    detail::check_sizes(w.size(), g.size(), state.size(), state_per_param, "adam");
    update(w, g, StatePlanes<T>{state.data(), static_cast<index_t>(w.size())}, step, lr, ex);
  }
  // w and g are a run of a larger buffer whose state planes are given (optim::update_range).
  template <class T>
  void update(std::span<T> w, std::span<const T> g, StatePlanes<T> state, std::int64_t step, double lr,
              const parallel::Execution& ex) const {
    if (step < 0) throw Error("adam: the step count must not be negative");
    const T neg_lr_t = static_cast<T>(-corrected_rate(step, lr)), b1 = static_cast<T>(beta1),
            one_minus_b1 = static_cast<T>(1.0 - beta1), b2 = static_cast<T>(beta2),
            one_minus_b2 = static_cast<T>(1.0 - beta2), eps = static_cast<T>(epsilon),
            wd = static_cast<T>(weight_decay);
    detail::for_each_param<state_per_param>(w, g, state, ex, [=](auto& wv, auto gv, auto& s) {
      using V = std::remove_cvref_t<decltype(wv)>;
      gv = detail::fma(V(wd), wv, gv);
      s[0] = detail::fma(V(b1), s[0], V(one_minus_b1) * gv);
      s[1] = detail::fma(V(b2), s[1], V(one_minus_b2) * (gv * gv));
      wv = detail::fma(V(neg_lr_t), s[0] / (detail::sqrt(s[1]) + V(eps)), wv);
    });
  }

  std::string name() const { return "adam"; }
};

static_assert(Optimizer<Adam>);

}  // namespace tinycnn::optim
