#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "tinycnn/graph/network.hpp"
#include "tinycnn/models/trivial.hpp"
#include "tinycnn/optim/sgd.hpp"
#include "tinycnn/train/trainer.hpp"

using namespace tinycnn;
using Net = Network<models::Trivial, float, models::TrivialInput::dims>;

static_assert(std::is_same_v<Net::in_dims, Dims<227, 227, 3>>);
static_assert(std::is_same_v<Net::out_dims, Dims<1, 1, 1001>>);
// 227 * 227 * 3 = 154587 inputs; weights and biases of 154587 -> 1, 1 -> 4096, 4096 -> 1001.
static_assert(Net::num_params == (154587 + 1) + (4096 + 4096) + (4096 * 1001 + 1001));
static_assert(Net::num_params == 4'263'877);
// Two flops per multiply-add of the three dense layers, one per ReLU element.
static_assert(Net::flops_per_image == 2.0 * (154587.0 * 1 + 1 * 4096 + 4096 * 1001) + (1 + 4096));

TEST_CASE("trivial: the first loss is the softmax cross-entropy of its logits, near log(1001), and it falls") {
  constexpr index_t batch = 8, classes = 1001;
  auto net = make_model<models::Trivial, float>(models::TrivialInput{}, batch);
  net.init(1234);

  // The benchmark's synthetic data: truncated normal pixels rescaled to [-1, 1], labels below 1000.
  Rng rng(42);
  std::vector<float> images(static_cast<std::size_t>(batch * Net::in_dims::size));
  for (auto& v : images) v = float(rng.truncated_normal(127.0, 60.0) / 127.5 - 1.0);
  std::vector<std::int32_t> labels(static_cast<std::size_t>(batch));
  for (auto& l : labels) l = std::int32_t(rng.below(1000));

  // The loss the step should report, from the logits, in double.
  Context eval{Mode::Eval};
  const float* z = net.forward(images.data(), eval);
  double want = 0, largest_logit = 0;
  for (index_t i = 0; i < batch; ++i) {
    const float* zi = z + i * classes;
    const double top = *std::max_element(zi, zi + classes);
    double s = 0;
    for (index_t k = 0; k < classes; ++k) {
      s += std::exp(double(zi[k]) - top);
      largest_logit = std::max(largest_logit, std::abs(double(zi[k])));
    }
    want += (top + std::log(s) - double(zi[labels[std::size_t(i)]])) / batch;
  }

  const std::vector<float> first_layer(net.parameters().begin(), net.parameters().begin() + 154587);
  // Not the benchmark's 0.005: all 154587 inputs feed one unit, so a step moves that unit's input
  // by the rate times |x|^2 (about 26000 here) times its gradient, and at 0.005 the first step
  // switches the single ReLU off for this batch; from then on only the last bias learns. At
  // 0.001 every layer keeps learning.
  Trainer trainer(net, optim::Sgd{.learning_rate = optim::Constant{0.001}});
  std::vector<double> loss;
  for (int step = 0; step < 5; ++step) loss.push_back(trainer.train_step(images.data(), labels.data()).loss);
  MESSAGE("losses " << loss[0] << " " << loss[1] << " " << loss[2] << " " << loss[3] << " " << loss[4]
                    << ", reference " << want << ", largest |logit| " << largest_logit);

  // Measured 0 (the kernel also sums in double, in the same order); 1e-12 leaves room for a
  // different order of the 1001 terms only.
  CHECK(std::abs(loss[0] - want) <= 1e-12);
  // Each example's logits are its unit's activation h (|N(0, 0.51^2)| or 0) times one vector of
  // standard deviation about 0.77 (the 4096 ReLU outputs through the sqrt(1 / 4096) weights), so
  // the loss exceeds log(1001) by h^2 0.77^2 / 2 on average, about 0.04 for the batch, with a
  // spread of about 0.1 from the labels' own logits. Measured 6.876, log(1001) - 0.033; 0.5 is
  // five times the spread. Last-layer weights of standard deviation 1 instead of sqrt(1 / 4096)
  // gave 13.73.
  CHECK(std::abs(loss[0] - std::log(double(classes))) <= 0.5);
  // Measured 6.876, 6.836, 6.745, 6.500, 6.053: falling at every step, 0.82 in all.
  for (int step = 1; step < 5; ++step) CHECK(loss[std::size_t(step)] < loss[std::size_t(step) - 1]);
  CHECK(loss[4] < loss[0] - 0.4);
  // The gradient reaches the first layer through the single unit.
  CHECK(!std::equal(first_layer.begin(), first_layer.end(), net.parameters().begin()));
}
