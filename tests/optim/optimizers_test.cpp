#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "support/check.hpp"
#include "tinycnn/core/aligned_buffer.hpp"
#include "tinycnn/core/error.hpp"
#include "tinycnn/optim/all.hpp"
#include "support/execution.hpp"

using namespace tinycnn;
using namespace tinycnn::optim;

static_assert(Optimizer<Sgd>);
static_assert(Optimizer<Momentum>);
static_assert(Optimizer<RmsProp>);
static_assert(Optimizer<Adam>);
static_assert(!Optimizer<int>);
static_assert(!Optimizer<Constant>);

namespace {

// One optimizer's buffers, as a model lays them out: parameters, gradients, planar state.
template <class O, class T>
struct Buffers {
  AlignedBuffer<T> w, g, state;
  Buffers(const O& opt, index_t n) : w(n), g(n), state(n * O::state_per_param) { opt.init_state(state.span()); }
  void step(const O& opt, std::int64_t step, double lr, int threads = 0) {
    opt.update(w.span(), std::span<const T>(g.span()), state.span(), step, lr, test::exec(threads));
  }
};

// A buffer of 11 copies of (w0, g): 11 is one or two SIMD vectors plus a scalar tail for both
// float and double, so the hand-computed numbers check both paths at once.
constexpr index_t kHand = 11;

template <class O>
Buffers<O, double> filled(const O& opt, double w0) {
  Buffers<O, double> b(opt, kHand);
  for (index_t i = 0; i < kHand; ++i) b.w[i] = w0;
  return b;
}

template <class O>
void set_gradient(Buffers<O, double>& b, double g) {
  for (index_t i = 0; i < kHand; ++i) b.g[i] = g;
}

template <class O>
void check_all(const Buffers<O, double>& b, double want, const char* what) {
  for (index_t i = 0; i < kHand; ++i) {
    INFO(what << " at index " << i);
    CHECK(b.w[i] == doctest::Approx(want).epsilon(1e-13));
  }
}

// Naive double-precision scalar rules, written straight from the formulas in the headers'
// comments, one parameter at a time; state uses the same planar layout.
void ref_sgd(const Sgd& o, std::vector<double>& w, const std::vector<double>& g, std::vector<double>&,
             std::int64_t, double lr) {
  for (std::size_t i = 0; i < w.size(); ++i) w[i] -= lr * (g[i] + o.weight_decay * w[i]);
}

void ref_momentum(const Momentum& o, std::vector<double>& w, const std::vector<double>& g,
                  std::vector<double>& s, std::int64_t, double lr) {
  for (std::size_t i = 0; i < w.size(); ++i) {
    double gi = g[i] + o.weight_decay * w[i];
    s[i] = o.momentum * s[i] + gi;
    w[i] -= o.nesterov ? lr * (gi + o.momentum * s[i]) : lr * s[i];
  }
}

void ref_rmsprop(const RmsProp& o, std::vector<double>& w, const std::vector<double>& g,
                 std::vector<double>& s, std::int64_t, double lr) {
  const std::size_t n = w.size();
  for (std::size_t i = 0; i < n; ++i) {
    double gi = g[i] + o.weight_decay * w[i];
    double& ms = s[i];
    double& mom = s[n + i];
    ms = o.decay * ms + (1.0 - o.decay) * gi * gi;
    mom = o.momentum * mom + lr * gi / std::sqrt(ms + o.epsilon);
    w[i] -= mom;
  }
}

void ref_adam(const Adam& o, std::vector<double>& w, const std::vector<double>& g, std::vector<double>& s,
              std::int64_t step, double lr) {
  const std::size_t n = w.size();
  const double t = static_cast<double>(step + 1);
  const double lr_t = lr * std::sqrt(1.0 - std::pow(o.beta2, t)) / (1.0 - std::pow(o.beta1, t));
  for (std::size_t i = 0; i < n; ++i) {
    double gi = g[i] + o.weight_decay * w[i];
    double& m = s[i];
    double& v = s[n + i];
    m = o.beta1 * m + (1.0 - o.beta1) * gi;
    v = o.beta2 * v + (1.0 - o.beta2) * gi * gi;
    w[i] -= lr_t * m / (std::sqrt(v) + o.epsilon);
  }
}

// Runs `steps` float updates on a long random buffer (threaded path, ragged tail) at the
// optimizer's scheduled rate, and the double reference on the same float inputs.
template <class O, class Ref>
void compare_with_reference(const O& opt, Ref ref, double tol, int steps = 4) {
  const index_t n = 100'003;  // > 64k, and odd so neither float nor double vectors divide it
  Rng rng(42);
  Buffers<O, float> b(opt, n);
  test::fill_uniform(b.w.data(), n, rng, -2.0, 2.0);
  std::vector<double> w(b.w.data(), b.w.data() + n), g(static_cast<std::size_t>(n));
  std::vector<double> s(b.state.data(), b.state.data() + b.state.size());
  for (int t = 0; t < steps; ++t) {
    test::fill_uniform(b.g.data(), n, rng, -1.0, 1.0);
    for (index_t i = 0; i < n; ++i) g[static_cast<std::size_t>(i)] = b.g[i];
    apply_update(opt, b.w.span(), std::span<const float>(b.g.span()), b.state.span(), t, test::exec());
    ref(opt, w, g, s, t, opt.learning_rate(t));
  }
  test::check_close(b.w.data(), w.data(), n, tol, opt.name() + " parameters");
  test::check_close(b.state.data(), s.data(), b.state.size(), tol, opt.name() + " state");
}

}  // namespace

