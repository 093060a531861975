// The Trainer's points and its distribution policy: the gradient hook fires once per leaf range
// per step, when the range is final, concurrent Concat branches included; what a policy does
// there acts on the step (scaling gradients equals scaling the rate); any partition of the
// update, optimizer state included, equals the whole update bit for bit; and the profiler times
// real steps without changing them.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <mutex>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "support/branchy_model.hpp"
#include "support/check.hpp"
#include "support/same_bits.hpp"
#include "tinycnn/all.hpp"

using namespace tinycnn;
using distributed::StepView;

namespace {

// Leaves 0 to 10 (support/branchy_model.hpp), its Concat's branches run concurrently with two
// inter-op threads; dropout (the Trainer's random numbers) included.
using Branchy = test::Branchy<Dropout<Percent<10>>, Dense<3>>;
constexpr index_t kBatch = 4, kImage = 6 * 6 * 2, kSteps = 3;

// intra kernel threads; the Concat's branches on two threads at once.
template <class T>
auto make_net(int intra) {
  auto net = make_model<Branchy, T>(Input<6, 6, 2>{}, kBatch);
  net.set_threads(intra, 2);
  net.init(11);
  return net;
}

// kSteps batches of random images and labels.
template <class T>
struct Data {
  std::vector<std::vector<T>> images;
  std::vector<std::vector<std::int32_t>> labels;
  Data() {
    Rng rng(21);
    for (index_t s = 0; s < kSteps; ++s) {
      images.push_back(test::random_vector<T>(kBatch * kImage, rng));
      std::vector<std::int32_t> l(kBatch);
      for (auto& v : l) v = std::int32_t(rng.below(3));
      labels.push_back(std::move(l));
    }
  }
};

// Runs f(intra) with 1 and 2 kernel threads (for make_net).
template <class F>
void with_threads(F&& f) {
  for (int intra : {1, 2}) {
    CAPTURE(intra);
    f(intra);
  }
}

using test::same_bits;

// What a recording policy saw during one step.
template <class T>
struct StepLog {
  std::mutex lock;
  std::vector<std::pair<ParameterRange, std::vector<T>>> ready;  // each report, with the range's gradients then
  std::vector<std::string> points;                               // the order of the step's points
  std::vector<T> params_before_update;
  bool params_changed_by_update = false;
};

// Records every point; before the update it checks the reports against the gradient buffer,
// which the test filled with NaN before the step.
template <class T>
struct Recording : distributed::Local {
  StepLog<T>* log = nullptr;
  std::vector<ParameterRange> ranges;  // the network's, for the checks

  void on_gradients_ready(const StepView<T>& step, ParameterRange r) {
    std::vector<T> copy(step.gradients.begin() + r.offset, step.gradients.begin() + r.end());
    std::lock_guard<std::mutex> hold(log->lock);
    log->ready.emplace_back(r, std::move(copy));
    log->points.push_back("ready");
  }
  void before_update(const StepView<T>& step) {
    log->points.push_back("before_update");
    log->params_before_update.assign(step.parameters.begin(), step.parameters.end());
    // The padding between ranges: backward wrote none of it. Zero it again for the update.
    for (std::size_t i = 0; i < step.gradients.size(); ++i) {
      const auto at = index_t(i);
      const bool inside = std::any_of(ranges.begin(), ranges.end(), [at](auto& r) { return at >= r.offset && at < r.end(); });
      if (!inside) {
        REQUIRE_MESSAGE(std::isnan(step.gradients[i]), "gradient " << i << " outside every range was written");
        step.gradients[i] = T(0);
      }
    }
  }
  template <class U>
  void update(const StepView<T>& step, const U& updater) {
    log->points.push_back("update");
    distributed::Local::update(step, updater);
  }
  void after_update(const StepView<T>& step) {
    log->points.push_back("after_update");
    log->params_changed_by_update =
        !std::equal(step.parameters.begin(), step.parameters.end(), log->params_before_update.begin());
  }
};

template <class T>
std::vector<ParameterRange> param_ranges(auto& net) {
  std::vector<ParameterRange> r;
  for (const LeafRanges& leaf : net.parameter_ranges()) r.push_back(leaf.params);
  return r;
}

// Updates the parameters in the pieces given, in that order, instead of in one call.
struct UpdateInPieces : distributed::Local {
  std::vector<ParameterRange> pieces;
  template <class T, class U>
  void update(const StepView<T>&, const U& updater) const {
    for (ParameterRange p : pieces) updater.slice(p);
  }
};

// Scales each range's gradients in place as soon as they are ready.
struct ScaleGradients : distributed::Local {
  double scale = 1;
  template <class T>
  void on_gradients_ready(const StepView<T>& step, ParameterRange r) const {
    for (index_t i = r.offset; i < r.end(); ++i) step.gradients[std::size_t(i)] *= T(scale);
  }
};

template <class F>
void for_every_optimizer(F&& f) {
  const optim::LearningRate lr = optim::PiecewiseConstant({1}, {0.05, 0.02});
  f(optim::Sgd{.learning_rate = lr, .weight_decay = 1e-3});
  f(optim::Momentum{.learning_rate = lr, .momentum = 0.9, .weight_decay = 1e-3});
  f(optim::Momentum{.learning_rate = lr, .momentum = 0.9, .weight_decay = 1e-3, .nesterov = true});
  f(optim::RmsProp{.learning_rate = lr, .decay = 0.9, .momentum = 0.9, .epsilon = 1.0, .weight_decay = 1e-3});
  f(optim::Adam{.learning_rate = lr, .weight_decay = 1e-3});
}

}  // namespace

