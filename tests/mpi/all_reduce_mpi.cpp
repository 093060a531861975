// ranks: 2 3 4
// AllReduce: after a few steps every rank holds bitwise the same weights and optimizer state,
// and they are (to 1e-10, in double) what one process reaches training on all ranks' images
// at once, for small buckets and for one bucket, for a plain chain and for concurrent branches.
#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <vector>

#include "support/same_bits.hpp"
#include "tinycnn/all.hpp"
#include "tinycnn/distributed/all_reduce.hpp"

using namespace tinycnn;

namespace {

constexpr index_t kPerRank = 2, kSteps = 3;

// Every rank draws the same global batches; rank r trains on rows [r * kPerRank, (r+1) * kPerRank).
template <class Net>
struct Data {
  std::vector<double> images;
  std::vector<std::int32_t> labels;
  Data(index_t rows, std::uint64_t seed) : images(std::size_t(rows * Net::in_dims::size)), labels(std::size_t(rows)) {
    Rng rng(seed);
    for (double& x : images) x = rng.uniform(-1.0, 1.0);
    for (auto& l : labels) l = std::int32_t(rng.below(std::uint64_t(Net::classes)));
  }
};

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
      net, opt, 5,
      Policy(net.parameter_ranges(), index_t(net.parameters().size()),
             {bucket_elements, {distributed::mpi::WaitMode::poll, std::chrono::seconds(60)}}));
  REQUIRE(trainer.policy().buckets().buckets().size() >= 1);

  auto whole = make_model<Spec, double>(H{}, kPerRank * n);
  whole.init(3);
  Trainer<decltype(whole), Opt> alone(whole, opt, 5);

  using Net = decltype(net);
  for (index_t step = 0; step < kSteps; ++step) {
    Data<Net> data(kPerRank * n, 100 + std::uint64_t(step));
    trainer.train_step(data.images.data() + r * kPerRank * Net::in_dims::size, data.labels.data() + r * kPerRank);
    alone.train_step(data.images.data(), data.labels.data());
  }

  // Bitwise the same on every rank: compare with rank 0's copy.
  std::vector<double> params(net.parameters().begin(), net.parameters().end());
  std::vector<double> state(trainer.optimizer_state().begin(), trainer.optimizer_state().end());
  std::vector<double> params0 = params, state0 = state;
  distributed::mpi::Requests pending;
  world.ibcast(params0.data(), params0.size(), 0, pending);
  world.ibcast(state0.data(), state0.size(), 0, pending);
  pending.wait({distributed::mpi::WaitMode::poll, std::chrono::seconds(60)});
  CHECK(test::same_bits<double>(params, params0));
  CHECK(test::same_bits<double>(state, state0));

  double worst = 0;
  for (std::size_t i = 0; i < params.size(); ++i) worst = std::max(worst, std::abs(params[i] - whole.parameters()[i]));
  CHECK(worst < 1e-10);
  CHECK(std::isfinite(worst));
}

using Chain = Sequential<Conv2D<4, 3>, ReLU, MaxPool<2>, Conv2D<6, 3, NoBias>, ReLU, Flatten, Dense<8>, ReLU, Dense<3>>;
using Branches = Sequential<Conv2D<4, 3>, ReLU,
                            Concat<Sequential<Conv2D<3, 1>, ReLU>, Sequential<Conv2D<2, 3>, ReLU, Conv2D<2, 1>>,
                                   AvgPool<3, Stride<1>, Pad::Same>>,
                            Flatten, Dense<3>>;

}  // namespace

TEST_CASE("all-reduce equals one process on the whole batch, bitwise alike on every rank") {
  using In = Input<6, 6, 2>;
  for (index_t bucket : {index_t(64), index_t(1) << 30}) {
    check_matches_one_process<Chain, In>(optim::Sgd{.learning_rate = optim::Constant{0.1}, .weight_decay = 1e-3},
                                         bucket, 1);
    check_matches_one_process<Chain, In>(optim::Momentum{.learning_rate = optim::Constant{0.05}}, bucket, 1);
    check_matches_one_process<Chain, In>(optim::Adam{.learning_rate = optim::Constant{0.01}}, bucket, 1);
  }
}

TEST_CASE("all-reduce with concurrent branches reporting in any order") {
  // Two inter-op threads run the Concat's branches at once, so the order of reports differs
  // from rank to rank; the buckets still start in one order everywhere.
  check_matches_one_process<Branches, Input<6, 6, 2>>(optim::Momentum{.learning_rate = optim::Constant{0.05}}, 8, 2);
}

TEST_CASE("begin takes the first rank's parameters; synchronize averages the batch-norm statistics") {
  using Net = Sequential<Conv2D<4, 3>, BatchNorm<>, ReLU, Flatten, Dense<3>>;
  const distributed::mpi::Comm world;
  const int r = world.rank(), n = world.size();
  auto net = make_model<Net, double>(Input<5, 5, 2>{}, kPerRank);
  net.set_threads(1, 1);
  net.init(std::uint64_t(10 + r));  // different on every rank until the Trainer begins
  using Policy = distributed::AllReduce<double>;
  const distributed::mpi::WaitPolicy wait{distributed::mpi::WaitMode::poll, std::chrono::seconds(60)};
  Trainer<decltype(net), optim::Sgd, Policy> trainer(net, optim::Sgd{}, 5,
                                                     Policy(net.parameter_ranges(), index_t(net.parameters().size()),
                                                            {64, wait}));
  std::vector<double> params(net.parameters().begin(), net.parameters().end()), params0 = params;
  distributed::mpi::Requests pending;
  world.ibcast(params0.data(), params0.size(), 0, pending);
  pending.wait(wait);
  CHECK(test::same_bits<double>(params, params0));

  // Each rank trains on its own images, so each has its own running statistics.
  using Model = decltype(net);
  Data<Model> data(kPerRank * n, 7);
  trainer.train_step(data.images.data() + r * kPerRank * Model::in_dims::size, data.labels.data() + r * kPerRank);
  std::vector<double> mean(net.state().begin(), net.state().end());
  world.iallreduce_sum(mean.data(), mean.size(), pending);
  pending.wait(wait);
  for (double& v : mean) v /= double(n);
  trainer.synchronize();
  std::vector<double> state(net.state().begin(), net.state().end()), state0 = state;
  world.ibcast(state0.data(), state0.size(), 0, pending);
  pending.wait(wait);
  CHECK(test::same_bits<double>(state, state0));
  double worst = 0;
  for (std::size_t i = 0; i < state.size(); ++i) worst = std::max(worst, std::abs(state[i] - mean[i]));
  CHECK(worst < 1e-14);
}
