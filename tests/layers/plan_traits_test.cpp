// The memory planner's facts about layers (layers/plan_traits.hpp): each one set wrongly on a
// layer makes a test fail, here or in layers_gradient_test.cpp.
//   forwards_input        unset on a layer that hands its input on: a ReLU or a Residual's sum
//                         writes over the caller's input (here). Set on a layer that owns its
//                         output: a ReLU behind it no longer runs in place ("ReLU overwrites a
//                         sibling's output" in layers_gradient_test.cpp).
//   reads_own_output      unset on ReLU, or lost by a Sequential or Repeat around it: a
//                         Residual's sum overwrites the output ReLU's backward reads (the
//                         gradient checks here and in layers_gradient_test.cpp).
//   elementwise_backward  set on a layer whose backward is not elementwise: its dx overwrites the
//                         dy it is still reading (the chain gradient checks in
//                         layers_gradient_test.cpp). Unset on ReLU or BatchNorm: a chain takes
//                         scratch buffers it does not need (the plan pinned here).
//   in_place              unset on ReLU: it takes an activation of its own ("ReLU overwrites a
//                         sibling's output" in layers_gradient_test.cpp).
//   recomputable          set on a layer that cannot recompute its output: the gradients differ
//                         from those of the same model keeping it (here, bit for bit).
//   scratch_size          too small on a container: backward writes past the arena (here).
//   transient_size        too small on a container: forward writes past the arena (here).
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <source_location>
#include <vector>

#include "support/check.hpp"
#include "support/gradient_check.hpp"
#include "tinycnn/graph/concat.hpp"
#include "tinycnn/graph/gradient_check.hpp"
#include "tinycnn/graph/network.hpp"
#include "tinycnn/graph/repeat.hpp"
#include "tinycnn/graph/residual.hpp"
#include "tinycnn/graph/sequential.hpp"
#include "tinycnn/layers/batch_norm.hpp"
#include "tinycnn/layers/conv2d.hpp"
#include "tinycnn/layers/dense.hpp"
#include "tinycnn/layers/dropout.hpp"
#include "tinycnn/layers/flatten.hpp"
#include "tinycnn/layers/pooling.hpp"
#include "tinycnn/layers/relu.hpp"

using namespace tinycnn;

namespace {

using test::expect_pass;

// One forward of Spec over a caller's input with negative values (which a ReLU would change):
// the input must come back as it was, and the output must not be the input itself.
template <class Spec>
void forward_keeps_input(Mode mode) {
  auto net = make_model<Spec>(Input<2, 2, 3>{}, 2);
  net.init(1);
  std::vector<float> x(2 * 12);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(i % 5) - 2.0f;
  const std::vector<float> original = x;
  Rng rng(3);
  Context ctx{mode, &rng};
  const float* y = net.forward(x.data(), ctx);
  CHECK(y != x.data());
  CHECK(x == original);
}

}  // namespace

TEST_CASE("forwards_input: nothing writes over the caller's input through a layer that hands it on") {
  SUBCASE("Identity") { forward_keeps_input<Sequential<Identity, ReLU>>(Mode::Train); }
  SUBCASE("Flatten") { forward_keeps_input<Sequential<Flatten, ReLU>>(Mode::Train); }
  SUBCASE("Dropout in evaluation") { forward_keeps_input<Sequential<Dropout<Percent<50>>, ReLU>>(Mode::Eval); }
  SUBCASE("a Sequential of such layers") { forward_keeps_input<Sequential<Sequential<Flatten, Identity>, ReLU>>(Mode::Train); }
  SUBCASE("a Repeat of such layers") { forward_keeps_input<Sequential<Repeat<2, Identity>, ReLU>>(Mode::Train); }
  SUBCASE("a Residual whose main path is such a layer") {
    // Its sum must go to a buffer of its own, not over the main path's output (the input).
    forward_keeps_input<Residual<Identity>>(Mode::Train);
    forward_keeps_input<Residual<Dropout<Percent<50>>>>(Mode::Eval);
  }
}

