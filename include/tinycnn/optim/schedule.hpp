// Learning-rate schedules: small value types that map the global step (the 0-based count of
// updates already applied, as TensorFlow's global_step when the rate is read) to a rate.
// Semantics follow tf.train.* so that a schedule copied from a TensorFlow script trains the same.
#pragma once
#include <cmath>
#include <concepts>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "tinycnn/core/error.hpp"

namespace tinycnn::optim {

template <class S>
concept Schedule = std::copy_constructible<S> && requires(const S& s, std::int64_t step) {
  { s(step) } -> std::convertible_to<double>;
};

struct Constant {
  double value = 0.01;
  double operator()(std::int64_t) const { return value; }
};

// What an optimizer holds: any schedule, type-erased, so the optimizer types stay non-templates
// and a trainer can swap schedules without changing the model's type. A plain number is a
// constant rate: `optim::Sgd{.learning_rate = 0.01}`.
class LearningRate {
 public:
  LearningRate(double constant) : rate_(Constant{constant}) {}  // NOLINT: a number is meant to convert
  // LearningRate itself is excluded first: checking Schedule<LearningRate> while LearningRate's
  // own copy constructor is being chosen would depend on itself (clang refuses that).
  template <class S>
    requires(!std::same_as<S, LearningRate>) && Schedule<S> && (!std::convertible_to<S, double>)
  LearningRate(S schedule) : rate_(std::move(schedule)) {}  // NOLINT: so is any schedule
  double operator()(std::int64_t step) const { return rate_(step); }

 private:
  std::function<double(std::int64_t)> rate_;
};

// values[0] while step <= boundaries[0], values[i] while boundaries[i-1] < step <= boundaries[i],
// values.back() after the last boundary. The boundary step itself still gets the earlier value:
// that is tf.train.piecewise_constant's rule, kept so that TensorFlow step counts carry over.
class PiecewiseConstant {
 public:
  PiecewiseConstant(std::vector<std::int64_t> boundaries, std::vector<double> values)
      : boundaries_(std::move(boundaries)), values_(std::move(values)) {
    if (values_.size() != boundaries_.size() + 1)
      throw Error("PiecewiseConstant needs one more value than boundaries (got " +
                  std::to_string(boundaries_.size()) + " boundaries, " +
                  std::to_string(values_.size()) + " values)");
    for (std::size_t i = 1; i < boundaries_.size(); ++i)
      if (boundaries_[i] <= boundaries_[i - 1])
        throw Error("PiecewiseConstant boundaries must be strictly increasing");
  }

  double operator()(std::int64_t step) const {
    std::size_t i = 0;
    while (i < boundaries_.size() && step > boundaries_[i]) ++i;
    return values_[i];
  }

  const std::vector<std::int64_t>& boundaries() const { return boundaries_; }
  const std::vector<double>& values() const { return values_; }

 private:
  std::vector<std::int64_t> boundaries_;
  std::vector<double> values_;
};

// The classic step decay stated in epochs: initial until epochs[0], then initial * factor until
// epochs[1], and so on; e.g. ResNet's step_decay(0.1, 0.1, {30, 60}, steps_per_epoch).
inline PiecewiseConstant step_decay(double initial, double factor, const std::vector<std::int64_t>& epochs,
                                    std::int64_t steps_per_epoch) {
  if (steps_per_epoch <= 0) throw Error("step_decay needs a positive steps_per_epoch");
  std::vector<std::int64_t> boundaries;
  std::vector<double> values{initial};
  for (std::int64_t e : epochs) {
    boundaries.push_back(e * steps_per_epoch);
    values.push_back(values.back() * factor);
  }
  return PiecewiseConstant(std::move(boundaries), std::move(values));
}

// initial * rate^(step / decay_steps), the exponent an integer division when staircase is set:
// tf.train.exponential_decay.
struct ExponentialDecay {
  double initial = 0.1;
  std::int64_t decay_steps = 1;
  double rate = 0.96;
  bool staircase = false;

  double operator()(std::int64_t step) const {
    if (decay_steps <= 0) throw Error("ExponentialDecay needs a positive decay_steps");
    double p = static_cast<double>(step) / static_cast<double>(decay_steps);
    if (staircase) p = std::floor(p);
    return initial * std::pow(rate, p);
  }
};

}  // namespace tinycnn::optim