TEST_CASE_TEMPLATE("each step reports every leaf's gradient range once, final, before the update points", T, float,
                   double) {
  with_threads([](int intra) {
    auto net = make_net<T>(intra);
    const Data<T> data;
    StepLog<T> log;
    Recording<T> policy;
    policy.log = &log;
    policy.ranges = param_ranges<T>(net);
    Trainer trainer(net, optim::Momentum{.learning_rate = optim::Constant{0.05}}, 7, policy);
    for (index_t s = 0; s < kSteps; ++s) {
      CAPTURE(s);
      log.ready.clear();
      log.points.clear();
      std::fill(net.gradients().begin(), net.gradients().end(), std::numeric_limits<T>::quiet_NaN());
      trainer.train_step(data.images[std::size_t(s)].data(), data.labels[std::size_t(s)].data());

      // Once per range, and the ranges are all of them: together the num_params values.
      std::vector<ParameterRange> got;
      for (const auto& report : log.ready) got.push_back(report.first);
      std::sort(got.begin(), got.end(), [](auto& a, auto& b) { return a.offset < b.offset; });
      REQUIRE(got == policy.ranges);
      index_t covered = 0;
      for (ParameterRange r : got) covered += r.length;
      CHECK(covered == decltype(net)::num_params);
      // Final when reported: the copies are what the update then used, i.e. the buffer now.
      for (const auto& ready : log.ready) {
        const ParameterRange& r = ready.first;  // named, not bound: OpenMP builds may not capture bindings
        const auto& copy = ready.second;
        INFO("range [" << r.offset << ", " << r.end() << ")");
        CHECK(same_bits<T>(copy, std::span<const T>(net.gradients()).subspan(std::size_t(r.offset), copy.size())));
      }
      // Every report, then the three points in order.
      std::vector<std::string> want(got.size(), "ready");
      want.insert(want.end(), {"before_update", "update", "after_update"});
      CHECK(log.points == want);
      CHECK(log.params_changed_by_update);
    }
    CHECK(trainer.step() == kSteps);
  });
}

