// Every built-in layer's backward against central finite differences, in double.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iomanip>
#include <sstream>
#include <string>
#include <vector>

#include "support/check.hpp"
#include "support/gradient_check.hpp"
#include "tinycnn/all.hpp"

using namespace tinycnn;

namespace {

// Each check's tolerance is a small multiple of the worst error measured for it (written beside
// it): finite differences in double with step 1e-5 leave errors of 1e-12 to 1e-9 here, while a
// wrong backward errs by far more.
using test::expect_pass;
}  // namespace

TEST_CASE("ReLU") { expect_pass(check_gradients<ReLU>(Input<3, 4, 5>{}, 2), 1e-10); }  // measured worst 1.6e-11

TEST_CASE("MaxPool: VALID, SAME, overlapping windows") {
  expect_pass(check_gradients<MaxPool<2>>(Input<4, 6, 3>{}, 2), 2e-10);  // measured worst 2.1e-11
  // measured worst 2.6e-11
  expect_pass(check_gradients<MaxPool<3, Stride<2>, Pad::Same>>(Input<7, 5, 2>{}, 2), 2e-10);
  expect_pass(check_gradients<MaxPool<3, Stride<1>>>(Input<5, 5, 9>{}, 1), 5e-10);  // measured worst 8.6e-11
}

TEST_CASE("AvgPool and GlobalAvgPool") {
  // measured worst 1.8e-11
  expect_pass(check_gradients<AvgPool<3, Stride<2>, Pad::Same>>(Input<7, 6, 3>{}, 2), 1e-10);
  expect_pass(check_gradients<AvgPool<2>>(Input<4, 4, 10>{}, 1), 5e-11);  // measured worst 9.6e-12
  expect_pass(check_gradients<GlobalAvgPool>(Input<3, 5, 11>{}, 2), 2e-11);  // measured worst 3.0e-12
}

TEST_CASE("BatchNorm in training mode, with and without gamma") {
  auto with = check_gradients<BatchNorm<>>(Input<3, 3, 5>{}, 3);
  expect_pass(with, 1e-9);  // measured worst 1.7e-10
  CHECK(with.params_checked >= 10);  // beta and gamma (and the zero padding after them)
  auto without = check_gradients<BatchNorm<NoGamma, Epsilon<std::ratio<1, 100000>>>>(Input<2, 3, 9>{}, 2);
  expect_pass(without, 2e-9);  // measured worst 3.0e-10
  CHECK(without.params_checked >= 9);
}

TEST_CASE("BatchNorm in evaluation mode is an affine map with the running statistics") {
  expect_pass(check_gradients<BatchNorm<>>(Input<2, 2, 4>{}, 2, 1, Mode::Eval), 2e-10);  // measured worst 3.5e-11
}

TEST_CASE("Dropout with a fixed mask, and as identity in evaluation") {
  expect_pass(check_gradients<Dropout<Percent<50>>>(Input<1, 1, 40>{}, 3), 5e-10);  // measured worst 7.5e-11
  // measured worst 2.1e-11
  expect_pass(check_gradients<Dropout<Percent<30>>>(Input<2, 2, 3>{}, 2, 1, Mode::Eval), 2e-10);
}

TEST_CASE("a small Residual block with a projection shortcut") {
  using Block = Sequential<
      Residual<Sequential<Conv2D<4, 3, Stride<2>, NoBias>, BatchNorm<>, ReLU, Conv2D<4, 3, NoBias>, BatchNorm<>>,
               Sequential<Conv2D<4, 1, Stride<2>, NoBias>, BatchNorm<>>>,
      ReLU>;
  expect_pass(check_gradients<Block>(Input<5, 5, 3>{}, 2), 5e-9);  // measured worst 5.1e-10
}

TEST_CASE("a Residual block with the identity shortcut, repeated") {
  using Block = Residual<Sequential<Conv2D<3, 3>, ReLU, Conv2D<3, 1>>>;
  // measured worst 9.6e-11
  expect_pass(check_gradients<Sequential<Repeat<3, Block>, ReLU>>(Input<4, 4, 3>{}, 2), 5e-10);
}