TEST_CASE("reads_own_output: a Residual's sum never overwrites an output that a backward reads") {
  // ReLU's backward reads its output: a Residual whose main path ends in one, directly or inside a
  // Repeat, keeps its sum apart; one ending in BatchNorm (whose backward reads its input) adds
  // in place.
  CHECK_FALSE(impl_of<Residual<Sequential<Conv2D<3, 3>, ReLU>>, double, Dims<4, 4, 3>>::add_in_place);
  CHECK_FALSE(impl_of<Residual<Repeat<2, Sequential<Conv2D<3, 3>, ReLU>>>, double, Dims<4, 4, 3>>::add_in_place);
  CHECK(impl_of<Residual<Sequential<Conv2D<3, 3>, BatchNorm<>>>, double, Dims<4, 4, 3>>::add_in_place);
  // measured worst 3.9e-11
  expect_pass(check_gradients<Sequential<Conv2D<3, 1>, Residual<Repeat<2, Sequential<Conv2D<3, 3>, ReLU>>>, ReLU>>(
                  Input<4, 4, 2>{}, 2),
              2e-10);
}

TEST_CASE("elementwise_backward: a chain of convolutions, batch norms and ReLUs keeps every gradient in dead activations") {
  // Walking back: the last ReLU writes dx over its own output, each BatchNorm and ReLU over its
  // dy, each convolution over its own output. No scratch, as long as ReLU and BatchNorm say that
  // their backward is elementwise.
  using Chain = Sequential<Conv2D<4, 3>, BatchNorm<>, ReLU, Conv2D<4, 3>, BatchNorm<>, ReLU>;
  CHECK(scratch_size_of<impl_of<Chain, double, Dims<5, 5, 4>>>(2) == 0);
  // A shrinking convolution cannot hold its dx: one scratch buffer, of its input's size.
  using Shrinking = Sequential<Conv2D<4, 3>, BatchNorm<>, ReLU, Conv2D<2, 3>, BatchNorm<>, ReLU>;
  CHECK(scratch_size_of<impl_of<Shrinking, double, Dims<5, 5, 4>>>(2) == align_count<double>(2 * 5 * 5 * 4));
  expect_pass(check_gradients<Chain>(Input<5, 5, 4>{}, 2), 3e-9);      // measured worst 5.2e-10
  expect_pass(check_gradients<Shrinking>(Input<5, 5, 4>{}, 2), 2e-9);  // measured worst 2.8e-10
}

namespace {
// An arena of exactly `need` elements followed by a guard of sentinel values, which nothing
// may touch.
struct GuardedArena {
  static constexpr double sentinel = -123456.75;
  static constexpr index_t guard = 4096;
  index_t need;
  AlignedBuffer<double> data;
  explicit GuardedArena(index_t n) : need(n), data(n + guard) { std::fill(data.data(), data.data() + n + guard, sentinel); }
  index_t guard_touched() const {
    index_t touched = 0;
    for (index_t i = need; i < need + guard; ++i) touched += data[i] != sentinel;
    return touched;
  }
};

// Runs Spec's forward and backward with a scratch arena and a transient arena of exactly the
// sizes its containers declare: neither pass may write past them.
template <class Spec, index_t H, index_t W, index_t C>
void passes_stay_in_arenas(Input<H, W, C>, index_t batch) {
  using Root = impl_of<Spec, double, Dims<H, W, C>>;
  Root root;
  AlignedBuffer<double> params(std::max<index_t>(Root::param_storage, 1)),
      grads(std::max<index_t>(Root::param_storage, 1)), state(std::max<index_t>(Root::state_storage, 1));
  root.bind({params.data(), grads.data(), state.data()});
  Rng rng(1);
  root.init(rng);
  root.plan(batch);
  const index_t n_in = batch * Root::in_dims::size, n_out = batch * Root::out_dims::size;
  std::vector<double> x(static_cast<std::size_t>(n_in)), dy(static_cast<std::size_t>(n_out)), dx(x.size());
  for (double& v : x) v = rng.uniform(-1, 1);
  for (double& v : dy) v = rng.uniform(-1, 1);
  Context ctx{Mode::Train, &rng};
  ctx.batch = batch;
  parallel::WorkspaceArena workspace;  // the kernels' scratch, planned as a Network plans it
  workspace.reserve(detail::workspace_of(root, {2, 1, true}));
  ctx.exec = {2, 1, workspace.view()};
  GuardedArena transient(transient_size_of<Root>(batch));
  ctx.transient = transient.data.data();
  root.forward(x.data(), ctx);
  CHECK(transient.guard_touched() == 0);

  GuardedArena scratch(scratch_size_of<Root>(batch));
  CHECK(scratch.need > 0);
  ctx.scratch = scratch.data.data();
  root.backward(x.data(), dy.data(), dx.data(), ctx);
  INFO(Root::describe() << ": " << scratch.need << " scratch and " << transient.need << " transient elements declared");
  CHECK(scratch.guard_touched() == 0);
  CHECK(transient.guard_touched() == 0);
}
}  // namespace

