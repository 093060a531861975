// Network::parameter_ranges and the gradient hook: every leaf's ranges of the flat buffers, and a
// report per leaf, during backward, as soon as its gradients are final, concurrent Concat
// branches included.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <mutex>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "support/branchy_model.hpp"
#include "support/check.hpp"
#include "tinycnn/core/aligned_buffer.hpp"
#include "tinycnn/graph/concat.hpp"
#include "tinycnn/graph/network.hpp"
#include "tinycnn/graph/residual.hpp"
#include "tinycnn/graph/sequential.hpp"
#include "tinycnn/layers/batch_norm.hpp"
#include "tinycnn/layers/conv2d.hpp"
#include "tinycnn/layers/dense.hpp"
#include "tinycnn/layers/flatten.hpp"
#include "tinycnn/layers/pooling.hpp"
#include "tinycnn/layers/relu.hpp"

using namespace tinycnn;

namespace {

using Branchy = test::Branchy<Dense<3>>;  // leaves 0 to 10 (support/branchy_model.hpp)
constexpr index_t kBatch = 3;
const std::vector<std::string> kKinds = {"Conv2D", "BatchNorm", "Conv2D", "BatchNorm", "Conv2D", "Conv2D",
                                         "Conv2D", "Conv2D", "BatchNorm", "Conv2D", "Dense"};
const std::vector<index_t> kStateLengths = {0, 8, 0, 8, 0, 0, 0, 0, 4, 0, 0};  // batch norm: mean and variance

// What the hook saw: each range, with a copy of its gradients at that moment.
template <class T>
struct Seen {
  std::mutex lock;
  std::vector<std::pair<ParameterRange, std::vector<T>>> reports;
};

template <class T>
using Net = decltype(make_model<Branchy, T>(Input<6, 6, 2>{}, kBatch));

// One forward and backward with a hook attached, the gradient buffer filled with NaN first:
// backward overwrites every gradient a leaf owns, so a copy taken too early holds NaN.
template <class T>
void pass_with_hook(Net<T>& net, Seen<T>& seen) {
  std::span<T> grads = net.gradients();
  std::fill(grads.begin(), grads.end(), std::numeric_limits<T>::quiet_NaN());
  auto hook = net.gradient_hook([&seen, grads](ParameterRange r) {
    std::vector<T> copy(grads.begin() + r.offset, grads.begin() + r.end());
    std::lock_guard<std::mutex> hold(seen.lock);
    seen.reports.emplace_back(r, std::move(copy));
  });
  Rng rng(9), data(4);
  const std::vector<T> x = test::random_vector<T>(kBatch * 72, data);
  const std::vector<T> dlogits = test::random_vector<T>(kBatch * 3, data);
  Context ctx{Mode::Train, &rng};
  ctx.gradients_ready = &hook;
  net.forward(x.data(), ctx);
  net.backward(x.data(), dlogits.data(), ctx);
}

}  // namespace

TEST_CASE("parameter_ranges: every leaf that owns values, in forward order, tiling the buffers") {
  auto net = make_model<Branchy>(Input<6, 6, 2>{}, kBatch);
  using N = decltype(net);
  const std::vector<LeafRanges> ranges = net.parameter_ranges();
  REQUIRE(ranges.size() == kKinds.size());
  index_t params = 0, state = 0, params_end = 0, state_end = 0;
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    const LeafRanges& r = ranges[i];
    INFO(i << ": " << r.layer << " params [" << r.params.offset << ", " << r.params.end() << ") state ["
           << r.state.offset << ", " << r.state.end() << ")");
    CHECK(r.layer.rfind(kKinds[i], 0) == 0);
    CHECK(r.params.length > 0);
    CHECK(r.params.offset >= params_end);  // in order, no overlap
    CHECK(r.params.offset % (64 / index_t(sizeof(float))) == 0);  // each slice starts a cache line
    CHECK(r.state.offset >= state_end);
    CHECK(r.state.length == kStateLengths[i]);
    params += r.params.length;
    state += r.state.length;
    params_end = r.params.end();
    state_end = r.state.end();
  }
  CHECK(params == N::num_params);
  CHECK(state == N::num_state);
  CHECK(params_end <= index_t(net.parameters().size()));
  CHECK(state_end <= index_t(net.state().size()));
  // The first convolution: 3x3x2x4 weights and 4 biases at the start.
  CHECK(ranges[0].params == ParameterRange{0, 3 * 3 * 2 * 4 + 4});
}

