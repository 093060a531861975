// Inter-op parallelism in a whole model, shown by the run's own record (parallel/trace.hpp):
// which leaves overlapped in time, and the team each kernel really ran with.
#include <doctest/doctest.h>

#include <omp.h>

#include <algorithm>
#include <string>
#include <vector>

#include "support/branchy_model.hpp"
#include "support/same_bits.hpp"
#include "tinycnn/core/random.hpp"
#include "tinycnn/graph/network.hpp"
#include "tinycnn/layers/conv2d.hpp"
#include "tinycnn/layers/dense.hpp"
#include "tinycnn/layers/relu.hpp"
#include "tinycnn/parallel/trace.hpp"

using namespace tinycnn;
using parallel::TraceEvent;

namespace {

// A convolution with an input gradient outside any branch (its weight and data gradients can run
// side by side), then a Residual with a projection shortcut and a Concat.
using Net = Sequential<Conv2D<4, 3>, ReLU, test::Branchy<Dense<3>>>;
constexpr index_t kBatch = 8;

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}
bool starts_with(const std::string& s, const std::string& head) { return s.rfind(head, 0) == 0; }

// The Residual's projection shortcut, and the leaves of its main path (Branchy's leaves 2 to 4).
const std::string kShortcut = "Conv2D 1x1/1 SAME 4->4 nobias";
const std::vector<std::string> kMainPath = {"Conv2D 3x3/1 SAME 4->4 nobias", "BatchNorm", "ReLU", "Conv2D 3x3/1 SAME 4->4"};

struct Step {
  std::vector<TraceEvent> events;
};

struct Training {
  std::vector<Step> steps;
  std::vector<float> parameters;
};

// Trains `steps` plain SGD steps on fixed data with the given threads, tracing each step.
Training train(int intra, int inter, int steps) {
  auto net = make_model<Net>(Input<16, 16, 3>{}, kBatch);
  net.set_threads(intra, inter);
  net.init(11);
  std::vector<float> x(std::size_t(kBatch) * 16 * 16 * 3), dlogits(std::size_t(kBatch) * 3);
  Rng rng(5);
  for (float& v : x) v = float(rng.uniform(-1.0, 1.0));
  for (float& v : dlogits) v = float(rng.uniform(-0.1, 0.1));
  parallel::Trace trace;
  Context ctx;
  ctx.trace = &trace;
  Training out;
  for (int s = 0; s < steps; ++s) {
    trace.clear();
    net.forward(x.data(), ctx);
    net.backward(x.data(), dlogits.data(), ctx);
    auto p = net.parameters();
    auto g = net.gradients();
    for (std::size_t i = 0; i < p.size(); ++i) p[i] -= 0.05f * g[i];
    out.steps.push_back({trace.events()});
  }
  out.parameters.assign(net.parameters().begin(), net.parameters().end());
  return out;
}

bool is_main_path(const std::string& label, const std::string& pass) {
  return std::any_of(kMainPath.begin(), kMainPath.end(), [&](const std::string& m) {
    return starts_with(label, m) && ends_with(label, pass) && !starts_with(label, kShortcut);
  });
}

// What overlapped in one step: the shortcut beside its main path (forward, backward), and a
// convolution's weight gradients beside its data gradients.
struct Overlaps {
  bool shortcut_forward = false, shortcut_backward = false, weights_data = false, any_leaves = false;
};

bool is_leaf(const TraceEvent& e) {
  return ends_with(e.label, " forward") || ends_with(e.label, " backward") || ends_with(e.label, " recompute");
}

Overlaps overlaps_in(const std::vector<TraceEvent>& events) {
  Overlaps o;
  for (const TraceEvent& a : events)
    for (const TraceEvent& b : events) {
      if (&a == &b || !a.overlaps(b)) continue;
      if (is_leaf(a) && is_leaf(b)) o.any_leaves = true;
      if (a.label == kShortcut + " forward" && is_main_path(b.label, " forward")) o.shortcut_forward = true;
      if (a.label == kShortcut + " backward" && is_main_path(b.label, " backward")) o.shortcut_backward = true;
      if (ends_with(a.label, " backward weights") && ends_with(b.label, " backward data") &&
          a.label.substr(0, a.label.size() - 8) == b.label.substr(0, b.label.size() - 5))
        o.weights_data = true;
    }
  return o;
}

}  // namespace

TEST_CASE("with two inter-op threads the shortcut runs beside its main path, and weight beside data gradients") {
  // Whether two pieces overlap depends on when the second thread wakes: over many steps each
  // kind must be seen at least once (they are, in nearly every step, on an idle machine).
  const Training run = train(4, 2, 60);
  Overlaps seen;
  for (const Step& s : run.steps) {
    const Overlaps o = overlaps_in(s.events);
    seen.shortcut_forward |= o.shortcut_forward;
    seen.shortcut_backward |= o.shortcut_backward;
    seen.weights_data |= o.weights_data;
  }
  CHECK(seen.shortcut_forward);
  CHECK(seen.shortcut_backward);
  CHECK(seen.weights_data);
}

TEST_CASE("with one inter-op thread nothing overlaps: leaves run one after the other") {
  const Training run = train(2, 1, 5);
  for (const Step& s : run.steps) {
    const Overlaps o = overlaps_in(s.events);
    CHECK_FALSE(o.any_leaves);
    CHECK_FALSE(o.weights_data);
    CHECK_FALSE(o.shortcut_forward);
  }
}

TEST_CASE("every kernel ran with the threads it was given: all of them alone, a share beside another") {
  // 4 intra-op threads, 2 pieces at once: a piece beside another gets 2, and its kernels' nested
  // teams must really have 2 (an OpenMP runtime without nested parallelism would give 1).
  const Training run = train(4, 2, 2);
  int shared = 0, whole = 0;
  for (const Step& s : run.steps)
    for (const TraceEvent& e : s.events) {
      INFO(e.label);
      CHECK(e.team <= e.threads);
      if (e.team == 0) continue;  // no parallel region of its own (an elementwise pass)
      CHECK(e.team == e.threads);
      if (starts_with(e.label, "Conv2D 3x3/1 SAME 3->4 forward")) {  // the first leaf: outside any branch
        CHECK(e.threads == 4);
        ++whole;
      }
      if (e.label == kShortcut + " forward") {
        CHECK(e.threads == 2);
        ++shared;
      }
    }
  CHECK(whole == 2);
  CHECK(shared == 2);
}

TEST_CASE("the same settings give bitwise the same training, run after run") {
  for (const auto& setting : {std::pair{1, 1}, std::pair{2, 1}, std::pair{4, 2}}) {
    const int intra = setting.first, inter = setting.second;
    INFO("intra " << intra << ", inter " << inter);
    const Training a = train(intra, inter, 3), b = train(intra, inter, 3);
    CHECK(test::same_bits<float>(a.parameters, b.parameters));
  }
}