TEST_CASE("a Residual whose main path ends in ReLU keeps a sum buffer of its own") {
  // ReLU's backward reads its output, so the sum must not overwrite it.
  using Block = Sequential<Conv2D<3, 1>, Residual<Sequential<Conv2D<3, 3>, ReLU>>, ReLU>;
  CHECK_FALSE(impl_of<Residual<Sequential<Conv2D<3, 3>, ReLU>>, double, Dims<4, 4, 3>>::add_in_place);
  CHECK(impl_of<Residual<Sequential<Conv2D<3, 3>, BatchNorm<>>>, double, Dims<4, 4, 3>>::add_in_place);
  expect_pass(check_gradients<Block>(Input<4, 4, 3>{}, 2), 1e-9);  // measured worst 1.7e-10
}

TEST_CASE("gradients kept in dead activations: every kind of chain child") {
  // A Sequential writes a child's dx over the child's own output where that buffer is dead
  // (graph/sequential.hpp): ReLU and BatchNorm always, a convolution when dx fits and its dy is
  // not there. Each chain below puts one rule at its edge; the finite differences judge.
  // A convolution whose output an in-place ReLU, the chain's last child, overwrites with the
  // convolution's dy: its own dx must go elsewhere. Not last, the ReLU writes over its dy.
  // measured worst 3.8e-11
  expect_pass(check_gradients<Sequential<Conv2D<3, 3>, Conv2D<5, 3>, ReLU>>(Input<4, 5, 2>{}, 2), 2e-10);
  // measured worst 7.9e-11
  expect_pass(check_gradients<Sequential<Conv2D<3, 3>, Conv2D<5, 3>, ReLU, Conv2D<2, 1>>>(Input<4, 5, 2>{}, 2), 5e-10);
  // A convolution followed by BatchNorm (not in place) takes its dx over its own output; a
  // shrinking one cannot (5 -> 2 channels).
  expect_pass(check_gradients<Sequential<Conv2D<3, 1>, Conv2D<5, 3>, BatchNorm<>, ReLU, Conv2D<2, 3>, BatchNorm<>,
                                         // measured worst 2.7e-10
                                         ReLU, Flatten, Dense<3>>>(Input<4, 4, 2>{}, 3), 2e-9);
  // A last ReLU in place over another ReLU's output, which that one's backward reads: its dx
  // goes elsewhere. Over a MaxPool's output (the pool reads only its input) it need not.
  // measured worst 8.4e-11
  expect_pass(check_gradients<Sequential<Conv2D<3, 3>, ReLU, ReLU, Conv2D<2, 1>>>(Input<4, 5, 2>{}, 2), 5e-10);
  // measured worst 3.1e-11
  expect_pass(check_gradients<Sequential<Conv2D<3, 3>, ReLU, ReLU>>(Input<4, 5, 2>{}, 2), 2e-10);
  // measured worst 1.0e-10
  expect_pass(check_gradients<Sequential<Conv2D<3, 3>, MaxPool<2>, ReLU, Conv2D<2, 1>>>(Input<6, 6, 2>{}, 2), 1e-9);
  // Chains ending in ReLU and in BatchNorm inside Repeat and Residual.
  using Block = Sequential<Residual<Sequential<Conv2D<3, 1>, BatchNorm<>, ReLU, Conv2D<3, 3>, BatchNorm<>>>, ReLU>;
  expect_pass(check_gradients<Sequential<Conv2D<3, 1>, Repeat<2, Block>, Repeat<2, Sequential<Conv2D<3, 3>, ReLU>>>>(
      Input<4, 4, 2>{}, 2), 5e-9);  // measured worst 4.3e-10
}

TEST_CASE("a small Concat (Inception-style) graph") {
  using Module = Concat<Conv2D<2, 1>,
                        Sequential<Conv2D<3, 1>, ReLU, Conv2D<2, 3>>,
                        Sequential<AvgPool<3, Stride<1>, Pad::Same>, Conv2D<1, 1>>,
                        MaxPool<3, Stride<1>, Pad::Same>>;
  using Impl = impl_of<Module, double, Dims<5, 4, 3>>;
  static_assert(std::is_same_v<Impl::out_dims, Dims<5, 4, 2 + 2 + 1 + 3>>);
  // measured worst 3.1e-11
  expect_pass(check_gradients<Sequential<Module, Flatten, Dense<3>>>(Input<5, 4, 3>{}, 2), 2e-10);
}

TEST_CASE("the mnist_deep model: shapes, parameter count, signature") {
  using Net = Network<models::MnistDeep, float, models::MnistInput::dims>;
  static_assert(std::is_same_v<Net::out_dims, Dims<1, 1, 10>>);
  // 5*5*1*32+32 + 5*5*32*64+64 + 7*7*64*1024+1024 + 1024*10+10
  static_assert(Net::num_params == 3274634);
  CHECK(Net::signature().find("Conv2D 5x5/1 SAME 1->32") != std::string::npos);
}

