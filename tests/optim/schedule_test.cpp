#include <doctest/doctest.h>

#include "tinycnn/core/error.hpp"
#include "tinycnn/optim/adam.hpp"
#include "tinycnn/optim/schedule.hpp"
#include "tinycnn/optim/sgd.hpp"

using namespace tinycnn;
using namespace tinycnn::optim;

static_assert(Schedule<Constant>);
static_assert(Schedule<PiecewiseConstant>);
static_assert(Schedule<ExponentialDecay>);
static_assert(!Schedule<int>);

TEST_CASE("Constant ignores the step") {
  Constant c{0.25};
  CHECK(c(0) == 0.25);
  CHECK(c(123456789) == 0.25);
}

TEST_CASE("PiecewiseConstant keeps the earlier value on the boundary step itself (TensorFlow's rule)") {
  PiecewiseConstant p({10, 20}, {1.0, 0.5, 0.25});
  CHECK(p(0) == 1.0);
  CHECK(p(9) == 1.0);
  CHECK(p(10) == 1.0);  // step <= boundaries[0]
  CHECK(p(11) == 0.5);
  CHECK(p(20) == 0.5);
  CHECK(p(21) == 0.25);
  CHECK(p(1'000'000) == 0.25);
}

TEST_CASE("PiecewiseConstant with no boundary is a constant") {
  PiecewiseConstant p({}, {0.3});
  CHECK(p(0) == 0.3);
  CHECK(p(99) == 0.3);
}

TEST_CASE("PiecewiseConstant refuses mismatched or unsorted boundaries") {
  CHECK_THROWS_AS(PiecewiseConstant({10, 20}, {1.0, 0.5}), Error);
  CHECK_THROWS_AS(PiecewiseConstant({20, 10}, {1.0, 0.5, 0.25}), Error);
  CHECK_THROWS_AS(PiecewiseConstant({10, 10}, {1.0, 0.5, 0.25}), Error);
}

TEST_CASE("step_decay: ResNet's 0.1, times 0.1 at epochs 30 and 60") {
  const std::int64_t steps_per_epoch = 100;
  PiecewiseConstant p = step_decay(0.1, 0.1, {30, 60}, steps_per_epoch);
  REQUIRE(p.boundaries() == std::vector<std::int64_t>{3000, 6000});
  CHECK(p(0) == doctest::Approx(0.1).epsilon(1e-15));
  CHECK(p(3000) == doctest::Approx(0.1).epsilon(1e-15));
  CHECK(p(3001) == doctest::Approx(0.01).epsilon(1e-15));
  CHECK(p(6000) == doctest::Approx(0.01).epsilon(1e-15));
  CHECK(p(6001) == doctest::Approx(0.001).epsilon(1e-15));
  CHECK_THROWS_AS(step_decay(0.1, 0.1, {30}, 0), Error);
}

TEST_CASE("ExponentialDecay, continuous: initial * rate^(step / decay_steps)") {
  ExponentialDecay e{.initial = 0.1, .decay_steps = 100, .rate = 0.5, .staircase = false};
  CHECK(e(0) == doctest::Approx(0.1).epsilon(1e-15));
  CHECK(e(50) == doctest::Approx(0.07071067811865475).epsilon(1e-14));   // 0.1 * 0.5**0.5
  CHECK(e(100) == doctest::Approx(0.05).epsilon(1e-14));
  CHECK(e(150) == doctest::Approx(0.035355339059327376).epsilon(1e-14));  // 0.1 * 0.5**1.5
}

TEST_CASE("ExponentialDecay, staircase: the exponent is floor(step / decay_steps)") {
  ExponentialDecay e{.initial = 0.1, .decay_steps = 100, .rate = 0.5, .staircase = true};
  CHECK(e(0) == 0.1);
  CHECK(e(50) == 0.1);
  CHECK(e(99) == 0.1);
  CHECK(e(100) == doctest::Approx(0.05).epsilon(1e-15));
  CHECK(e(150) == doctest::Approx(0.05).epsilon(1e-15));
  CHECK(e(250) == doctest::Approx(0.025).epsilon(1e-15));
  ExponentialDecay bad{.initial = 0.1, .decay_steps = 0};
  CHECK_THROWS_AS(bad(1), Error);
}

TEST_CASE("every schedule fits the LearningRate an optimizer holds, and a plain number is a constant rate") {
  LearningRate lr = Constant{0.5};
  CHECK(lr(7) == 0.5);
  lr = 0.25;
  CHECK(lr(0) == 0.25);
  CHECK(lr(1000000) == 0.25);
  const Sgd sgd{.learning_rate = 0.03};
  CHECK(sgd.learning_rate(5) == 0.03);
  const Adam adam{.learning_rate = 1};  // an integer too
  CHECK(adam.learning_rate(5) == 1.0);
  lr = PiecewiseConstant({1}, {1.0, 2.0});
  CHECK(lr(2) == 2.0);
  lr = ExponentialDecay{.initial = 1.0, .decay_steps = 1, .rate = 0.5, .staircase = true};
  CHECK(lr(3) == 0.125);
}
