// Shared checks for the model-zoo tests: the forward FLOPs against the benchmark's figure, and
// one real training step at the model's true input size.
#pragma once
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <vector>

#include "tinycnn/graph/network.hpp"
#include "tinycnn/optim/momentum.hpp"
#include "tinycnn/train/trainer.hpp"

namespace tinycnn::test {

// The notes' GFLOP figures count convolutions and dense layers only (multiply + add = 2), to
// three significant figures (at most 0.3 % rounding, for 1.68). flops_per_image also counts batch
// norm (4 per element), ReLU, pooling and residual adds, which add from +0.06 % (VGG16) to +0.75 %
// (ResNet-50) to the convolutions' and dense layers' count here (docs/models.md has the table). So
// the count may exceed the figure by a little and fall short of it only by the rounding. Any layer
// at the wrong resolution (a stride or a VALID/SAME mix-up in a large layer) moves it by far more
// than the -0.5 % .. +1.5 % allowed; the one-pixel difference of the ResNet stem's pool (55 vs 56,
// about +0.6 %) is below that and is pinned by a shape check in the ResNet tests instead.
inline void check_flops(double flops_per_image, double expected_gflop) {
  const double rel = flops_per_image / (expected_gflop * 1e9) - 1.0;
  INFO("flops_per_image = " << flops_per_image / 1e9 << " GFLOP, expected " << expected_gflop
                            << " GFLOP, relative difference " << rel * 100 << " %");
  CHECK(rel > -0.005);
  CHECK(rel < 0.015);
}

struct StepReport {
  double loss = 0;
  bool gradients_finite = false;
  double first_layer_grad_max = 0;  // max |dL/dw| over the first convolution's weights
  double largest_grad = 0;
  bool first_layer_moved = false;
  double init_seconds = 0, step_seconds = 0;  // reported, not checked: where a slow test spends its time
};

// One training step, TensorFlow benchmark style: a synthetic image batch (truncated normal, mean
// 127, stddev 60, rescaled to [-1, 1]), labels uniform in [0, 1000), Nesterov momentum 0.9.
// Weight decay stays 0 so that the reported loss is the cross-entropy alone, which at
// initialisation must be near log(1001) = 6.91.
template <class Spec, class InputT>
StepReport one_training_step(InputT input, index_t batch, index_t first_layer_weights) {
  using clock = std::chrono::steady_clock;
  auto t0 = clock::now();
  auto net = make_model<Spec, float>(input, batch);
  using Net = decltype(net);
  net.init(1234);
  StepReport r;
  r.init_seconds = std::chrono::duration<double>(clock::now() - t0).count();

  Rng rng(42);
  std::vector<float> images(static_cast<std::size_t>(batch * Net::in_dims::size));
  for (auto& v : images) v = float(rng.truncated_normal(127.0, 60.0) / 127.5 - 1.0);
  std::vector<std::int32_t> labels(static_cast<std::size_t>(batch));
  for (auto& l : labels) l = std::int32_t(rng.below(1000));

  std::vector<float> first_before(net.parameters().begin(), net.parameters().begin() + first_layer_weights);
  Trainer trainer(net, optim::Momentum{.learning_rate = optim::Constant{0.005}, .momentum = 0.9, .nesterov = true});
  t0 = clock::now();
  r.loss = trainer.train_step(images.data(), labels.data()).loss;
  r.step_seconds = std::chrono::duration<double>(clock::now() - t0).count();

  auto g = net.gradients();
  r.gradients_finite = std::all_of(g.begin(), g.end(), [](float v) { return std::isfinite(v); });
  for (float v : g) r.largest_grad = std::max(r.largest_grad, double(std::abs(v)));
  for (index_t i = 0; i < first_layer_weights; ++i)
    r.first_layer_grad_max = std::max(r.first_layer_grad_max, double(std::abs(g[std::size_t(i)])));
  r.first_layer_moved = !std::equal(first_before.begin(), first_before.end(), net.parameters().begin());
  return r;
}

// At initialisation the logits are small, so each example's loss is near log(1001) = 6.91 (a
// little above on average; a batch of one or two can land a little below). Far outside [6, 9]
// means exploding activations (large logits) or a broken softmax.
inline void check_step(const StepReport& r) {
  MESSAGE("loss " << r.loss << "; model set-up and init " << r.init_seconds << " s, training step "
                  << r.step_seconds << " s");
  INFO("loss " << r.loss << ", largest |gradient| " << r.largest_grad << ", first layer's largest |gradient| "
               << r.first_layer_grad_max);
  CHECK(std::isfinite(r.loss));
  CHECK(r.loss > 6.0);
  CHECK(r.loss < 9.0);
  CHECK(r.gradients_finite);
  // Not all zero, and reaching the first layer through the whole depth of the network.
  CHECK(r.largest_grad > 0.0);
  CHECK(r.first_layer_grad_max > 0.0);
  CHECK(r.first_layer_moved);
}

}  // namespace tinycnn::test