TEST_CASE("scratch_size and transient_size: the passes stay inside the arenas the containers declare") {
  using Projection = Residual<Sequential<Conv2D<4, 3, Stride<2>, NoBias>, BatchNorm<>, ReLU, Conv2D<4, 3, NoBias>>,
                              Sequential<Conv2D<4, 1, Stride<2>, NoBias>, BatchNorm<>>>;
  using Repeated = Repeat<2, Residual<Sequential<Conv2D<4, 3>, ReLU, Conv2D<4, 1>>>>;
  using Branches = Concat<Conv2D<2, 1>, Sequential<Conv2D<3, 1>, ReLU, Conv2D<2, 3>>, MaxPool<3, Stride<1>, Pad::Same>,
                          Sequential<Conv2D<3, 1>, BatchNorm<>, ReLU, Conv2D<2, 3>>,
                          Sequential<Conv2D<5, 1>, BatchNorm<>, MaxPool<3, Stride<1>, Pad::Same>>>;
  passes_stay_in_arenas<Projection>(Input<5, 5, 3>{}, 2);
  passes_stay_in_arenas<Sequential<Conv2D<4, 3>, Repeated, Flatten, Dense<3>>>(Input<4, 4, 3>{}, 2);
  passes_stay_in_arenas<Branches>(Input<4, 4, 3>{}, 2);
  passes_stay_in_arenas<Sequential<Projection, Repeated, Branches, Flatten, Dense<3>>>(Input<5, 5, 3>{}, 2);
}

