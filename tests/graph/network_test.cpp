// Network's planning: what it allocates when.
#include <doctest/doctest.h>

#include <vector>

#include "tinycnn/graph/network.hpp"
#include "tinycnn/graph/sequential.hpp"
#include "tinycnn/layers/conv2d.hpp"
#include "tinycnn/layers/dense.hpp"
#include "tinycnn/layers/flatten.hpp"
#include "tinycnn/layers/relu.hpp"

using namespace tinycnn;

namespace {
using Small = Sequential<Conv2D<4, 3>, ReLU, Conv2D<6, 3>, ReLU, Flatten, Dense<3>>;
}

TEST_CASE("backward's gradient arena is allocated by the first backward, so inference never holds it") {
  auto net = make_model<Small>(Input<5, 5, 2>{}, 3);
  net.init(1);
  std::vector<float> x(3 * 5 * 5 * 2, 0.5f), dlogits(3 * 3, 0.1f);
  Context ctx;
  ctx.mode = Mode::Eval;
  net.forward(x.data(), ctx);
  CHECK(net.backward_scratch_bytes() == 0);

  ctx.mode = Mode::Train;
  net.forward(x.data(), ctx);
  net.backward(x.data(), dlogits.data(), ctx);
  // Two ping-pong gradients between the six layers, of the largest inner input (5x5x6 per image).
  CHECK(net.backward_scratch_bytes() >= 2 * 3 * 5 * 5 * 6 * sizeof(float));
  const std::vector<float> first(net.gradients().begin(), net.gradients().end());

  net.set_batch(3);  // planning again drops the arena until the next backward
  CHECK(net.backward_scratch_bytes() == 0);
  net.forward(x.data(), ctx);
  net.backward(x.data(), dlogits.data(), ctx);
  CHECK(net.backward_scratch_bytes() > 0);
  CHECK(std::vector<float>(net.gradients().begin(), net.gradients().end()) == first);
}
