// ranks: 2 3 4
// ParameterServer: with 1 or 2 servers and the other ranks as workers, a few synchronous steps
// leave every worker with bitwise the same weights, equal (to 1e-10, in double) to one process
// training on all the workers' images at once, and the servers' optimizer state, gathered by
// synchronize(), equal to that process's. The servers' sum is in rank order: a worker that is
// always late changes no bit. Checkpoints cross over both ways: a single process's resumes on
// the servers, and the first worker's, once synchronized, is that single process's.
#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <thread>
#include <unistd.h>
#include <vector>

#include "mpi/support.hpp"
#include "support/same_bits.hpp"
#include "tinycnn/all.hpp"
#include "tinycnn/distributed/parameter_server.hpp"

using namespace tinycnn;
namespace mpi = tinycnn::distributed::mpi;

namespace {

constexpr index_t kPerWorker = 2, kSteps = 3;
using test::Branches;
using test::Chain;
using test::GlobalBatch;
using test::worst_difference;
using In = test::SmallInput;
const mpi::WaitPolicy kWait = test::kMpiWait;

// Trains kSteps; returns this worker's final parameters (empty on a server). late: the worker
// that sleeps before every step, so that its gradients reach the servers last (-1: none).
// Asynchronous servers equal one process only with one worker.
template <class Spec, class H, class Opt>
std::vector<double> check_matches_one_process(const Opt& opt, int servers, index_t bucket, int inter = 1,
                                              int late = -1, bool synchronous = true) {
  const mpi::Comm world;
  const int r = world.rank(), workers = world.size() - servers;
  CAPTURE(world.size());
  CAPTURE(servers);
  CAPTURE(bucket);
  CAPTURE(opt.name());

  auto net = make_model<Spec, double>(H{}, kPerWorker);
  net.set_threads(1, inter);
  net.init(3);
  const index_t n = index_t(net.parameters().size());
  const distributed::ParameterServerOptions options{servers, bucket, kWait, synchronous};
  std::vector<double> mine;
  if (r < servers) {
    const distributed::ServeResult served = distributed::serve<double>(opt, net.parameter_ranges(), n, options);
    CHECK(served.updates == kSteps);
    CHECK(served.max_staleness == 0);
  } else {
    const int k = r - servers;
    using Policy = distributed::ParameterServer<double>;
    Trainer<decltype(net), Opt, Policy> trainer(net, opt, 5, Policy(net.parameter_ranges(), n, options));
    CHECK(trainer.policy().worker_index() == k);
    CHECK(trainer.policy().workers() == workers);
    auto whole = make_model<Spec, double>(H{}, kPerWorker * workers);
    whole.init(3);
    Trainer<decltype(whole), Opt> alone(whole, opt, 5);
    using Net = decltype(net);
    for (index_t step = 0; step < kSteps; ++step) {
      GlobalBatch<Net> data(kPerWorker * workers, 100 + std::uint64_t(step));
      if (k == late) std::this_thread::sleep_for(std::chrono::milliseconds(40));
      trainer.train_step(data.images_of(k * kPerWorker), data.labels_of(k * kPerWorker));
      alone.train_step(data.images.data(), data.labels.data());
    }
    trainer.synchronize();
    CHECK(worst_difference(net.parameters(), whole.parameters()) < 1e-10);
    if (k == 0) {  // the first worker holds the servers' optimizer state now
      CHECK(worst_difference(trainer.optimizer_state(), alone.optimizer_state()) < 1e-10);
      CHECK(trainer.step() == kSteps);
    }
    trainer.policy().finish();
    mine.assign(net.parameters().begin(), net.parameters().end());
  }
  // Every worker's copy is bitwise the first worker's (the servers pass zeros along).
  if (r < servers) mine.assign(static_cast<std::size_t>(n), 0.0);
  const std::vector<double> first = test::copy_of_rank(world, mine, servers);
  if (r >= servers) CHECK(test::same_bits<double>(mine, first));
  if (r < servers) mine.clear();
  return mine;
}

}  // namespace

TEST_CASE("parameter servers equal one process on the whole batch, bitwise alike on every worker") {
  const int ranks = mpi::Comm().size();
  for (int servers = 1; servers <= 2 && servers < ranks; ++servers)
    for (index_t bucket : {index_t(64), index_t(1) << 30}) {
      check_matches_one_process<Chain, In>(optim::Sgd{.learning_rate = optim::Constant{0.1}, .weight_decay = 1e-3},
                                           servers, bucket);
      check_matches_one_process<Chain, In>(optim::Momentum{.learning_rate = optim::Constant{0.05}}, servers, bucket);
      check_matches_one_process<Chain, In>(optim::Adam{.learning_rate = optim::Constant{0.01}}, servers, bucket);
    }
}

