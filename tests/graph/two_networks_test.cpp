// Two networks in one process, each with its own thread counts and workspace, trained at the
// same time from two threads: each must end exactly where it ends when trained alone. Nothing
// the kernels use (threads, scratch memory) may be shared between them.
#include <doctest/doctest.h>

#include <thread>
#include <vector>

#include "tinycnn/graph/concat.hpp"
#include "tinycnn/graph/network.hpp"
#include "tinycnn/graph/sequential.hpp"
#include "tinycnn/layers/conv2d.hpp"
#include "tinycnn/layers/dense.hpp"
#include "tinycnn/layers/flatten.hpp"
#include "tinycnn/layers/pooling.hpp"
#include "tinycnn/layers/relu.hpp"
#include "tinycnn/optim/momentum.hpp"
#include "tinycnn/train/trainer.hpp"

using namespace tinycnn;

namespace {

using Branchy = Sequential<Conv2D<8, 3>, ReLU,
                           Concat<Sequential<Conv2D<6, 1>, ReLU, Conv2D<6, 3>>, Conv2D<5, 1>, MaxPool<3, Stride<1>, Pad::Same>>,
                           ReLU, Conv2D<12, 3, Stride<2>>, Flatten, Dense<4>>;
constexpr index_t kBatch = 6;

struct Run {
  int intra, inter;
};

// Trains a fresh network for a few steps with these thread counts; returns its parameters.
std::vector<float> train(const Run& r) {
  auto net = make_model<Branchy>(Input<12, 12, 3>{}, kBatch);
  net.set_threads(r.intra, r.inter);
  net.init(7);
  Rng rng(11);
  std::vector<float> images(static_cast<std::size_t>(kBatch * 12 * 12 * 3), 0.0f);
  std::vector<std::int32_t> labels(static_cast<std::size_t>(kBatch), 0);
  for (float& v : images) v = float(rng.uniform(-1, 1));
  for (auto& l : labels) l = std::int32_t(rng.below(4));
  Trainer trainer(net, optim::Momentum{.learning_rate = optim::Constant{0.05}}, 3);
  for (int step = 0; step < 4; ++step) trainer.train_step(images.data(), labels.data());
  return {net.parameters().begin(), net.parameters().end()};
}

}  // namespace

TEST_CASE("two networks with different thread counts train side by side as each does alone") {
  const Run a{1, 1}, b{2, 2};
  const std::vector<float> alone_a = train(a), alone_b = train(b);
  std::vector<float> together_a, together_b;
  std::thread ta([&] { together_a = train(a); });
  std::thread tb([&] { together_b = train(b); });
  ta.join();
  tb.join();
  // Exact: the same code on the same data with the same threads, whoever else runs.
  CHECK(together_a == alone_a);
  CHECK(together_b == alone_b);
  CHECK(alone_a != std::vector<float>(alone_a.size(), 0.0f));
}
