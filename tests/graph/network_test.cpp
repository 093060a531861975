// Network's planning: what it allocates when.
#include <doctest/doctest.h>

#include <type_traits>
#include <vector>

#include "tinycnn/graph/network.hpp"
#include "tinycnn/graph/sequential.hpp"
#include "tinycnn/layers/conv2d.hpp"
#include "tinycnn/layers/dense.hpp"
#include "tinycnn/layers/flatten.hpp"
#include "tinycnn/layers/pooling.hpp"
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
  // Dense and Flatten (a pass-through) each take a scratch gradient of 5x5x6 values per image.
  CHECK(net.backward_scratch_bytes() >= 2 * 3 * 5 * 5 * 6 * sizeof(float));
  const std::vector<float> first(net.gradients().begin(), net.gradients().end());

  net.set_batch(3);  // planning again drops the arena until the next backward
  CHECK(net.backward_scratch_bytes() == 0);
  net.forward(x.data(), ctx);
  net.backward(x.data(), dlogits.data(), ctx);
  CHECK(net.backward_scratch_bytes() > 0);
  CHECK(std::vector<float>(net.gradients().begin(), net.gradients().end()) == first);
}

namespace {
using Stage1 = Sequential<Conv2D<4, 3>, ReLU, Conv2D<4, 3>, ReLU, MaxPool<2>>;
using Stage2 = Sequential<Conv2D<6, 3>, ReLU, MaxPool<2>>;
using Head = Sequential<Flatten, Dense<5>, ReLU, Dense<3>>;
using Nested = Sequential<Stage1, Stage2, Head>;
using Flat = SequentialCat<Stage1, Stage2, Head>;
static_assert(std::is_same_v<Flat, Sequential<Conv2D<4, 3>, ReLU, Conv2D<4, 3>, ReLU, MaxPool<2>, Conv2D<6, 3>, ReLU,
                                              MaxPool<2>, Flatten, Dense<5>, ReLU, Dense<3>>>);
}  // namespace

TEST_CASE("a flat chain computes what the nested one does; its two scratch buffers are sized apart") {
  auto nested = make_model<Nested>(Input<8, 8, 2>{}, 3);
  auto flat = make_model<Flat>(Input<8, 8, 2>{}, 3);
  nested.init(7);
  flat.init(7);
  REQUIRE(std::vector<float>(nested.parameters().begin(), nested.parameters().end()) ==
          std::vector<float>(flat.parameters().begin(), flat.parameters().end()));
  std::vector<float> x(3 * 8 * 8 * 2), dlogits(3 * 3);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(i % 7) - 3.f;
  for (std::size_t i = 0; i < dlogits.size(); ++i) dlogits[i] = float(i % 3) - 1.f;
  Context ctx;
  nested.forward(x.data(), ctx);
  nested.backward(x.data(), dlogits.data(), ctx);
  flat.forward(x.data(), ctx);
  flat.backward(x.data(), dlogits.data(), ctx);
  CHECK(std::vector<float>(nested.gradients().begin(), nested.gradients().end()) ==
        std::vector<float>(flat.gradients().begin(), flat.gradients().end()));
  // Walking the flat chain backward: Dense<3> takes buffer 0 (5 values per image), Dense<5>
  // buffer 1 (24), Flatten buffer 0 (24), the second pool buffer 1 (4x4x6 = 96); the convolution
  // before it keeps its dx in its own output, so the first pool takes buffer 0 again (8x8x4 =
  // 256). Two buffers of the largest, 256, would need 2 x 256.
  CHECK(flat.backward_scratch_bytes() == (256 + 96) * 3 * sizeof(float));
}