TEST_CASE("SGD by hand: w = 1, g = 0.5, lr = 0.1") {
  Sgd opt;
  auto b = filled(opt, 1.0);
  set_gradient(b, 0.5);
  b.step(opt, 0, 0.1);
  check_all(b, 0.95, "step 1");  // 1 - 0.1 * 0.5
  b.step(opt, 1, 0.1);
  check_all(b, 0.9, "step 2");  // 0.95 - 0.05
}

TEST_CASE("SGD by hand with weight decay 0.01: the gradient gets + 0.01 * w") {
  Sgd opt{.weight_decay = 0.01};
  auto b = filled(opt, 1.0);
  set_gradient(b, 0.5);
  b.step(opt, 0, 0.1);
  check_all(b, 0.949, "step 1");  // g' = 0.5 + 0.01 = 0.51; 1 - 0.051
  b.step(opt, 1, 0.1);
  check_all(b, 0.898051, "step 2");  // g' = 0.5 + 0.00949 = 0.50949; 0.949 - 0.050949
}

TEST_CASE("Momentum by hand: m = 0.9, lr = 0.1, g = 0.5 three times") {
  Momentum opt{.momentum = 0.9};
  auto b = filled(opt, 1.0);
  set_gradient(b, 0.5);
  b.step(opt, 0, 0.1);  // accum = 0.5;   w = 1 - 0.05
  check_all(b, 0.95, "step 1");
  b.step(opt, 1, 0.1);  // accum = 0.95;  w = 0.95 - 0.095
  check_all(b, 0.855, "step 2");
  b.step(opt, 2, 0.1);  // accum = 1.355; w = 0.855 - 0.1355
  check_all(b, 0.7195, "step 3");
  CHECK(b.state[0] == doctest::Approx(1.355).epsilon(1e-13));
  CHECK(b.state[kHand - 1] == doctest::Approx(1.355).epsilon(1e-13));
}

TEST_CASE("Momentum by hand with weight decay 0.01") {
  Momentum opt{.momentum = 0.9, .weight_decay = 0.01};
  auto b = filled(opt, 1.0);
  set_gradient(b, 0.5);
  b.step(opt, 0, 0.1);  // g' = 0.51; accum = 0.51; w = 1 - 0.051
  check_all(b, 0.949, "step 1");
  b.step(opt, 1, 0.1);  // g' = 0.50949; accum = 0.459 + 0.50949 = 0.96849; w = 0.949 - 0.096849
  check_all(b, 0.852151, "step 2");
}

TEST_CASE("Nesterov by hand: w -= lr * (g + m * accum)") {
  Momentum opt{.momentum = 0.9, .nesterov = true};
  CHECK(opt.name() == "nesterov");
  auto b = filled(opt, 1.0);
  set_gradient(b, 0.5);
  b.step(opt, 0, 0.1);  // accum = 0.5;   w = 1 - 0.1 * (0.5 + 0.45)
  check_all(b, 0.905, "step 1");
  b.step(opt, 1, 0.1);  // accum = 0.95;  w = 0.905 - 0.1 * (0.5 + 0.855)
  check_all(b, 0.7695, "step 2");
  b.step(opt, 2, 0.1);  // accum = 1.355; w = 0.7695 - 0.1 * (0.5 + 1.2195)
  check_all(b, 0.59755, "step 3");
}

TEST_CASE("Nesterov and plain momentum share the accumulator and differ by lr * m * accum") {
  Momentum plain{.momentum = 0.9}, nest{.momentum = 0.9, .nesterov = true};
  auto a = filled(plain, 1.0);
  auto b = filled(nest, 1.0);
  set_gradient(a, 0.5);
  set_gradient(b, 0.5);
  a.step(plain, 0, 0.1);
  b.step(nest, 0, 0.1);
  for (index_t i = 0; i < kHand; ++i) {
    CHECK(a.state[i] == b.state[i]);
    CHECK(a.w[i] - b.w[i] == doctest::Approx(0.1 * 0.9 * 0.5).epsilon(1e-12));
  }
}

