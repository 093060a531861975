// Weights without training state (train/weights.hpp) and predictions without a Trainer
// (train/predict.hpp).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <span>
#include <string>
#include <vector>

#include "support/same_bits.hpp"
#include "support/temp_dir.hpp"
#include "tinycnn/all.hpp"

using namespace tinycnn;

namespace {

using Small = Sequential<Conv2D<6, 3>, BatchNorm<>, ReLU, MaxPool<2>, Flatten, Dense<12>, ReLU, Dropout<Percent<20>>,
                         Dense<3>>;
using Other = Sequential<Conv2D<5, 3>, BatchNorm<>, ReLU, MaxPool<2>, Flatten, Dense<12>, ReLU, Dense<3>>;

std::vector<float> random_images(index_t n, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<float> x(std::size_t(n * 8 * 8 * 2));
  for (float& v : x) v = float(rng.uniform(-1, 1));
  return x;
}

std::vector<std::int32_t> random_labels(index_t n, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<std::int32_t> y(static_cast<std::size_t>(n));
  for (auto& v : y) v = std::int32_t(rng.below(3));
  return y;
}

std::vector<float> copy_of(std::span<const float> s) { return {s.begin(), s.end()}; }

// A network trained a few steps with momentum, so that parameters, statistics and the
// optimizer's state all differ from a fresh one's.
template <class Net>
void train_a_little(Net& net, int steps) {
  Trainer trainer(net, optim::Momentum{.learning_rate = optim::Constant{0.05}, .momentum = 0.9});
  for (int s = 0; s < steps; ++s) {
    const auto x = random_images(net.batch(), 100 + std::uint64_t(s));
    const auto y = random_labels(net.batch(), 200 + std::uint64_t(s));
    trainer.train_step(x.data(), y.data());
  }
}

// Logits of one evaluation pass over the network's batch.
template <class Net>
std::vector<float> eval_logits(Net& net, const std::vector<float>& x) {
  Rng rng(1);
  Context ctx{Mode::Eval, &rng};
  const float* logits = net.forward(x.data(), ctx);
  return {logits, logits + net.batch() * Net::classes};
}

}  // namespace

TEST_CASE("load_weights takes parameters and statistics from a momentum checkpoint into a network trained with SGD") {
  test::TempDir dir("weights");
  auto trained = make_model<Small>(Input<8, 8, 2>{}, 4);
  trained.init(1);
  train_a_little(trained, 3);
  Trainer saver(trained, optim::Momentum{.learning_rate = optim::Constant{0.05}, .momentum = 0.9});
  saver.save(dir / "momentum.ckpt");

  auto fresh = make_model<Small>(Input<8, 8, 2>{}, 4);
  fresh.init(2);
  REQUIRE_FALSE(test::same_bits<float>(fresh.parameters(), trained.parameters()));
  CHECK(load_weights(fresh, dir / "momentum.ckpt") == 0);  // the saver's own step: it trained nothing
  CHECK(test::same_bits<float>(fresh.parameters(), trained.parameters()));
  CHECK(test::same_bits<float>(fresh.state(), trained.state()));
  const auto x = random_images(4, 7);
  CHECK(eval_logits(fresh, x) == eval_logits(trained, x));

  // The optimizer of the loading side differs; Trainer::load refuses, load_weights does not.
  Trainer sgd(fresh, optim::Sgd{.learning_rate = optim::Constant{0.01}});
  CHECK_THROWS_WITH_AS(sgd.load(dir / "momentum.ckpt"), doctest::Contains("model signature mismatch"), Error);
  const auto y = random_labels(4, 8);
  CHECK(std::isfinite(sgd.train_step(x.data(), y.data()).loss));
}