namespace {
// One forward and backward of a double network: its output, parameter gradients and dx. The
// parameters, input and upstream gradient are drawn as check_gradients draws them for seed 1,
// so the serial pass is the very one that check_gradients<Spec> judges.
struct Pass {
  std::vector<double> y, grads, dx;
};

template <class Spec, index_t H, index_t W, index_t C>
Pass one_pass(Input<H, W, C> input, index_t batch, int intra = 0, int inter = 1) {
  auto net = make_model<Spec, double>(input, batch);
  net.set_threads(intra, inter);
  using Net = decltype(net);
  net.init(1);
  Rng rng(2);
  std::vector<double> x(std::size_t(batch * Net::in_dims::size)), dy(std::size_t(batch * Net::classes));
  for (double& v : x) v = rng.uniform(-1, 1);
  for (double& v : dy) v = rng.uniform(-1, 1);
  for (double& p : net.parameters()) p += rng.uniform(-0.1, 0.1);
  Pass p;
  Context ctx{Mode::Train};
  const double* y = net.forward(x.data(), ctx);
  p.y.assign(y, y + dy.size());
  p.dx.resize(x.size());
  net.backward(x.data(), dy.data(), p.dx.data(), ctx);
  p.grads.assign(net.gradients().begin(), net.gradients().end());
  return p;
}

// Where two runs first part, for the failure message; a NaN differs from everything.
std::string first_difference(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return "sizes " + std::to_string(a.size()) + " and " + std::to_string(b.size());
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!(a[i] == b[i])) {
      std::ostringstream s;
      s << std::setprecision(17) << "[" << i << "]: " << a[i] << " vs " << b[i];
      return s.str();
    }
  return "none";
}

bool any_nonzero(const std::vector<double>& v) {
  return std::any_of(v.begin(), v.end(), [](double a) { return a != 0.0; });
}
}  // namespace

TEST_CASE("Concat gives bit-identical results with its branches run concurrently") {
  using Module = Sequential<Concat<Sequential<Conv2D<3, 1>, ReLU, Conv2D<2, 3>>, Conv2D<4, 1>, AvgPool<3, Stride<1>, Pad::Same>>,
                            Flatten, Dense<3>>;
  // Each kernel single-threaded in both runs: kernels may split their sums by thread count, and
  // only the running of branches side by side is under test here. A branch runs the same code
  // on the same data whichever thread runs it, and the branches' input gradients are summed in
  // branch order after all are done, so nothing may differ by a single bit.
  // The serial result is right: measured worst 3.3e-11.
  expect_pass(check_gradients<Module>(Input<5, 4, 3>{}, 2), 2e-10);
  const Pass serial = one_pass<Module>(Input<5, 4, 3>{}, 2, 1, 1);
  const Pass concurrent = one_pass<Module>(Input<5, 4, 3>{}, 2, 1, 3);
  CHECK(any_nonzero(serial.grads));
  CHECK(any_nonzero(serial.dx));
  // Exact comparisons: a NaN anywhere fails them.
  CHECK_MESSAGE(serial.y == concurrent.y, "output " << first_difference(serial.y, concurrent.y));
  CHECK_MESSAGE(serial.grads == concurrent.grads, "gradient " << first_difference(serial.grads, concurrent.grads));
  CHECK_MESSAGE(serial.dx == concurrent.dx, "dx " << first_difference(serial.dx, concurrent.dx));
}