TEST_CASE_TEMPLATE("scaling the gradients by s in the hook equals scaling the learning rate by s", T, float,
                   double) {
  // SGD without weight decay and s a power of two: s * g and s * lr round alike, so the two runs
  // agree bit for bit, step after step.
  for (double s : {2.0, 0.25}) {
    CAPTURE(s);
    with_threads([&](int intra) {
      auto scaled = make_net<T>(intra);
      auto faster = make_net<T>(intra);
      const Data<T> data;
      Trainer a(scaled, optim::Sgd{.learning_rate = optim::Constant{0.05}}, 7, ScaleGradients{{}, s});
      Trainer b(faster, optim::Sgd{.learning_rate = optim::Constant{0.05 * s}}, 7);
      for (index_t k = 0; k < kSteps; ++k) {
        const auto ra = a.train_step(data.images[std::size_t(k)].data(), data.labels[std::size_t(k)].data());
        const auto rb = b.train_step(data.images[std::size_t(k)].data(), data.labels[std::size_t(k)].data());
        CHECK(ra.loss == rb.loss);
      }
      CHECK(same_bits<T>(scaled.parameters(), faster.parameters()));
      // The last step's gradients, as the update read them: s times the plain ones, exactly.
      std::vector<T> times_s(faster.gradients().begin(), faster.gradients().end());
      for (T& g : times_s) g *= T(s);
      CHECK(same_bits<T>(scaled.gradients(), times_s));
      CHECK(!same_bits<T>(scaled.parameters(), std::span<const T>(make_net<T>(intra).parameters())));  // it trained
    });
  }
}

TEST_CASE_TEMPLATE("updating in pieces equals the whole update bit for bit, for every optimizer", T, float, double) {
  with_threads([](int intra) {
    for_every_optimizer([intra](const auto& opt) {
      auto whole = make_net<T>(intra);
      const Data<T> data;
      const auto n = index_t(whole.parameters().size());
      const index_t odd = n / 3 | 1;
      // Leaf by leaf, last first, as a hook reports them. The padding between leaves is left out:
      // its parameters and gradients stay 0, but RMSProp's mean square there would move.
      const std::vector<ParameterRange> ranges = param_ranges<T>(whole);
      std::vector<ParameterRange> leaves(ranges.rbegin(), ranges.rend());
      const std::vector<std::vector<ParameterRange>> partitions = {
          {{0, n / 2}, {n / 2, n - n / 2}},
          {{odd, n - odd}, {0, odd}},
          leaves,
      };
      Trainer reference(whole, opt, 7);
      for (index_t k = 0; k < kSteps; ++k)
        reference.train_step(data.images[std::size_t(k)].data(), data.labels[std::size_t(k)].data());
      for (std::size_t p = 0; p < partitions.size(); ++p) {
        CAPTURE(opt.name());
        CAPTURE(p);
        auto pieces = make_net<T>(intra);
        UpdateInPieces policy;
        policy.pieces = partitions[p];
        Trainer sharded(pieces, opt, 7, policy);
        for (index_t k = 0; k < kSteps; ++k)
          sharded.train_step(data.images[std::size_t(k)].data(), data.labels[std::size_t(k)].data());
        CHECK(same_bits<T>(pieces.parameters(), whole.parameters()));
        CHECK(same_bits<T>(pieces.state(), whole.state()));
        const std::span<const T> got = sharded.optimizer_state(), want = reference.optimizer_state();
        if (p + 1 < partitions.size()) {
          CHECK(same_bits<T>(got, want));
        } else {
          for (std::size_t slot = 0; slot * std::size_t(n) < got.size(); ++slot)
            for (ParameterRange r : ranges) {
              const std::size_t at = slot * std::size_t(n) + std::size_t(r.offset);
              CHECK(same_bits<T>(got.subspan(at, std::size_t(r.length)), want.subspan(at, std::size_t(r.length))));
            }
        }
      }
    });
  });
}

TEST_CASE("a Trainer built without a policy uses Local, and Local is a policy for every optimizer") {
  auto net = make_net<float>(1);
  Trainer trainer(net, optim::Adam{}, 3);
  static_assert(std::is_same_v<decltype(trainer), Trainer<decltype(net), optim::Adam, distributed::Local>>);
  static_assert(distributed::PolicyFor<distributed::Local, float, optim::Sgd>);
  static_assert(distributed::PolicyFor<distributed::Local, double, optim::RmsProp>);
  static_assert(!distributed::PolicyFor<int, float, optim::Sgd>);
}

