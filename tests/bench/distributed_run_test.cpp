// A distributed benchmark run, seen through a stand-in Cluster (no MPI): a worker trains on its
// slice of the global batch with the cluster's policy, images/sec counts every worker's images
// over the slowest worker's time (the report's equations 3 and 4), the communication wait is
// the policy's, and a server only serves.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "support/captured_run.hpp"
#include "tinycnn/bench/run.hpp"
#include "tinycnn/graph/sequential.hpp"
#include "tinycnn/layers/conv2d.hpp"
#include "tinycnn/layers/dense.hpp"
#include "tinycnn/layers/dropout.hpp"
#include "tinycnn/layers/flatten.hpp"
#include "tinycnn/layers/relu.hpp"

using namespace tinycnn;

namespace {

using Net = Sequential<Conv2D<4, 3>, ReLU, Flatten, Dropout<Percent<50>>, Dense<5>>;
using In = Input<6, 5, 3>;
constexpr index_t kBatch = 4;
constexpr long long kSteps = 2, kWarmup = 1;
constexpr index_t kImage = 6 * 5 * 3;

// Updates locally, as one process would, and claims half a second of waiting per step.
struct WaitingLocal final : distributed::PolicyBase<float> {
  double* waited = nullptr;
  void on_gradients_ready(const distributed::StepView<float>&, ParameterRange) override {}
  void before_update(const distributed::StepView<float>&) override {}
  void update(const distributed::StepView<float>&, const distributed::AnyUpdater<float>& u) override { u.whole(); }
  void after_update(const distributed::StepView<float>&) override { *waited += 0.5; }
};

struct FakeCluster final : bench::Cluster {
  bool server = false;
  int workers_ = 3, index = 1;
  int barriers = 0, maxima = 0, finished = 0, served = 0;
  index_t served_parameters = 0;
  std::size_t served_leaves = 0;
  double waited = 0;
  WaitingLocal policy_;

  bool is_server() const override { return server; }
  int workers() const override { return workers_; }
  int worker_index() const override { return index; }
  void serve(const std::vector<LeafRanges>& leaves, index_t parameters) override {
    ++served;
    served_leaves = leaves.size();
    served_parameters = parameters;
  }
  distributed::PolicyBase<float>& policy(const std::vector<LeafRanges>&, index_t) override {
    policy_.waited = &waited;
    return policy_;
  }
  void finish() override { ++finished; }
  void barrier() override { ++barriers; }
  double max_over_workers(double v) override {
    ++maxima;
    return 2 * v;  // the slowest worker took twice as long as this one
  }
  double wait_seconds() const override { return waited; }
  std::string variables() const override { return "fake (3 workers)"; }
  bench::WorldInfo world() const override {
    bench::WorldInfo w;
    w.ranks = server ? 4 : 3;
    w.workers = 3;
    w.policy = "fake";
    return w;
  }
};

using Run = test::CapturedRun;


Run run(FakeCluster& cluster, int repetitions) {
  bench::BenchmarkOptions o;
  o.model = "test";
  o.batch_size = kBatch;
  o.num_batches = kSteps;
  o.num_warmup_batches = kWarmup;
  o.repetitions = repetitions;
  o.label_values = 5;
  o.fma_seconds = 0.001;
  o.cluster = &cluster;
  o.speedup_base = 1.0;
  return test::run_captured<Net, In>(o);
}

}  // namespace

TEST_CASE("a worker: its slice of the global batch, every worker's images over the slowest one's time") {
  FakeCluster cluster;
  const Run r = run(cluster, 2);
  CHECK(cluster.barriers == 2);  // one common start per repetition
  CHECK(cluster.maxima == 2);
  CHECK(cluster.finished == 1);
  CHECK(cluster.served == 0);
  REQUIRE(r.result.repetitions.size() == 2);
  for (const auto& rep : r.result.repetitions) {
    CHECK(rep.elapsed_seconds > 0);
    CHECK(rep.images_per_sec * rep.elapsed_seconds == doctest::Approx(double(3 * kBatch * kSteps)));
    CHECK(rep.worker_images_per_sec * 3 == doctest::Approx(rep.images_per_sec));
    CHECK(rep.wait_seconds_per_step == doctest::Approx(0.5));
  }
  CHECK(r.text.find("Batch size:  12 global\n             4 per device\n") != std::string::npos);
  CHECK(r.text.find("Variables:   fake (3 workers)\n") != std::string::npos);
  CHECK(r.text.find("per worker: ") != std::string::npos);
  CHECK(r.text.find("communication wait: 0.5000 s per step") != std::string::npos);
  CHECK(r.text.find("speed-up: ") != std::string::npos);
  // GFLOP/s against one process's peak: this worker's share of the images.
  CHECK(r.result.achieved_gflops() * 3 ==
        doctest::Approx(r.result.mean_images_per_sec() * r.result.flops_per_image / 1e9));

  // The same steps by hand: worker 1's rows [4, 8) of the 12 drawn, dropout seeded seed + 1.
  auto net = make_model<Net>(In{}, kBatch);
  net.init(1234);
  const auto data = bench::make_synthetic_slice<float>(3 * kBatch, kBatch, kBatch, kImage, 5, 1234);
  const auto whole = bench::make_synthetic_batch<float>(3 * kBatch, kImage, 5, 1234);
  CHECK(std::equal(data.images.data(), data.images.data() + kBatch * kImage,
                   whole.images.data() + kBatch * kImage));
  Trainer trainer(net, optim::Sgd{.learning_rate = optim::Constant{0.005}, .weight_decay = 4e-5}, 1234 + 1);
  for (long long k = 0; k < kWarmup; ++k) trainer.train_step(data.images.data(), data.labels.data());
  for (long long k = 0; k < kSteps; ++k) {
    const double loss = trainer.train_step(data.images.data(), data.labels.data()).loss;
    CHECK(loss == r.result.repetitions[1].losses[std::size_t(k)]);
  }
}

TEST_CASE("a server serves the model's variables and runs no step") {
  FakeCluster cluster;
  cluster.server = true;
  const Run r = run(cluster, 1);
  CHECK(cluster.served == 1);
  CHECK(cluster.served_leaves == 2);  // the convolution and the dense layer
  auto net = make_model<Net>(In{}, 1);
  CHECK(cluster.served_parameters == index_t(net.parameters().size()));
  CHECK(r.result.server);
  CHECK(r.result.repetitions.empty());
  CHECK(r.text.empty());
}