namespace {
// BatchNorm that keeps its output: the same layer with recomputable unset.
template <class... Opts>
struct KeptBatchNorm {
  template <class T, class In>
  struct impl : BatchNorm<Opts...>::template impl<T, In> {
    static constexpr PlanTraits plan_traits{.elementwise_backward = true};
  };
};

// What one training step leaves behind, in float, as the programs train.
struct StepResult {
  std::vector<float> logits, dx, gradients, state;
  std::size_t activation_bytes = 0;
};

template <class Spec, class In>
StepResult one_step(Mode mode, index_t batch, int intra_threads, int inter_threads) {
  Network<Spec, float, In> net(batch, intra_threads, inter_threads);
  net.init(11);
  Rng rng(5);
  std::vector<float> x(std::size_t(batch * In::size)), dlogits(std::size_t(batch * net.classes)),
      dx(x.size());
  for (float& v : x) v = float(rng.uniform(-1, 1));
  for (float& v : dlogits) v = float(rng.uniform(-1, 1));
  StepResult r;
  for (int step = 0; step < 2; ++step) {  // the second forward sees the first's running statistics
    Context ctx{mode, &rng};
    const float* y = net.forward(x.data(), ctx);
    r.logits.assign(y, y + batch * net.classes);
    net.backward(x.data(), dlogits.data(), dx.data(), ctx);
  }
  r.dx = dx;
  r.gradients.assign(net.gradients().begin(), net.gradients().end());
  r.state.assign(net.state().begin(), net.state().end());
  r.activation_bytes = net.memory().activations;
  return r;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// The same model with every BatchNorm recomputed (BN) or kept (Kept): the same logits, input
// gradient, parameter gradients and statistics, bit for bit, and less memory.
template <template <class> class Model, class In>
void recompute_changes_nothing_but_memory(index_t batch, int intra, int inter) {
  for (Mode mode : {Mode::Train, Mode::Eval}) {
    const StepResult recomputed = one_step<Model<BatchNorm<>>, In>(mode, batch, intra, inter);
    const StepResult kept = one_step<Model<KeptBatchNorm<>>, In>(mode, batch, intra, inter);
    INFO(std::string(mode == Mode::Train ? "training" : "evaluation") << ", " << intra << " x " << inter << " threads");
    CHECK(same_bits(recomputed.logits, kept.logits));
    CHECK(same_bits(recomputed.dx, kept.dx));
    CHECK(same_bits(recomputed.gradients, kept.gradients));
    CHECK(same_bits(recomputed.state, kept.state));
    CHECK(recomputed.activation_bytes < kept.activation_bytes);
  }
}

// A stem, a projection block and a repeated identity block as ResNet builds them, then a
// Concat whose branches recompute side by side, a pool after a batch norm, and the head. The
// projection's shortcut recomputes too, beside its main path.
template <class BN>
using SmallResNet = Sequential<
    Conv2D<8, 3, Stride<2>, NoBias>, BN, ReLU, MaxPool<2>,
    Residual<Sequential<Conv2D<4, 1, NoBias>, BN, ReLU, Conv2D<4, 3, NoBias>, BN, ReLU, Conv2D<12, 1, NoBias>, BN>,
             Sequential<Conv2D<12, 1, NoBias>, BN, ReLU, Conv2D<12, 1, NoBias>, BN>>,
    ReLU,
    Repeat<2, Sequential<Residual<Sequential<Conv2D<4, 1, NoBias>, BN, ReLU, Conv2D<12, 3, NoBias>, BN>>, ReLU>>,
    Concat<Sequential<Conv2D<4, 1, NoBias>, BN, ReLU, Conv2D<4, 3, NoBias>, BN, ReLU>,
           Sequential<Conv2D<6, 1, NoBias>, BN, ReLU, Conv2D<3, 1, NoBias>, BN, ReLU, Conv2D<5, 3, NoBias>, BN, ReLU>,
           Sequential<Conv2D<4, 1, NoBias>, BN, AvgPool<3, Stride<1>, Pad::Same>>>,
    GlobalAvgPool, Dense<5>>;
}  // namespace

TEST_CASE("recomputable: batch norm outputs recomputed in backward give the gradients of keeping them, bit for bit") {
  recompute_changes_nothing_but_memory<SmallResNet, Dims<17, 17, 3>>(3, 1, 1);
  recompute_changes_nothing_but_memory<SmallResNet, Dims<17, 17, 3>>(3, 2, 1);
  recompute_changes_nothing_but_memory<SmallResNet, Dims<17, 17, 3>>(3, 2, 2);  // branches side by side

  // Which outputs go: a batch norm followed by a ReLU and a convolution (or a pool), not one
  // whose output the chain hands on (the last), nor one followed by a container.
  using Chain = impl_of<Sequential<Conv2D<4, 3>, BatchNorm<>, ReLU, Conv2D<4, 3>, BatchNorm<>, ReLU>, float, Dims<5, 5, 4>>;
  constexpr auto plan = Chain::runner_t::plan;
  CHECK(plan.transient == std::array<std::size_t, 6>{0, 1, 0, 0, 0, 0});
  CHECK(plan.reader[1] == 3);
  CHECK(plan.fused_relu == std::array<std::size_t, 6>{0, 1, 0, 0, 0, 0});  // in BatchNorm's pass
  CHECK(plan.fused_into_previous == std::array<std::size_t, 6>{0, 0, 1, 0, 0, 0});
  CHECK(transient_size_of<Chain>(2) == align_count<float>(2 * 5 * 5 * 4));
  using Direct = impl_of<Sequential<Conv2D<4, 3>, BatchNorm<>, MaxPool<2>, BatchNorm<>, Sequential<ReLU>>, float, Dims<4, 4, 4>>;
  CHECK(Direct::runner_t::plan.transient == std::array<std::size_t, 5>{0, 1, 0, 0, 0});
  CHECK(Direct::runner_t::plan.reader[1] == 2);
  CHECK(Direct::runner_t::plan.fused_relu[1] == 0);
}