TEST_CASE("RMSProp starts its mean square at one, as TensorFlow 1.x, and momentum at zero") {
  RmsProp opt;
  Buffers<RmsProp, float> b(opt, 37);
  for (index_t i = 0; i < 37; ++i) {
    CHECK(b.state[i] == 1.0f);
    CHECK(b.state[37 + i] == 0.0f);
  }
  // A zero gradient only decays ms (0.9 * 1) and leaves w alone.
  b.w[5] = 3.0f;
  b.step(opt, 0, 0.1);
  CHECK(b.w[5] == 3.0f);
  CHECK(b.state[5] == doctest::Approx(0.9).epsilon(1e-7));
}

TEST_CASE("RMSProp by hand, TensorFlow benchmark settings: decay 0.9, momentum 0.9, epsilon 1") {
  RmsProp opt{.decay = 0.9, .momentum = 0.9, .epsilon = 1.0};
  auto b = filled(opt, 1.0);
  set_gradient(b, 0.5);
  // ms = 0.9 * 1 + 0.1 * 0.25 = 0.925;  mom = 0.05 / sqrt(1.925)
  b.step(opt, 0, 0.1);
  check_all(b, 0.9639625014921777, "step 1");
  CHECK(b.state[0] == doctest::Approx(0.925).epsilon(1e-13));
  CHECK(b.state[kHand] == doctest::Approx(0.03603749850782236).epsilon(1e-13));
  // ms = 0.8575; mom = 0.9 * 0.0360374985 + 0.05 / sqrt(1.8575)
  b.step(opt, 1, 0.1);
  check_all(b, 0.8948423109227849, "step 2");
  // ms = 0.79675; mom = 0.9 * 0.0691201906 + 0.05 / sqrt(1.79675)
  b.step(opt, 2, 0.1);
  check_all(b, 0.7953326496150305, "step 3");
  CHECK(b.state[kHand] == doctest::Approx(0.09950966130775438).epsilon(1e-13));
}

TEST_CASE("RMSProp by hand, TensorFlow defaults: momentum 0, epsilon 1e-10") {
  RmsProp opt;
  auto b = filled(opt, 1.0);
  set_gradient(b, 0.5);
  b.step(opt, 0, 0.1);  // 1 - 0.05 / sqrt(0.925 + 1e-10)
  check_all(b, 0.9480124755118065, "step 1");
  b.step(opt, 1, 0.1);  // - 0.05 / sqrt(0.8575 + 1e-10)
  check_all(b, 0.894017550799351, "step 2");
}

TEST_CASE("Adam by hand: lr = 0.1, g = 0.5, 0.5, -0.25") {
  Adam opt;
  auto b = filled(opt, 1.0);
  set_gradient(b, 0.5);
  // t = 1: lr_t = 0.1 * sqrt(0.001) / 0.1 = 0.0316227766; m = 0.05; v = 0.00025
  b.step(opt, 0, 0.1);
  check_all(b, 0.9000000632455132, "step 1");
  // t = 2: lr_t = 0.1 * sqrt(1 - 0.999^2) / (1 - 0.81) = 0.0235316725; m = 0.095; v = 0.00049975
  b.step(opt, 1, 0.1);
  check_all(b, 0.8000001079780379, "step 2");
  set_gradient(b, -0.25);
  // t = 3: lr_t = 0.0202010597; m = 0.0605; v = 0.00056175025
  b.step(opt, 2, 0.1);
  check_all(b, 0.7484347891558569, "step 3");
  CHECK(b.state[0] == doctest::Approx(0.0605).epsilon(1e-13));
  CHECK(b.state[kHand] == doctest::Approx(0.00056175025).epsilon(1e-13));
}

TEST_CASE("Adam's bias correction makes the first step lr * sign(g) whatever the gradient's size") {
  Adam opt;
  CHECK(opt.corrected_rate(0, 0.1) == doctest::Approx(0.031622776601683794).epsilon(1e-14));  // sqrt(0.001)
  const std::vector<double> grads{1e-2, 0.5, 20.0, -3.0, -5e-2};
  Buffers<Adam, double> b(opt, static_cast<index_t>(grads.size()));
  for (std::size_t i = 0; i < grads.size(); ++i) {
    b.w[static_cast<index_t>(i)] = 1.0;
    b.g[static_cast<index_t>(i)] = grads[i];
  }
  b.step(opt, 0, 0.1);
  for (std::size_t i = 0; i < grads.size(); ++i) {
    INFO("g = " << grads[i]);
    // |step| = 0.1 * |g| sqrt(0.001) / (|g| sqrt(0.001) + 1e-8): short of 0.1 by a relative
    // 1e-8 / (|g| sqrt(0.001)), at most 3.2e-5 for |g| >= 0.01.
    CHECK(1.0 - b.w[static_cast<index_t>(i)] == doctest::Approx(grads[i] > 0 ? 0.1 : -0.1).epsilon(4e-5));
  }
}

