// ranks: 2 3 4
// AllReduce: after a few steps every rank holds bitwise the same weights and optimizer state,
// and they are (to 1e-10, in double) what one process reaches training on all ranks' images
// at once, for small buckets and for one bucket, for a plain chain and for concurrent branches.
#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <vector>

#include "mpi/support.hpp"
#include "support/same_bits.hpp"
#include "tinycnn/all.hpp"
#include "tinycnn/distributed/all_reduce.hpp"

using namespace tinycnn;
using test::Branches;
using test::Chain;
using test::GlobalBatch;
using test::kMpiWait;
using test::SmallInput;

namespace {

constexpr index_t kPerRank = 2, kSteps = 3;

// Rank r trains on rows [r * kPerRank, (r+1) * kPerRank) of every global batch.
template <class Spec, class H, class Opt>
void check_matches_one_process(const Opt& opt, index_t bucket_elements, int inter) {
  const distributed::mpi::Comm world;
  const int r = world.rank(), n = world.size();
  CAPTURE(n);
  CAPTURE(bucket_elements);
  CAPTURE(opt.name());

  auto net = make_model<Spec, double>(H{}, kPerRank);
  net.set_threads(1, inter);
  net.init(3);
  using Policy = distributed::AllReduce<double>;
  Trainer<decltype(net), Opt, Policy> trainer(
      net, opt, 5, Policy(net.parameter_ranges(), index_t(net.parameters().size()), {bucket_elements, kMpiWait}));
  REQUIRE(trainer.policy().buckets().buckets().size() >= 1);

  auto whole = make_model<Spec, double>(H{}, kPerRank * n);
  whole.init(3);
  Trainer<decltype(whole), Opt> alone(whole, opt, 5);

  for (index_t step = 0; step < kSteps; ++step) {
    const GlobalBatch<decltype(net)> data(kPerRank * n, 100 + std::uint64_t(step));
    trainer.train_step(data.images_of(r * kPerRank), data.labels_of(r * kPerRank));
    alone.train_step(data.images.data(), data.labels.data());
  }

  // Bitwise the same on every rank: compare with rank 0's copy.
  const std::span<const double> params = net.parameters(), state = trainer.optimizer_state();
  CHECK(test::same_bits<double>(params, test::copy_of_rank(world, params, 0)));
  CHECK(test::same_bits<double>(state, test::copy_of_rank(world, state, 0)));
  CHECK(test::worst_difference(params, std::span<const double>(whole.parameters())) < 1e-10);
}

}  // namespace

TEST_CASE("all-reduce equals one process on the whole batch, bitwise alike on every rank") {
  for (index_t bucket : {index_t(64), index_t(1) << 30}) {
    check_matches_one_process<Chain, SmallInput>(
        optim::Sgd{.learning_rate = optim::Constant{0.1}, .weight_decay = 1e-3}, bucket, 1);
    check_matches_one_process<Chain, SmallInput>(optim::Momentum{.learning_rate = optim::Constant{0.05}}, bucket, 1);
    check_matches_one_process<Chain, SmallInput>(optim::Adam{.learning_rate = optim::Constant{0.01}}, bucket, 1);
  }
}

TEST_CASE("all-reduce with concurrent branches reporting in any order") {
  // Two inter-op threads run the Concat's branches at once, so the order of reports differs
  // from rank to rank; the buckets still start in one order everywhere.
  check_matches_one_process<Branches, SmallInput>(optim::Momentum{.learning_rate = optim::Constant{0.05}}, 8, 2);
}

TEST_CASE("begin takes the first rank's parameters; synchronize averages the batch-norm statistics") {
  using Net = Sequential<Conv2D<4, 3>, BatchNorm<>, ReLU, Flatten, Dense<3>>;
  const distributed::mpi::Comm world;
  const int r = world.rank(), n = world.size();
  auto net = make_model<Net, double>(Input<5, 5, 2>{}, kPerRank);
  net.set_threads(1, 1);
  net.init(std::uint64_t(10 + r));  // different on every rank until the Trainer begins
  using Policy = distributed::AllReduce<double>;
  Trainer<decltype(net), optim::Sgd, Policy> trainer(
      net, optim::Sgd{}, 5, Policy(net.parameter_ranges(), index_t(net.parameters().size()), {64, kMpiWait}));
  const std::span<const double> params = net.parameters();
  CHECK(test::same_bits<double>(params, test::copy_of_rank(world, params, 0)));

  // Each rank trains on its own images, so each has its own running statistics.
  const GlobalBatch<decltype(net)> data(kPerRank * n, 7);
  trainer.train_step(data.images_of(r * kPerRank), data.labels_of(r * kPerRank));
  std::vector<double> mean(net.state().begin(), net.state().end());
  distributed::mpi::Requests pending;
  world.iallreduce_sum(mean.data(), mean.size(), pending);
  pending.wait(kMpiWait);
  for (double& v : mean) v /= double(n);
  trainer.synchronize();
  const std::span<const double> state = net.state();
  CHECK(test::same_bits<double>(state, test::copy_of_rank(world, state, 0)));
  CHECK(test::worst_difference(state, mean) < 1e-14);
}
