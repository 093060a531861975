// Network's planning: what it allocates when.
#include <doctest/doctest.h>

#include <omp.h>

#include <type_traits>
#include <vector>

#include "support/branchy_model.hpp"
#include "tinycnn/graph/network.hpp"
#include "tinycnn/graph/sequential.hpp"
#include "tinycnn/graph/visit.hpp"
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

TEST_CASE("a network planned again for a larger batch plans its Concat's branch workspace again") {
  // Two branches at once, each with its own slot of the workspace, sized for the batch: a slot
  // size kept from batch 1 is too small at batch 8, and the first take beyond it throws.
  using Net = test::Branchy<Dense<3>>;
  constexpr index_t kImage = 6 * 6 * 2, kBig = 8;
  std::vector<float> x(kBig * kImage), dlogits(kBig * 3);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(i % 11) / 5.f - 1.f;
  for (std::size_t i = 0; i < dlogits.size(); ++i) dlogits[i] = float(i % 3) - 1.f;
  auto grown = make_model<Net>(Input<6, 6, 2>{}, 1);
  grown.set_threads(2, 2);
  grown.init(5);
  Context ctx;
  grown.forward(x.data(), ctx);
  grown.backward(x.data(), dlogits.data(), ctx);
  grown.set_batch(kBig);
  grown.forward(x.data(), ctx);
  grown.backward(x.data(), dlogits.data(), ctx);

  auto fresh = make_model<Net>(Input<6, 6, 2>{}, kBig);
  fresh.set_threads(2, 2);
  fresh.init(5);
  fresh.forward(x.data(), ctx);
  fresh.backward(x.data(), dlogits.data(), ctx);
  CHECK(std::vector<float>(grown.gradients().begin(), grown.gradients().end()) ==
        std::vector<float>(fresh.gradients().begin(), fresh.gradients().end()));
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

TEST_CASE("the kernel workspace is planned: forward's at planning, backward's added by the first backward") {
  auto net = make_model<Small>(Input<9, 9, 3>{}, 4);
  net.set_threads(2);
  net.init(1);
  const std::size_t forward_need = net.planned_workspace_bytes(false);
  const std::size_t training_need = net.planned_workspace_bytes(true);
  CHECK(forward_need > 0);  // the convolutions pack their weights
  CHECK(training_need >= forward_need);
  CHECK(net.workspace_bytes() == forward_need);
  std::vector<float> x(4 * 9 * 9 * 3, 0.5f), dlogits(4 * 3, 0.1f);
  Context ctx;
  net.forward(x.data(), ctx);
  CHECK(net.workspace_bytes() == forward_need);
  CHECK(ctx.exec.intra == 2);
  CHECK(ctx.exec.workspace.size() == forward_need);
  net.backward(x.data(), dlogits.data(), ctx);
  CHECK(net.workspace_bytes() == training_need);
  // Planning again follows a new thread count, and the passes run with it.
  net.set_threads(3);
  CHECK(net.intra_threads() == 3);
  CHECK(net.workspace_bytes() == net.planned_workspace_bytes(false));
  net.forward(x.data(), ctx);
  CHECK(ctx.exec.intra == 3);
  // A convolution's direct path packs a tile per thread: its plan grows with the threads.
  kernels::ConvShape conv;
  visit_leaves(net.root(), [&](auto& leaf) {
    if constexpr (requires { leaf.conv_shape(); }) conv = leaf.conv_shape();
  });
  CHECK(kernels::conv_forward_workspace<float>(conv, 3) > kernels::conv_forward_workspace<float>(conv, 2));
}

TEST_CASE("thread counts out of range are refused with a message") {
  auto net = make_model<Small>(Input<5, 5, 2>{}, 1);
  CHECK_THROWS_WITH_AS(net.set_threads(-1), "tinycnn: intra-op thread count must be between 0 and 1024, got -1", Error);
  CHECK_THROWS_WITH_AS(net.set_threads(100000), "tinycnn: intra-op thread count must be between 0 and 1024, got 100000",
                       Error);
  CHECK_THROWS_WITH_AS(net.set_threads(1, 5000), "tinycnn: inter-op thread count must be between 0 and 1024, got 5000",
                       Error);
  net.set_threads(0);  // the library picks: what OpenMP would use
  CHECK(net.intra_threads() == omp_get_max_threads());
}

TEST_CASE("the memory plan counts each buffer once, by purpose") {
  auto net = make_model<Small>(Input<5, 5, 2>{}, 3);
  net.set_threads(2);
  net.init(1);
  // Outputs: conv 3x5x5x4 and 3x5x5x6, the dense 3x3; both ReLUs run in place, Flatten
  // forwards its input.
  MemoryPlan m = net.memory();
  CHECK(m.activations == (300 + 450 + 9) * sizeof(float));
  CHECK(m.parameters == net.parameters().size_bytes());
  CHECK(m.gradients == net.gradients().size_bytes());
  CHECK(m.state == 0);
  CHECK(m.backward_scratch == 0);
  CHECK(m.workspace == net.planned_workspace_bytes(false));
  std::vector<float> x(3 * 5 * 5 * 2, 0.5f), dlogits(3 * 3, 0.1f);
  Context ctx;
  net.forward(x.data(), ctx);
  net.backward(x.data(), dlogits.data(), ctx);
  m = net.memory();
  CHECK(m.backward_scratch == net.backward_scratch_bytes());
  CHECK(m.workspace == net.planned_workspace_bytes(true));
  CHECK(m.total() == m.activations + m.parameters + m.gradients + m.backward_scratch + m.workspace + m.state);
}
