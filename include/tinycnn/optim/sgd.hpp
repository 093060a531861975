// Plain stochastic gradient descent, tf.train.GradientDescentOptimizer: w -= lr * g.
#pragma once
#include "tinycnn/optim/optimizer.hpp"

namespace tinycnn::optim {

struct Sgd {
  static constexpr int state_per_param = 0;

  LearningRate learning_rate = Constant{0.01};
  double weight_decay = 0.0;

  template <class T>
  void init_state(std::span<T>) const {}

  // The whole planar state buffer (state_per_param x w.size() elements).
  template <class T>
  void update(std::span<T> w, std::span<const T> g, std::span<T> state, std::int64_t step, double lr,
              const parallel::Execution& ex) const {
    detail::check_sizes(w.size(), g.size(), state.size(), state_per_param, "sgd");
    update(w, g, StatePlanes<T>{state.data(), static_cast<index_t>(w.size())}, step, lr, ex);
  }
  // w and g are a run of a larger buffer whose state planes are given (optim::update_range).
  template <class T>
  void update(std::span<T> w, std::span<const T> g, StatePlanes<T> state, std::int64_t /*step*/, double lr,
              const parallel::Execution& ex) const {
    const T neg_lr = static_cast<T>(-lr), wd = static_cast<T>(weight_decay);
    detail::for_each_param<state_per_param>(w, g, state, ex, [=](auto& wv, auto gv, auto&) {
      using V = std::remove_cvref_t<decltype(wv)>;
      gv = detail::fma(V(wd), wv, gv);
      wv = detail::fma(V(neg_lr), gv, wv);
    });
  }

  std::string name() const { return "sgd"; }
};

static_assert(Optimizer<Sgd>);

}  // namespace tinycnn::optim