TEST_CASE("the servers leave batch norm out of weight decay, as one process does") {
  // Batch norm normalises each worker's batch on its own, so only one worker equals one process
  // on the whole batch; with decay on batch norm at one end and not at the other, they differ.
  if (mpi::Comm().size() != 2) return;
  using WithBatchNorm = Sequential<Conv2D<4, 3>, BatchNorm<>, ReLU, Flatten, Dense<3>>;
  check_matches_one_process<WithBatchNorm, In>(
      optim::Sgd{.learning_rate = optim::Constant{0.1}, .weight_decay = 0.05}, 1, index_t(1) << 30);
}

TEST_CASE("parameter servers with concurrent branches reporting in any order") {
  check_matches_one_process<Branches, In>(optim::Momentum{.learning_rate = optim::Constant{0.05}}, 1, 8, 2);
}

TEST_CASE("the servers add the workers' gradients in rank order, not in arrival order") {
  // With three workers, (g0 + g1) + g2 and (g1 + g2) + g0 differ in some bits: a sum in arrival
  // order would tell the run whose last worker is late from the one whose first worker is.
  if (mpi::Comm().size() < 4) return;
  const auto opt = optim::Sgd{.learning_rate = optim::Constant{0.1}};
  const std::vector<double> last_late = check_matches_one_process<Chain, In>(opt, 1, 64, 1, 2);
  const std::vector<double> first_late = check_matches_one_process<Chain, In>(opt, 1, 64, 1, 0);
  if (mpi::Comm().rank() >= 1) CHECK(test::same_bits<double>(last_late, first_late));
}

TEST_CASE("synchronize averages the workers' batch-norm statistics; begin hands out the first worker's") {
  using Net = Sequential<Conv2D<4, 3>, BatchNorm<>, ReLU, Flatten, Dense<3>>;
  const mpi::Comm world;
  const int r = world.rank(), servers = 1, workers = world.size() - servers;
  auto net = make_model<Net, double>(Input<5, 5, 2>{}, kPerWorker);
  net.set_threads(1, 1);
  net.init(std::uint64_t(10 + r));  // different on every rank until the Trainer begins
  const index_t n = index_t(net.parameters().size());
  const distributed::ParameterServerOptions options{servers, 64, kWait};
  std::vector<double> state, mean;
  if (r < servers) {
    distributed::serve<double>(optim::Sgd{}, net.parameter_ranges(), n, options);
  } else {
    using Policy = distributed::ParameterServer<double>;
    Trainer<decltype(net), optim::Sgd, Policy> trainer(net, optim::Sgd{}, 5, Policy(net.parameter_ranges(), n, options));
    auto first = make_model<Net, double>(Input<5, 5, 2>{}, kPerWorker);
    first.init(std::uint64_t(10 + servers));
    CHECK(test::same_bits<double>(net.parameters(), first.parameters()));
    using Model = decltype(net);
    GlobalBatch<Model> data(kPerWorker * workers, 7);
    const int k = r - servers;
    trainer.train_step(data.images_of(k * kPerWorker), data.labels_of(k * kPerWorker));
    mean.assign(net.state().begin(), net.state().end());
    trainer.synchronize();
    state.assign(net.state().begin(), net.state().end());
  }
  // The mean of the workers' own statistics, over the world (the servers add zeros).
  std::vector<double> sum(std::size_t(net.state().size()), 0.0);
  if (r >= servers) sum = mean;
  mpi::Requests pending;
  world.iallreduce_sum(sum.data(), sum.size(), pending);
  pending.wait(kWait);
  for (double& v : sum) v /= workers;
  if (r >= servers) CHECK(worst_difference(state, sum) < 1e-14);
}

