// --per_layer: the extra profiled steps are real Trainer steps (the update included), run after
// the timed ones, and the report keeps its format.
#include <doctest/doctest.h>

#include <cstdio>
#include <string>

#include "support/captured_run.hpp"
#include "tinycnn/bench/run.hpp"
#include "tinycnn/graph/sequential.hpp"
#include "tinycnn/layers/conv2d.hpp"
#include "tinycnn/layers/dense.hpp"
#include "tinycnn/layers/flatten.hpp"
#include "tinycnn/layers/relu.hpp"

using namespace tinycnn;

namespace {

using Net = Sequential<Conv2D<4, 3>, ReLU, Flatten, Dense<5>>;

using Run = test::CapturedRun;


Run run(bool forward_only, int repetitions) {
  bench::BenchmarkOptions o;
  o.model = "test";
  o.batch_size = 4;
  o.num_batches = 2;
  o.num_warmup_batches = 1;
  o.forward_only = forward_only;
  o.repetitions = repetitions;
  o.per_layer = true;
  o.profile_steps = 3;
  o.label_values = 5;
  o.fma_seconds = 0.001;
  return test::run_captured<Net, Input<6, 5, 3>>(o);
}

}  // namespace

TEST_CASE("the profiled training steps time every layer and every phase, the update included") {
  const Run r = run(false, 2);
  REQUIRE(r.result.layers.size() == 4);
  for (const LayerTiming& l : r.result.layers) {
    INFO(l.name);
    CHECK(l.forward_calls == 3);  // the profiled steps only, once
    CHECK(l.backward_calls == 3);
  }
  const PhaseTimes& p = r.result.phases;
  CHECK(p.steps == 3);
  CHECK(p.forward_loss_seconds > 0);
  CHECK(p.backward_seconds > 0);
  CHECK(p.update_seconds > 0);
  // The table once, after both repetitions, under its heading.
  const std::string heading = "Per-layer time (3 extra steps after the timed ones, batch 4), most expensive first\n";
  const auto at = r.text.find(heading);
  REQUIRE(at != std::string::npos);
  CHECK(r.text.find(heading, at + 1) == std::string::npos);
  CHECK(r.text.rfind("total images/sec") < at);
  CHECK(r.text.find(" ms per step (sum over layers)\n", at) != std::string::npos);
  // The JSON carries the phases per step.
  const std::string json = bench::to_json(bench::BenchmarkOptions{}, r.result);
  CHECK(json.find("\"phases\"") != std::string::npos);
  CHECK(json.find("\"update_seconds_per_step\"") != std::string::npos);
}

TEST_CASE("forward-only profiled steps time the forward passes and no phase") {
  const Run r = run(true, 1);
  REQUIRE(r.result.layers.size() == 4);
  for (const LayerTiming& l : r.result.layers) {
    INFO(l.name);
    CHECK(l.forward_calls == 3);  // batch 4 is one inference chunk
    CHECK(l.backward_calls == 0);
  }
  CHECK(r.result.phases.steps == 0);
  CHECK(bench::to_json(bench::BenchmarkOptions{}, r.result).find("\"phases\"") == std::string::npos);
}