TEST_CASE("the profiler times every layer and phase of real steps and changes nothing") {
  // One branch at a time: the leaves' backward times then add up to at most backward's.
  auto timed = make_net<float>(0);
  auto plain = make_net<float>(0);
  timed.set_threads(0, 1);
  plain.set_threads(0, 1);
  const Data<float> data;
  const optim::Adam opt{.weight_decay = 1e-3};
  Trainer a(timed, opt, 7), b(plain, opt, 7);
  StepProfiler profiler;
  a.set_profiler(&profiler);
  for (index_t k = 0; k < kSteps; ++k) {
    const auto ra = a.train_step(data.images[std::size_t(k)].data(), data.labels[std::size_t(k)].data());
    const auto rb = b.train_step(data.images[std::size_t(k)].data(), data.labels[std::size_t(k)].data());
    CHECK(ra.loss == rb.loss);
  }
  CHECK(same_bits<float>(timed.parameters(), plain.parameters()));
  CHECK(same_bits<float>(a.optimizer_state(), b.optimizer_state()));

  const PhaseTimes& p = profiler.phases;
  CHECK(p.steps == kSteps);
  CHECK(p.forward_loss_seconds > 0);
  CHECK(p.backward_seconds > 0);
  CHECK(p.update_seconds > 0);
  // Every leaf: one forward and one backward per step (no identity shortcut, whose gradient
  // would be dy itself).
  const auto& layers = profiler.layers.timings();
  CHECK(layers.size() == 18);
  double leaves_backward = 0;
  for (const LayerTiming& l : layers) {
    INFO(l.name);
    CHECK(l.forward_calls == kSteps);
    CHECK(l.backward_calls == kSteps);
    leaves_backward += l.backward_seconds;
  }
  CHECK(leaves_backward <= p.backward_seconds);

  // Evaluation adds layer times, not phases; detached, nothing more is recorded.
  a.evaluate(data.images[0].data(), data.labels[0].data(), kBatch);
  CHECK(layers.front().forward_calls == kSteps + 1);
  CHECK(p.steps == kSteps);
  a.set_profiler(nullptr);
  a.train_step(data.images[0].data(), data.labels[0].data());
  CHECK(layers.front().forward_calls == kSteps + 1);
  CHECK(p.steps == kSteps);
}

namespace {
// A policy with the optional points: begin moves the step on, synchronize counts its calls.
struct Beginning : distributed::Local {
  int synchronized = 0;
  template <class T>
  void begin(StepView<T>& step, std::span<T>) {
    step.step = 5;
  }
  template <class T>
  void synchronize(StepView<T>&, std::span<T>) {
    ++synchronized;
  }
};
}  // namespace

TEST_CASE_TEMPLATE("a policy chosen at run time (AnyPolicy) steps as the policy itself, bit for bit", T, float, double) {
  for_every_optimizer([](const auto& opt) {
    CAPTURE(opt.name());
    const Data<T> data;
    auto run = [&](auto policy) {
      auto net = make_net<T>(1);
      Trainer trainer(net, opt, 7, std::move(policy));
      for (index_t k = 0; k < kSteps; ++k)
        trainer.train_step(data.images[std::size_t(k)].data(), data.labels[std::size_t(k)].data());
      return std::vector<T>(net.parameters().begin(), net.parameters().end());
    };
    const std::vector<T> local = run(distributed::Local{});
    CHECK(same_bits<T>(run(distributed::AnyPolicy<T>{}), local));  // empty: Local

    // Slices through AnyUpdater: halves, the upper one first.
    const auto n = index_t(make_net<T>(1).parameters().size());
    UpdateInPieces halves;
    halves.pieces = {{n / 2, n - n / 2}, {0, n / 2}};
    distributed::PolicyOf<T, UpdateInPieces> erased(halves);
    CHECK(same_bits<T>(run(distributed::AnyPolicy<T>(&erased)), local));
    static_assert(distributed::PolicyFor<distributed::AnyPolicy<T>, T, std::decay_t<decltype(opt)>>);
  });
}

TEST_CASE("AnyPolicy passes begin (at construction and after a load) and synchronize on") {
  distributed::PolicyOf<float, Beginning> erased(Beginning{});
  auto net = make_net<float>(1);
  Trainer trainer(net, optim::Sgd{}, 7, distributed::AnyPolicy<float>(&erased));
  CHECK(trainer.step() == 5);
  trainer.synchronize();
  trainer.synchronize();
  CHECK(erased.policy().synchronized == 2);
}