TEST_CASE("a single-process checkpoint resumes on parameter servers, and theirs resumes alone") {
  const mpi::Comm world;
  const int r = world.rank(), servers = world.size() > 2 ? 2 : 1, workers = world.size() - servers;
  const auto opt = optim::Adam{.learning_rate = optim::Constant{0.01}};
  auto net = make_model<Chain, double>(In{}, kPerWorker);
  net.set_threads(1, 1);
  net.init(3);
  const index_t n = index_t(net.parameters().size());
  const distributed::ParameterServerOptions options{servers, 64, kWait};
  const mpi::SplitComm team(MPI_COMM_WORLD, r < servers ? 0 : 1, r);  // the workers wait for each other
  // One folder for all ranks: the first worker's process id.
  std::int64_t id = ::getpid();
  mpi::Requests pending;
  world.ibcast(&id, 1, servers, pending);
  pending.wait(kWait);
  const auto dir = std::filesystem::temp_directory_path() / ("tinycnn_ps_resume_" + std::to_string(id));
  const auto saved_alone = dir / "alone.ckpt", saved_distributed = dir / "distributed.ckpt";
  if (r < servers) {
    CHECK(distributed::serve<double>(opt, net.parameter_ranges(), n, options).updates == kSteps);
  } else {
    const int k = r - servers;
    auto whole = make_model<Chain, double>(In{}, kPerWorker * workers);
    whole.init(3);
    Trainer<decltype(whole), optim::Adam> alone(whole, opt, 5);
    using Net = decltype(net);
    auto batch = [&](index_t step) { return GlobalBatch<Net>(kPerWorker * workers, 100 + std::uint64_t(step)); };
    for (index_t step = 0; step < kSteps; ++step) alone.train_step(batch(step).images.data(), batch(step).labels.data());
    if (k == 0) {
      std::filesystem::create_directories(dir);
      alone.save(saved_alone);
    }
    team.comm().barrier(kWait);  // the checkpoint is written
    using Policy = distributed::ParameterServer<double>;
    Trainer<decltype(net), optim::Adam, Policy> trainer(net, opt, 5, Policy(net.parameter_ranges(), n, options));
    trainer.load(saved_alone);
    CHECK(trainer.step() == kSteps);
    for (index_t step = kSteps; step < 2 * kSteps; ++step) {
      const GlobalBatch<Net> data = batch(step);
      trainer.train_step(data.images_of(k * kPerWorker), data.labels_of(k * kPerWorker));
      alone.train_step(data.images.data(), data.labels.data());
    }
    trainer.synchronize();
    CHECK(worst_difference(net.parameters(), whole.parameters()) < 1e-10);
    if (k == 0) {
      trainer.save(saved_distributed);
      auto again = make_model<Chain, double>(In{}, kPerWorker * workers);
      Trainer<decltype(again), optim::Adam> resumed(again, opt, 5);
      resumed.load(saved_distributed);
      CHECK(resumed.step() == 2 * kSteps);
      CHECK(test::same_bits<double>(again.parameters(), net.parameters()));
      CHECK(test::same_bits<double>(resumed.optimizer_state(), trainer.optimizer_state()));
      CHECK(worst_difference(resumed.optimizer_state(), alone.optimizer_state()) < 1e-10);
      std::filesystem::remove_all(dir);
    }
    trainer.policy().finish();
  }
}

TEST_CASE("asynchronous servers with one worker are the synchronous ones") {
  const int ranks = mpi::Comm().size();
  for (int servers = 1; servers <= 2 && servers < ranks; ++servers)
    if (ranks - servers == 1)
      check_matches_one_process<Chain, In>(optim::Momentum{.learning_rate = optim::Constant{0.05}}, servers, 64, 1, -1,
                                           false);
}

TEST_CASE("asynchronous servers apply every worker's gradients as they come, and every rank returns") {
  const mpi::Comm world;
  const int r = world.rank(), servers = 1, workers = world.size() - servers;
  const auto opt = optim::Momentum{.learning_rate = optim::Constant{0.05}};
  auto net = make_model<Chain, double>(In{}, kPerWorker);
  net.set_threads(1, 1);
  net.init(3);
  const index_t n = index_t(net.parameters().size());
  const distributed::ParameterServerOptions options{servers, 64, kWait, false};
  if (r < servers) {
    const distributed::ServeResult served = distributed::serve<double>(opt, net.parameter_ranges(), n, options);
    CHECK(served.updates == workers * kSteps);  // one update per worker step
    CHECK(served.max_staleness >= 0);
    CHECK(served.max_staleness < workers * kSteps);
    if (workers == 1) CHECK(served.max_staleness == 0);
  } else {
    const int k = r - servers;
    using Policy = distributed::ParameterServer<double>;
    Trainer<decltype(net), decltype(opt), Policy> trainer(net, opt, 5, Policy(net.parameter_ranges(), n, options));
    for (index_t step = 0; step < kSteps; ++step) {
      const GlobalBatch<decltype(net)> data(kPerWorker * workers, 100 + std::uint64_t(step));
      trainer.train_step(data.images_of(k * kPerWorker), data.labels_of(k * kPerWorker));
    }
    trainer.synchronize();
    if (k == 0) {  // the servers' count so far: its own updates and those the others made until now
      CHECK(trainer.step() >= kSteps);
      CHECK(trainer.step() <= workers * kSteps);
    }
    for (double v : net.parameters()) REQUIRE(std::isfinite(v));
    trainer.policy().finish();
  }
}
