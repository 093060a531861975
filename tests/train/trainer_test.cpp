#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <iterator>
#include <limits>
#include <span>
#include <vector>

#include "support/same_bits.hpp"
#include "support/temp_dir.hpp"
#include "tinycnn/all.hpp"

using namespace tinycnn;

namespace {

// A learnable synthetic task: the class is which quadrant of an 8x8 image holds a bright blob.
void make_batch(Rng& rng, index_t n, float* images, std::int32_t* labels) {
  for (index_t i = 0; i < n; ++i) {
    int label = int(rng.below(4));
    labels[i] = label;
    for (index_t p = 0; p < 64; ++p) images[i * 64 + p] = float(rng.uniform(0, 0.3));
    int oy = (label / 2) * 4, ox = (label % 2) * 4;
    for (int y = 0; y < 3; ++y)
      for (int x = 0; x < 3; ++x) images[i * 64 + (oy + y + int(rng.below(2))) * 8 + ox + x] = 1.0f;
  }
}

using Small = Sequential<Conv2D<8, 3>, BatchNorm<>, ReLU, MaxPool<2>, Conv2D<8, 3>, ReLU, Flatten, Dense<16>, ReLU,
                         Dropout<Percent<10>>, Dense<4>>;

std::vector<float> copy_of(std::span<const float> s) { return {s.begin(), s.end()}; }

bool same_bits(std::span<const float> x, std::span<const float> y) { return test::same_bits<float>(x, y); }

// The logits of one Mode::Eval forward pass: batch norm on its running statistics, dropout off.
template <class Net>
std::vector<float> eval_logits(Net& net, const std::vector<float>& images) {
  Rng rng(1);
  Context ctx{Mode::Eval, &rng};
  const float* logits = net.forward(images.data(), ctx);
  return std::vector<float>(logits, logits + net.batch() * Net::classes);
}

}  // namespace

TEST_CASE("training a small network makes the loss fall and the accuracy rise") {
  auto net = make_model<Small>(Input<8, 8, 1>{}, 16);
  net.init(3);
  Trainer trainer(net, optim::Adam{.learning_rate = optim::Constant{0.01}});
  Rng data(5);
  std::vector<float> images(16 * 64);
  std::vector<std::int32_t> labels(16);
  double first = 0, last = 0;
  for (int step = 0; step < 120; ++step) {
    make_batch(data, 16, images.data(), labels.data());
    auto r = trainer.train_step(images.data(), labels.data());
    if (step == 0) first = r.loss;
    if (step >= 110) last += r.loss / 10;
  }
  CHECK(trainer.step() == 120);
  CHECK(first > 1.0);  // about log(4) = 1.39 before any learning
  CHECK(last < 0.3 * first);
  std::vector<float> test_images(200 * 64);
  std::vector<std::int32_t> test_labels(200);
  make_batch(data, 200, test_images.data(), test_labels.data());
  auto eval = trainer.evaluate(test_images.data(), test_labels.data(), 200);  // 12 full batches + 8
  CHECK(eval.examples == 200);
  CHECK(eval.accuracy() > 0.8);
}

TEST_CASE("a checkpoint restores parameters, statistics, optimizer state, random numbers and step exactly") {
  namespace fs = std::filesystem;
  fs::path file = fs::temp_directory_path() / ("tinycnn_trainer_test_" + std::to_string(::getpid()) + ".ckpt");
  Rng data(9);
  std::vector<float> images(16 * 64);
  std::vector<std::int32_t> labels(16);
  make_batch(data, 16, images.data(), labels.data());
  using Net = decltype(make_model<Small>(Input<8, 8, 1>{}, 16));

  auto a = make_model<Small>(Input<8, 8, 1>{}, 16);
  a.init(1);
  const std::vector<float> initial_state = copy_of(a.state());
  Trainer ta(a, optim::Momentum{.learning_rate = optim::Constant{0.05}, .nesterov = true}, /*seed=*/5);
  for (int i = 0; i < 3; ++i) ta.train_step(images.data(), labels.data());
  // Every running mean and variance must have left its initial 0 or 1, or restoring them would
  // prove nothing; the buffer's alignment padding stays as it was.
  std::size_t moved = 0;
  for (std::size_t i = 0; i < initial_state.size(); ++i) moved += a.state()[i] != initial_state[i];
  CHECK(moved == std::size_t(Net::num_state));
  const std::uint64_t position[2] = {3, 48};  // what a caller adds: a place in its data, say
  ta.save(file, {{"data", position}});
  const std::vector<float> logits_a = eval_logits(a, images);
  const StepResult eval_a = ta.evaluate(images.data(), labels.data(), 16);

  auto b = make_model<Small>(Input<8, 8, 1>{}, 16);
  b.init(2);  // different weights, all replaced by the load
  Trainer tb(b, optim::Momentum{.learning_rate = optim::Constant{0.05}, .nesterov = true}, /*seed=*/6);
  // Before the load nothing matches, so each comparison below can fail.
  REQUIRE(!same_bits(b.parameters(), a.parameters()));
  REQUIRE(!same_bits(b.state(), a.state()));
  REQUIRE(!same_bits(tb.optimizer_state(), ta.optimizer_state()));
  REQUIRE(!same_bits(std::span<const float>(eval_logits(b, images)), logits_a));

  std::uint64_t loaded_position[2] = {};
  tb.load(file, {{"data", loaded_position}});
  CHECK(tb.step() == 3);
  CHECK(loaded_position[0] == 3);
  CHECK(loaded_position[1] == 48);
  // The load is a copy: every buffer, padding included, must be bit-identical.
  CHECK(same_bits(b.parameters(), a.parameters()));
  CHECK(same_bits(b.state(), a.state()));
  CHECK(same_bits(tb.optimizer_state(), ta.optimizer_state()));
  // Evaluation normalizes with the running statistics, which training mode never reads.
  CHECK(same_bits(std::span<const float>(eval_logits(b, images)), logits_a));
  const StepResult eval_b = tb.evaluate(images.data(), labels.data(), 16);
  CHECK(std::isfinite(eval_b.loss));
  CHECK(eval_b.loss == eval_a.loss);
  CHECK(eval_b.correct == eval_a.correct);

  // Same state, the dropout stream included (the trainers were seeded differently): the next
  // step is bit-identical.
  auto ra = ta.train_step(images.data(), labels.data());
  auto rb = tb.train_step(images.data(), labels.data());
  CHECK(std::isfinite(rb.loss));
  CHECK(ra.loss == rb.loss);
  CHECK(same_bits(b.parameters(), a.parameters()));
  CHECK(same_bits(b.state(), a.state()));
  CHECK(same_bits(tb.optimizer_state(), ta.optimizer_state()));

  // A different optimizer's checkpoint is refused.
  auto c = make_model<Small>(Input<8, 8, 1>{}, 16);
  Trainer tc(c, optim::Adam{});
  CHECK_THROWS_AS(tc.load(file), Error);
  fs::remove(file);
}

