// Results across thread counts. Per-channel sums (bias and batch-norm gradients) are the same
// for any thread count in every mode; the split-K GEMM is not, so a deterministic Execution
// (Network::set_deterministic, --deterministic) leaves it out, and a whole model then trains
// to the same bits with any intra and inter thread counts.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "support/branchy_model.hpp"
#include "support/check.hpp"
#include "support/execution.hpp"
#include "support/same_bits.hpp"
#include "tinycnn/core/random.hpp"
#include "tinycnn/graph/network.hpp"
#include "tinycnn/graph/visit.hpp"
#include "tinycnn/kernels/batch_norm.hpp"
#include "tinycnn/kernels/bias.hpp"
#include "tinycnn/kernels/gemm.hpp"
#include "tinycnn/layers/conv2d.hpp"
#include "tinycnn/layers/dense.hpp"
#include "tinycnn/layers/relu.hpp"

using namespace tinycnn;

namespace {

template <class T>
std::span<const T> view(const std::vector<T>& v) {
  return {v.data(), v.size()};
}

// Enough rows times channels that every thread count below gets a team of its own size.
constexpr index_t kRows = 9001, kChannels = 40;
const int kThreadCounts[] = {1, 2, 3, 4, 7};

}  // namespace

TEST_CASE("bias and batch-norm gradients are the same bits for any thread count") {
  Rng rng(3);
  const auto x = test::random_vector<float>(kRows * kChannels, rng);
  const auto dy = test::random_vector<float>(kRows * kChannels, rng);
  const auto gamma = test::random_vector<float>(kChannels, rng);
  std::vector<float> mean(kChannels), invstd(kChannels);
  for (index_t ch = 0; ch < kChannels; ++ch) {
    mean[std::size_t(ch)] = float(rng.uniform(-0.1, 0.1));
    invstd[std::size_t(ch)] = float(rng.uniform(0.5, 2.0));
  }
  std::vector<float> first_db, first_dgamma, first_dbeta, first_dx;
  for (const int threads : kThreadCounts) {
    CAPTURE(threads);
    REQUIRE(kernels::detail::threads_for(threads, kRows * kChannels) == threads);
    std::vector<float> db(kChannels), dgamma(kChannels), dbeta(kChannels), dx(x.size());
    test::KernelRun bias_run(threads, kernels::bias_add_backward_workspace<float>(kRows, kChannels, threads));
    kernels::bias_add_backward(dy.data(), db.data(), kRows, kChannels, bias_run.exec());
    test::KernelRun bn_run(threads, kernels::batch_norm_backward_workspace<float>(kRows, kChannels, threads));
    kernels::batch_norm_backward(x.data(), dy.data(), dx.data(), kRows, kChannels, gamma.data(), mean.data(),
                                 invstd.data(), dgamma.data(), dbeta.data(), bn_run.exec());
    if (first_db.empty()) {
      first_db = db, first_dgamma = dgamma, first_dbeta = dbeta, first_dx = dx;
      continue;
    }
    CHECK(test::same_bits(view(db), view(first_db)));
    CHECK(test::same_bits(view(dgamma), view(first_dgamma)));
    CHECK(test::same_bits(view(dbeta), view(first_dbeta)));
    CHECK(test::same_bits(view(dx), view(first_dx)));
  }
}