TEST_CASE("save_weights writes parameters and statistics only, and load_weights reads them back bit for bit") {
  test::TempDir dir("weights");
  auto net = make_model<Small>(Input<8, 8, 2>{}, 4);
  net.init(3);
  train_a_little(net, 2);
  save_weights(net, dir / "small.weights", 42);
  const CheckpointInfo info = inspect_checkpoint(dir / "small.weights");
  CHECK(info.step == 42);
  CHECK(info.signature == weights_signature<decltype(net)>() + " | weights");
  REQUIRE(info.sections.size() == 2);
  CHECK(info.sections[0].name == "params");
  CHECK(info.sections[0].count == net.parameters().size());
  CHECK(info.sections[1].name == "state");
  CHECK(info.sections[1].count == net.state().size());

  auto other = make_model<Small>(Input<8, 8, 2>{}, 7);  // another batch size: the same weights
  other.init(4);
  CHECK(load_weights(other, dir / "small.weights") == 42);
  CHECK(test::same_bits<float>(other.parameters(), net.parameters()));
  CHECK(test::same_bits<float>(other.state(), net.state()));
}

TEST_CASE("load_weights refuses another model and another element type, and leaves the network as it was") {
  test::TempDir dir("weights");
  auto net = make_model<Small>(Input<8, 8, 2>{}, 2);
  net.init(5);
  save_weights(net, dir / "small.weights");

  auto other = make_model<Other>(Input<8, 8, 2>{}, 2);
  other.init(6);
  const auto before = copy_of(other.parameters());
  CHECK_THROWS_WITH_AS(load_weights(other, dir / "small.weights"),
                       doctest::Contains("it holds another model: expected \"Sequential("), Error);
  CHECK(copy_of(other.parameters()) == before);

  auto wide = make_model<Small, double>(Input<8, 8, 2>{}, 2);
  wide.init(6);
  CHECK_THROWS_WITH_AS(load_weights(wide, dir / "small.weights"), doctest::Contains("element type mismatch"), Error);
}

TEST_CASE("predict and predict_probabilities agree with the logits of evaluation passes, for any number of images") {
  auto net = make_model<Small>(Input<8, 8, 2>{}, 4);
  net.init(9);
  train_a_little(net, 2);  // batch-norm statistics away from 0 and 1, so evaluation mode shows
  for (index_t count : {1, 4, 9}) {  // less than a batch, one batch, two and a partial one
    CAPTURE(count);
    const auto images = random_images(count, 11);
    const auto classes = predict(net, std::span<const float>(images));
    const auto probs = predict_probabilities(net, std::span<const float>(images));
    REQUIRE(classes.size() == std::size_t(count));
    REQUIRE(probs.size() == std::size_t(count * 3));
    for (index_t i = 0; i < count; ++i) {
      // The oracle: image i alone, repeated to fill a batch, through an evaluation forward.
      std::vector<float> batch;
      for (int r = 0; r < 4; ++r) batch.insert(batch.end(), images.begin() + i * 128, images.begin() + (i + 1) * 128);
      const auto logits = eval_logits(net, batch);
      double max = logits[0], sum = 0;
      for (int c = 1; c < 3; ++c) max = std::max<double>(max, logits[std::size_t(c)]);
      for (int c = 0; c < 3; ++c) sum += std::exp(logits[std::size_t(c)] - max);
      const auto best = std::max_element(logits.begin(), logits.begin() + 3) - logits.begin();
      CHECK(classes[std::size_t(i)] == best);
      for (int c = 0; c < 3; ++c) {
        const double p = std::exp(logits[std::size_t(c)] - max) / sum;
        CHECK(std::isfinite(probs[std::size_t(i * 3 + c)]));
        CHECK(std::abs(probs[std::size_t(i * 3 + c)] - p) < 1e-6);
      }
    }
  }
  const std::vector<float> ragged(128 + 5);
  CHECK_THROWS_WITH_AS(predict(net, std::span<const float>(ragged)),
                       "tinycnn: predict: 133 numbers are not whole images of 128 (8 x 8 x 2)", Error);
}