TEST_CASE("the profiler times every leaf once per pass, in forward order") {
  using Net = Sequential<Conv2D<4, 3>, ReLU, Residual<Sequential<Conv2D<4, 3>, ReLU>>, Flatten, Dense<2>>;
  constexpr index_t batch = 3, passes = 2;
  auto net = make_model<Net>(Input<6, 6, 2>{}, batch);
  net.init(1);
  LayerProfiler profiler;
  Context ctx{Mode::Train, nullptr, &profiler};
  std::vector<float> x(batch * 72, 0.5f), dy(batch * 2, 1.0f);
  const auto start = std::chrono::steady_clock::now();
  for (int pass = 0; pass < passes; ++pass) {
    net.forward(x.data(), ctx);
    net.backward(x.data(), dy.data(), ctx);
  }
  const double outside = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  const auto& t = profiler.timings();
  const std::vector<std::string> expected = {"Conv2D 3x3/1 SAME 2->4", "ReLU", "Conv2D 3x3/1 SAME 4->4", "ReLU",
                                             "Identity", "Flatten", "Dense 144->2"};
  REQUIRE(t.size() == expected.size());
  double recorded = 0, leaf_flops = 0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    const LayerTiming& l = t[i];
    INFO(i << ": " << l.name << ", forward " << l.forward_seconds << " s, backward " << l.backward_seconds << " s");
    CHECK(l.name == expected[i]);
    CHECK(l.order == index_t(i));
    CHECK(l.forward_calls == passes);
    CHECK(l.backward_calls == (l.name == "Identity" ? 0 : passes));  // an identity shortcut's gradient is dy itself
    CHECK(std::isfinite(l.forward_seconds));
    CHECK(std::isfinite(l.backward_seconds));
    // The layers that compute must show time; one that hands its input on may take none.
    const bool computes = l.name != "Identity" && l.name != "Flatten";
    CHECK(l.forward_seconds >= 0);
    if (computes) CHECK(l.forward_seconds > 0);
    if (computes) CHECK(l.backward_seconds > 0);
    if (l.backward_calls == 0) CHECK(l.backward_seconds == 0);
    recorded += l.forward_seconds + l.backward_seconds;
    leaf_flops += l.flops;
  }
  CHECK(t[0].flops == doctest::Approx(3.0 * 2 * 36 * 18 * 4));
  // The leaves' FLOPs are the whole net's, less the residual sum, which its container does.
  CHECK(leaf_flops + double(batch * 6 * 6 * 4) == doctest::Approx(double(batch) * decltype(net)::flops_per_image));
  // The leaves run one after another inside the outside clock's interval.
  INFO("recorded " << recorded << " s, outside " << outside << " s");
  CHECK(recorded > 0);
  CHECK(recorded <= outside);
}

TEST_CASE("the profiler counts every leaf of concurrently run branches once per pass") {
  using Net = Sequential<Concat<Sequential<Conv2D<3, 1>, ReLU>, Conv2D<4, 1>, AvgPool<3, Stride<1>, Pad::Same>>,
                         Flatten, Dense<3>>;
  constexpr index_t passes = 3;
  auto net = make_model<Net>(Input<5, 4, 3>{}, 2);
  net.set_threads(0, 3);
  net.init(1);
  LayerProfiler profiler;
  Context ctx{Mode::Train, nullptr, &profiler};
  std::vector<float> x(2 * 60, 0.5f), dy(2 * 3, 1.0f);
  for (int pass = 0; pass < passes; ++pass) {
    net.forward(x.data(), ctx);
    net.backward(x.data(), dy.data(), ctx);
  }
  // Branches record from several threads in any order: compare the names as a sorted list.
  std::vector<std::string> names;
  for (const auto& l : profiler.timings()) {
    INFO(l.name);
    names.push_back(l.name);
    CHECK(l.forward_calls == passes);
    CHECK(l.backward_calls == passes);
  }
  std::sort(names.begin(), names.end());
  const std::vector<std::string> expected = {"AvgPool 3x3/1 SAME", "Conv2D 1x1/1 SAME 3->3", "Conv2D 1x1/1 SAME 3->4",
                                             "Dense 200->3", "Flatten", "ReLU"};
  CHECK(names == expected);
}

TEST_CASE("ReLU overwrites a sibling's output, never the Sequential's own input") {
  Context ctx;
  std::vector<float> x(2 * 12);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(i % 5) - 2.0f;  // negatives included
  const std::vector<float> original = x;

  auto after_conv = make_model<Sequential<Conv2D<3, 1>, ReLU>>(Input<2, 2, 3>{}, 2);
  after_conv.init(1);
  const float* y = after_conv.forward(x.data(), ctx);  // also hands ctx the network's threads and workspace
  const float* conv_out = nullptr;  // the convolution's own output buffer: the first leaf's forward
  visit_leaves(after_conv.root(), [&](auto& leaf) {
    if (!conv_out) conv_out = leaf.forward(x.data(), ctx);
  });
  CHECK(y == conv_out);  // in place: no buffer of its own

  auto first = make_model<Sequential<ReLU, Flatten>>(Input<2, 2, 3>{}, 2);
  CHECK(first.forward(x.data(), ctx) != x.data());
  auto behind_flatten = make_model<Sequential<Flatten, ReLU>>(Input<2, 2, 3>{}, 2);
  CHECK(behind_flatten.forward(x.data(), ctx) != x.data());
  CHECK(x == original);  // the caller's input is untouched
}