TEST_CASE("a deterministic GEMM leaves split-K out and is the same bits for any thread count") {
  // A weight gradient's shape: long K, small M and N, which split-K takes at 2 to 4 threads.
  const index_t M = 12, N = 40, K = 6000;
  Rng rng(8);
  const auto a = test::random_vector<float>(M * K, rng);
  const auto b = test::random_vector<float>(K * N, rng);
  const kernels::GemmProblem p{M, N, K};
  auto product = [&](int threads, bool deterministic) {
    test::KernelRun run(threads, kernels::gemm_workspace<float>(p, threads));
    parallel::Execution ex = run.exec();
    ex.deterministic = deterministic;
    std::vector<float> c(std::size_t(M * N), 7.0f);
    kernels::gemm<float>(kernels::Trans::No, kernels::Trans::No, M, N, K, 1.0f, a.data(), K, b.data(), N, 0.0f,
                         c.data(), N, ex);
    return c;
  };
  const std::vector<float> one = product(1, true);
  CHECK(test::same_bits(view(product(1, false)), view(one)));  // one thread: split-K never runs
  bool split_k_differs = false;
  for (const int threads : {2, 3, 4}) {
    CAPTURE(threads);
    REQUIRE(std::string(kernels::gemm_choice(p, threads)) == "gemm_split_k");
    CHECK(std::string(kernels::gemm_choice(p, threads, true)) == "gemm_blocked");
    CHECK(test::same_bits(view(product(threads, true)), view(one)));
    // Without the mode the slices of K follow the threads: the sum is rounded differently
    // (still within the GEMM tests' bounds), which is what the mode is for.
    split_k_differs = split_k_differs || !test::same_bits(view(product(threads, false)), view(one));
  }
  CHECK(split_k_differs);
}

namespace {

// A convolution whose weight gradient is a split-K GEMM at 2 to 4 threads (16 images of 16x16:
// K = 4096 pixels), then every kind of branch (Residual with projection, Concat).
using Net = Sequential<Conv2D<4, 3>, ReLU, test::Branchy<Dense<3>>>;
constexpr index_t kBatch = 16;

struct Trained {
  std::vector<float> parameters, gradients, state;
};

Trained train(int intra, int inter, bool deterministic) {
  auto net = make_model<Net>(Input<16, 16, 3>{}, kBatch);
  net.set_threads(intra, inter);
  net.set_deterministic(deterministic);
  net.init(11);
  std::vector<float> x(std::size_t(kBatch) * 16 * 16 * 3), dlogits(std::size_t(kBatch) * 3);
  Rng rng(5);
  for (float& v : x) v = float(rng.uniform(-1.0, 1.0));
  for (float& v : dlogits) v = float(rng.uniform(-0.1, 0.1));
  Context ctx;
  for (int s = 0; s < 3; ++s) {
    net.forward(x.data(), ctx);
    net.backward(x.data(), dlogits.data(), ctx);
    auto p = net.parameters();
    auto g = net.gradients();
    for (std::size_t i = 0; i < p.size(); ++i) p[i] -= 0.05f * g[i];
  }
  return {{net.parameters().begin(), net.parameters().end()},
          {net.gradients().begin(), net.gradients().end()},
          {net.state().begin(), net.state().end()}};
}

}  // namespace

TEST_CASE("a deterministic network trains to the same bits for any intra and inter thread counts") {
  const kernels::ConvShape first_conv = [] {
    auto net = make_model<Net>(Input<16, 16, 3>{}, kBatch);
    std::vector<kernels::ConvShape> convs;
    visit_leaves(net.root(), [&](auto& leaf) {
      if constexpr (requires { leaf.conv_shape(); }) convs.push_back(leaf.conv_shape());
    });
    return convs.at(0);
  }();
  REQUIRE(first_conv.pixels() == kBatch * 16 * 16);
  REQUIRE(std::string(kernels::conv_backward_weights_choice(first_conv)) == "bwd_weights_channel_rows");
  REQUIRE(std::string(kernels::gemm_choice({first_conv.out_c, first_conv.patch(), first_conv.pixels()}, 2)) ==
          "gemm_split_k");

  const Trained one = train(1, 1, true);
  struct Setting {
    int intra, inter;
  };
  for (const Setting s : {Setting{2, 1}, Setting{3, 1}, Setting{4, 2}, Setting{2, 2}}) {
    CAPTURE(s.intra);
    CAPTURE(s.inter);
    const Trained t = train(s.intra, s.inter, true);
    CHECK(test::same_bits(view(t.parameters), view(one.parameters)));
    CHECK(test::same_bits(view(t.gradients), view(one.gradients)));
    CHECK(test::same_bits(view(t.state), view(one.state)));
  }
  // The default mode: the same bits from run to run, not across thread counts.
  const Trained two = train(2, 1, false);
  CHECK(test::same_bits(view(train(2, 1, false).parameters), view(two.parameters)));
  CHECK_FALSE(test::same_bits(view(two.parameters), view(one.parameters)));
}