TEST_CASE_TEMPLATE("the hook reports every leaf's gradient range once per backward, when it is final", T, float,
                   double) {
  for (int inter : {1, 2}) {
    for (int intra : {1, 2}) {
      CAPTURE(inter);
      CAPTURE(intra);
      auto net = make_model<Branchy, T>(Input<6, 6, 2>{}, kBatch);
      net.set_threads(intra, inter);  // inter 2: the Concat's branches run at once and report concurrently
      net.init(5);
      std::vector<ParameterRange> want;
      for (const LeafRanges& r : net.parameter_ranges()) want.push_back(r.params);
      for (int pass = 0; pass < 2; ++pass) {
        CAPTURE(pass);
        Seen<T> seen;
        pass_with_hook(net, seen);
        // Exactly once per range.
        std::vector<ParameterRange> got;
        for (const auto& report : seen.reports) got.push_back(report.first);
        std::sort(got.begin(), got.end(), [](auto& a, auto& b) { return a.offset < b.offset; });
        REQUIRE(got == want);
        // The gradients were final when reported: the copies equal the buffer after backward.
        std::span<const T> grads = net.gradients();
        for (const auto& report : seen.reports) {
          const ParameterRange& r = report.first;  // named, not bound: OpenMP builds may not capture bindings
          const auto& copy = report.second;
          INFO("range [" << r.offset << ", " << r.end() << ")");
          CHECK(std::all_of(copy.begin(), copy.end(), [](T v) { return std::isfinite(v); }));
          CHECK(std::memcmp(copy.data(), grads.data() + r.offset, copy.size() * sizeof(T)) == 0);
        }
        // The ranges are exactly what backward writes: the padding between them keeps its NaN.
        index_t inside = 0;
        for (index_t i = 0; i < index_t(grads.size()); ++i) {
          const bool in_range =
              std::any_of(want.begin(), want.end(), [i](auto& r) { return i >= r.offset && i < r.end(); });
          if (in_range) {
            ++inside;
            REQUIRE_MESSAGE(std::isfinite(grads[std::size_t(i)]), "gradient " << i << " inside a range is not finite");
          } else {
            REQUIRE_MESSAGE(std::isnan(grads[std::size_t(i)]), "gradient " << i << " outside every range was written");
          }
        }
        CHECK(inside == Net<T>::num_params);
      }
    }
  }
}

TEST_CASE("the hook reports in backward order, not in offset order") {
  auto net = make_model<Branchy>(Input<6, 6, 2>{}, kBatch);
  net.set_threads(0, 1);  // branches one after another: a fixed order
  net.init(5);
  const std::vector<LeafRanges> ranges = net.parameter_ranges();
  Seen<float> seen;
  pass_with_hook(net, seen);
  std::vector<std::size_t> order;
  for (const auto& report : seen.reports) {
    auto it = std::find_if(ranges.begin(), ranges.end(), [&](auto& r) { return r.params == report.first; });
    REQUIRE(it != ranges.end());
    order.push_back(std::size_t(it - ranges.begin()));
  }
  // The dense layer first; the Concat's branches in order, each from its last leaf; then the
  // Residual's main path (leaves 4, 3, 2) before its shortcut (5); the stem last.
  const std::vector<std::size_t> want = {10, 6, 9, 8, 7, 4, 3, 2, 5, 1, 0};
  CHECK(order == want);
}

TEST_CASE("without a hook backward computes the same gradients") {
  auto with = make_model<Branchy>(Input<6, 6, 2>{}, kBatch);
  auto without = make_model<Branchy>(Input<6, 6, 2>{}, kBatch);
  with.init(5);
  without.init(5);
  Seen<float> seen;
  pass_with_hook(with, seen);
  Rng rng(9), data(4);
  const std::vector<float> x = test::random_vector<float>(kBatch * 72, data);
  const std::vector<float> dlogits = test::random_vector<float>(kBatch * 3, data);
  Context ctx{Mode::Train, &rng};
  without.forward(x.data(), ctx);
  without.backward(x.data(), dlogits.data(), ctx);
  for (const LeafRanges& r : with.parameter_ranges())
    CHECK(std::memcmp(with.gradients().data() + r.params.offset, without.gradients().data() + r.params.offset,
                      std::size_t(r.params.length) * sizeof(float)) == 0);
}
