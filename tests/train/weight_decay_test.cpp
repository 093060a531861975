// Weight decay follows TensorFlow's CNN benchmark: every parameter but batch norm's
// (graph/weight_decay_rule.hpp), in the update and in the loss's L2 term alike.
#include <doctest/doctest.h>

#include <cmath>
#include <span>
#include <vector>

#include "tinycnn/all.hpp"

using namespace tinycnn;

namespace {

using Net = Sequential<Conv2D<4, 3>, BatchNorm<>, ReLU, Flatten, Dense<3>>;

struct Batch {
  std::vector<float> images;
  std::vector<std::int32_t> labels;
};

Batch random_batch() {
  Rng rng(3);
  Batch b{std::vector<float>(4 * 5 * 5 * 2), std::vector<std::int32_t>(4)};
  for (float& v : b.images) v = float(rng.uniform(-1, 1));
  for (auto& v : b.labels) v = std::int32_t(rng.below(3));
  return b;
}

// One SGD step from the same start: the parameters after it and the reported loss.
struct After {
  std::vector<float> params;
  double loss;
};
After one_step(double weight_decay, const WeightDecayRule* rule, std::vector<ParameterRange>* exempt = nullptr) {
  auto net = make_model<Net>(Input<5, 5, 2>{}, 4);
  net.init(7);
  Trainer trainer(net, optim::Sgd{.learning_rate = optim::Constant{0.5}, .weight_decay = weight_decay});
  if (rule) trainer.set_weight_decay_rule(*rule);
  if (exempt) *exempt = trainer.decay_exempt();
  const Batch b = random_batch();
  const double loss = trainer.train_step(b.images.data(), b.labels.data()).loss;
  return {{net.parameters().begin(), net.parameters().end()}, loss};
}

bool inside(index_t i, const std::vector<ParameterRange>& ranges) {
  for (const ParameterRange& r : ranges)
    if (i >= r.offset && i < r.end()) return true;
  return false;
}

}  // namespace

TEST_CASE("the default rule leaves batch norm out of weight decay, in the update and in the loss") {
  auto net = make_model<Net>(Input<5, 5, 2>{}, 4);
  net.init(7);
  const std::vector<float> start(net.parameters().begin(), net.parameters().end());
  std::vector<ParameterRange> exempt;
  const After plain = one_step(0.0, nullptr);
  const After decayed = one_step(0.1, nullptr, &exempt);

  // Exactly batch norm's parameters (beta and gamma of 4 channels) are exempt.
  REQUIRE(exempt.size() == 1);
  CHECK(exempt[0].length == 8);
  for (const LeafRanges& leaf : net.parameter_ranges())
    if (leaf.layer.rfind("BatchNorm", 0) == 0) CHECK(leaf.params == exempt[0]);

  // SGD with decay: w - lr (g + wd w) = (w - lr g) - lr wd w, so the two runs differ by
  // lr * wd * w0 outside the exempt range and not at all inside it.
  index_t decayed_count = 0;
  double l2 = 0;
  for (const LeafRanges& leaf : net.parameter_ranges())
    for (index_t i = leaf.params.offset; i < leaf.params.end(); ++i) {
      const std::size_t k = std::size_t(i);
      REQUIRE(std::isfinite(decayed.params[k]));
      if (inside(i, exempt)) {
        CHECK(decayed.params[k] == plain.params[k]);
      } else {
        CHECK(decayed.params[k] == doctest::Approx(plain.params[k] - 0.5 * 0.1 * start[k]).epsilon(1e-5));
        l2 += double(start[k]) * double(start[k]);
        ++decayed_count;
      }
    }
  CHECK(decayed_count > 100);
  CHECK(decayed.loss - plain.loss == doctest::Approx(0.1 * 0.5 * l2).epsilon(1e-6));
}

TEST_CASE("WeightDecayRule::every_parameter decays batch norm too; a rule can exempt any layer kind") {
  auto net = make_model<Net>(Input<5, 5, 2>{}, 4);
  net.init(7);
  const std::vector<float> start(net.parameters().begin(), net.parameters().end());
  const WeightDecayRule all = WeightDecayRule::every_parameter();
  std::vector<ParameterRange> exempt;
  const After plain = one_step(0.0, &all);
  const After decayed = one_step(0.1, &all, &exempt);
  CHECK(exempt.empty());
  for (const LeafRanges& leaf : net.parameter_ranges())
    for (index_t i = leaf.params.offset; i < leaf.params.end(); ++i) {
      const std::size_t k = std::size_t(i);
      CHECK(decayed.params[k] == doctest::Approx(plain.params[k] - 0.5 * 0.1 * start[k]).epsilon(1e-5));
    }

  const WeightDecayRule dense_only{{"Conv2D", "BatchNorm"}};
  one_step(0.1, &dense_only, &exempt);
  REQUIRE(exempt.size() == 2);
  const std::vector<LeafRanges> leaves = net.parameter_ranges();
  CHECK(exempt[0] == leaves[0].params);  // the convolution
  CHECK(exempt[1] == leaves[1].params);  // batch norm

  // By path: "4" is the dense layer (root child 4), and batch norm stays exempt by kind.
  const WeightDecayRule by_path{{"BatchNorm"}, {"4"}};
  one_step(0.1, &by_path, &exempt);
  REQUIRE(exempt.size() == 2);
  CHECK(exempt[0] == leaves[1].params);
  CHECK(exempt[1] == leaves[2].params);
  CHECK(leaves[2].path == "4");
  const WeightDecayRule not_a_prefix{{}, {"0/1"}};  // "0" is a leaf; "0/1" names nothing
  one_step(0.1, &not_a_prefix, &exempt);
  CHECK(exempt.empty());
}

TEST_CASE("an exempt path covers its layer and what lies under it, not paths that only start alike") {
  const WeightDecayRule rule{{}, {"1", "3/main"}};
  auto at = [](const char* path) { return LeafRanges{"Conv2D 3x3", {}, {}, path}; };
  CHECK(rule.exempts(at("1")));
  CHECK(rule.exempts(at("3/main/0")));
  CHECK(rule.exempts(at("3/main/2/branch0")));
  CHECK_FALSE(rule.exempts(at("10")));
  CHECK_FALSE(rule.exempts(at("3/mainly")));
  CHECK_FALSE(rule.exempts(at("3")));
  CHECK_FALSE(rule.exempts(at("3/shortcut")));
}

TEST_CASE("for_each_decay_run cuts a range where exempt ranges begin and end") {
  const std::vector<ParameterRange> exempt{{10, 5}, {20, 2}, {30, 10}};
  std::vector<std::tuple<index_t, index_t, bool>> runs;
  for_each_decay_run({12, 25}, exempt, [&](index_t o, index_t n, bool d) { runs.emplace_back(o, n, d); });
  const std::vector<std::tuple<index_t, index_t, bool>> expected{
      {12, 3, false}, {15, 5, true}, {20, 2, false}, {22, 8, true}, {30, 7, false}};
  CHECK(runs == expected);
  runs.clear();
  for_each_decay_run({0, 10}, exempt, [&](index_t o, index_t n, bool d) { runs.emplace_back(o, n, d); });
  CHECK(runs == std::vector<std::tuple<index_t, index_t, bool>>{{0, 10, true}});
}