TEST_CASE("the training loss adds weight decay's term, half the decay times the sum of squares") {
  // TensorFlow's total_loss: cross-entropy + weight_decay * l2_loss, l2_loss = sum(w^2) / 2 over
  // the parameters before the step, batch norm's left out. Two identical networks, with and
  // without decay, see the same batch; their first losses differ by exactly that term.
  auto with = make_model<Small>(Input<8, 8, 1>{}, 8);
  auto without = make_model<Small>(Input<8, 8, 1>{}, 8);
  with.init(4);
  without.init(4);
  double sum_of_squares = 0;
  for (const LeafRanges& leaf : with.parameter_ranges())
    if (leaf.layer.rfind("BatchNorm", 0) != 0)
      for (index_t i = leaf.params.offset; i < leaf.params.end(); ++i)
        sum_of_squares += double(with.parameters()[std::size_t(i)]) * double(with.parameters()[std::size_t(i)]);
  REQUIRE(sum_of_squares > 1.0);
  const double decay = 0.01;
  Trainer decayed(with, optim::Sgd{.learning_rate = optim::Constant{0.1}, .weight_decay = decay});
  Trainer plain(without, optim::Sgd{.learning_rate = optim::Constant{0.1}});
  Rng data(6);
  std::vector<float> images(8 * 64);
  std::vector<std::int32_t> labels(8);
  make_batch(data, 8, images.data(), labels.data());
  const double a = decayed.train_step(images.data(), labels.data()).loss;
  const double b = plain.train_step(images.data(), labels.data()).loss;
  // Both cross-entropies are the same float computation; the term is summed in double.
  CHECK(a - b == doctest::Approx(decay * 0.5 * sum_of_squares).epsilon(1e-12));
}

TEST_CASE("a diverging run stops with a message naming the step") {
  auto net = make_model<Sequential<Flatten, Dense<4>>>(Input<8, 8, 1>{}, 4);
  net.init(1);
  Trainer trainer(net, optim::Sgd{.learning_rate = optim::Constant{1e30}});
  std::vector<float> images(4 * 64, 1e10f);
  std::vector<std::int32_t> labels = {0, 1, 2, 3};
  bool threw = false;
  try {
    for (int i = 0; i < 5; ++i) trainer.train_step(images.data(), labels.data());
  } catch (const Error& e) {
    threw = true;
    CHECK(std::string(e.what()).find("at step") != std::string::npos);
  }
  CHECK(threw);
}

TEST_CASE("weights that are no longer finite stop evaluation and are never saved") {
  auto net = make_model<Sequential<Flatten, Dense<4>>>(Input<8, 8, 1>{}, 4);
  net.init(1);
  Trainer trainer(net, optim::Sgd{.learning_rate = optim::Constant{0.1}});
  std::vector<float> images(4 * 64, 0.5f);
  std::vector<std::int32_t> labels = {0, 1, 2, 3};
  test::TempDir dir("nonfinite");
  const auto good = dir.path / "good.ckpt";
  trainer.save(good);
  const auto saved_size = std::filesystem::file_size(good);

  net.parameters()[3] = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_WITH_AS(trainer.evaluate(images.data(), labels.data(), 4),
                       doctest::Contains("the weights are no longer finite numbers"), Error);
  // The last good checkpoint stays as it was, and nothing else is written.
  CHECK_THROWS_WITH_AS(trainer.save(good), doctest::Contains("its parameters hold NaN or Inf"), Error);
  CHECK(std::filesystem::file_size(good) == saved_size);
  CHECK_THROWS_AS(trainer.save(dir.path / "new.ckpt"), Error);
  CHECK_FALSE(std::filesystem::exists(dir.path / "new.ckpt"));
  CHECK(std::distance(std::filesystem::directory_iterator(dir.path), std::filesystem::directory_iterator()) == 1);

  net.parameters()[3] = std::numeric_limits<float>::infinity();  // Inf is refused as NaN is
  CHECK_THROWS_WITH_AS(trainer.save(good), doctest::Contains("its parameters hold NaN or Inf"), Error);
}