TEST_CASE("float updates on a long buffer match a double reference") {
  // Four float steps against double: measured worst (parameters, state), both widths: SGD 1.1e-7,
  // momentum 1.2e-7 and 2.0e-7, Nesterov 1.2e-7 and 2.0e-7, RMSProp 1.2e-7 and 1.3e-7, Adam
  // 3.1e-7 and 3.4e-8.
  const LearningRate decaying = ExponentialDecay{.initial = 0.05, .decay_steps = 2, .rate = 0.8};
  SUBCASE("sgd") {
    compare_with_reference(Sgd{.learning_rate = decaying, .weight_decay = 0.05}, ref_sgd, 1e-6);
  }
  SUBCASE("momentum") {
    compare_with_reference(Momentum{.learning_rate = decaying, .momentum = 0.9, .weight_decay = 0.05},
                           ref_momentum, 1e-6);
  }
  SUBCASE("nesterov") {
    compare_with_reference(
        Momentum{.learning_rate = decaying, .momentum = 0.9, .weight_decay = 0.05, .nesterov = true},
        ref_momentum, 1e-6);
  }
  SUBCASE("rmsprop, benchmark settings") {
    compare_with_reference(
        RmsProp{.learning_rate = decaying, .momentum = 0.9, .epsilon = 1.0, .weight_decay = 0.05}, ref_rmsprop,
        1e-6);
  }
  SUBCASE("rmsprop, defaults") {
    compare_with_reference(RmsProp{.learning_rate = decaying, .weight_decay = 0.05}, ref_rmsprop, 1e-6);
  }
  SUBCASE("adam") {
    compare_with_reference(Adam{.learning_rate = decaying, .weight_decay = 0.05}, ref_adam, 2e-6);
  }
}

TEST_CASE("the threaded update gives the same bits with any thread count") {
  const index_t n = 200'001;
  Adam opt{.weight_decay = 0.01};
  Rng rng(7);
  Buffers<Adam, float> one(opt, n), many(opt, n);
  test::fill_uniform(one.w.data(), n, rng);
  test::fill_uniform(one.g.data(), n, rng);
  many.w = one.w;
  many.g = one.g;
  for (int t = 0; t < 3; ++t) one.step(opt, t, 0.01, 1);
  for (int t = 0; t < 3; ++t) many.step(opt, t, 0.01, 3);
  index_t differ = 0;
  for (index_t i = 0; i < n; ++i) differ += one.w[i] != many.w[i];
  for (index_t i = 0; i < 2 * n; ++i) differ += one.state[i] != many.state[i];
  CHECK(differ == 0);
}

TEST_CASE("apply_update reads the rate from the optimizer's schedule at the given step") {
  Sgd opt{.learning_rate = PiecewiseConstant({0}, {0.1, 0.01})};
  auto b = filled(opt, 1.0);
  set_gradient(b, 0.5);
  apply_update(opt, b.w.span(), std::span<const double>(b.g.span()), b.state.span(), 0, test::exec());  // lr 0.1
  check_all(b, 0.95, "step 1");
  apply_update(opt, b.w.span(), std::span<const double>(b.g.span()), b.state.span(), 1, test::exec());  // lr 0.01
  check_all(b, 0.945, "step 2");
}

TEST_CASE("mismatched buffer sizes are refused") {
  Adam opt;
  AlignedBuffer<float> w(10), g(9), s(20), short_state(19);
  CHECK_THROWS_AS(opt.update(w.span(), std::span<const float>(g.span()), s.span(), 0, 0.1, test::exec()), Error);
  AlignedBuffer<float> g10(10);
  CHECK_THROWS_AS(opt.update(w.span(), std::span<const float>(g10.span()), short_state.span(), 0, 0.1, test::exec()), Error);
  CHECK_NOTHROW(opt.update(w.span(), std::span<const float>(g10.span()), s.span(), 0, 0.1, test::exec()));
}

TEST_CASE("names") {
  CHECK(Sgd{}.name() == "sgd");
  CHECK(Momentum{}.name() == "momentum");
  CHECK(RmsProp{}.name() == "rmsprop");
  CHECK(Adam{}.name() == "adam");
}
