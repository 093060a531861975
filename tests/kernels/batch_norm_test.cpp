#include <cstring>
#include <doctest/doctest.h>

#include "reference/batch_norm_reference.hpp"
#include "support/check.hpp"
#include "support/execution.hpp"
#include "tinycnn/kernels/activation.hpp"
#include "tinycnn/kernels/batch_norm.hpp"

using namespace tinycnn;

namespace {

// One tolerance for each output, against the double reference.
struct Tolerances {
  double y, y_eval, mean, var, dx, dbeta, dgamma;  // mean: saved and running; var: invstd and running
};

template <class T>
void check_batch_norm(Rng& rng, index_t rows, index_t c, bool with_gamma, bool with_beta, const Tolerances& tol,
                      double lo = -1.0, double hi = 1.0) {
  CAPTURE(rows); CAPTURE(c); CAPTURE(with_gamma); CAPTURE(with_beta);
  kernels::BatchNormConfig config{1e-3, 0.9};
  auto x = test::random_vector<T>(rows * c, rng, lo, hi);
  auto gamma = test::random_vector<T>(c, rng, 0.5, 2.0);
  auto beta = test::random_vector<T>(c, rng);
  auto running_mean = test::random_vector<T>(c, rng);
  auto running_var = test::random_vector<T>(c, rng, 0.5, 2.0);
  const T* g = with_gamma ? gamma.data() : nullptr;
  const T* b = with_beta ? beta.data() : nullptr;

  auto want = reference::batch_norm_training(x.data(), rows, c, g, b, config.epsilon, config.momentum,
                                             running_mean.data(), running_var.data());
  // Each pass gets exactly the workspace its size function plans: a plan too small throws.
  const int threads = test::exec().intra;
  std::vector<T> y(x.size()), mean(gamma.size()), invstd(gamma.size()), scale(gamma.size()), offset(gamma.size());
  test::KernelRun training(threads, kernels::batch_norm_training_workspace<T>(rows, c, threads));
  kernels::batch_norm_forward_training(x.data(), y.data(), rows, c, g, b, config, mean.data(), invstd.data(),
                                       scale.data(), offset.data(), running_mean.data(), running_var.data(),
                                       training.exec());
  test::check_close(y, want.y, tol.y, "y");
  // The saved affine map recomputes y exactly (a layer that drops its output relies on it).
  std::vector<T> again(x.size());
  kernels::batch_norm_apply(x.data(), again.data(), rows, c, scale.data(), offset.data(), false, training.exec());
  CHECK(std::memcmp(again.data(), y.data(), y.size() * sizeof(T)) == 0);
  // A ReLU fused into either pass changes no bit of what relu_forward would make of y.
  std::vector<T> relu_y(y.size()), fused(y.size()), fused_again(y.size());
  kernels::relu_forward(y.data(), relu_y.data(), index_t(y.size()), training.exec());
  kernels::BatchNormConfig fused_config = config;
  fused_config.relu = true;
  auto running_mean2 = running_mean, running_var2 = running_var;
  kernels::batch_norm_forward_training(x.data(), fused.data(), rows, c, g, b, fused_config, mean.data(), invstd.data(),
                                       scale.data(), offset.data(), running_mean2.data(), running_var2.data(),
                                       training.exec());
  kernels::batch_norm_apply(x.data(), fused_again.data(), rows, c, scale.data(), offset.data(), true, training.exec());
  CHECK(std::memcmp(fused.data(), relu_y.data(), y.size() * sizeof(T)) == 0);
  CHECK(std::memcmp(fused_again.data(), relu_y.data(), y.size() * sizeof(T)) == 0);
  test::check_close(mean, want.mean, tol.mean, "saved mean");
  test::check_close(invstd, want.invstd, tol.var, "saved invstd");
  test::check_close(running_mean, want.running_mean, tol.mean, "running mean");
  test::check_close(running_var, want.running_var, tol.var, "running var");

  std::vector<T> yi(x.size());
  test::KernelRun inference(threads, kernels::batch_norm_inference_workspace<T>(c));
  kernels::batch_norm_forward_inference(x.data(), yi.data(), rows, c, g, b, running_mean.data(), running_var.data(),
                                        config.epsilon, false, inference.exec());
  test::check_close(yi,
                    reference::batch_norm_inference(x.data(), rows, c, g, b, running_mean.data(), running_var.data(),
                                                    config.epsilon),
                    tol.y_eval, "inference y");
  std::vector<T> yi_relu(x.size()), yi_fused(x.size());
  kernels::relu_forward(yi.data(), yi_relu.data(), index_t(yi.size()), inference.exec());
  kernels::batch_norm_forward_inference(x.data(), yi_fused.data(), rows, c, g, b, running_mean.data(),
                                        running_var.data(), config.epsilon, true, inference.exec());
  CHECK(std::memcmp(yi_fused.data(), yi_relu.data(), yi.size() * sizeof(T)) == 0);

  auto dy = test::random_vector<T>(rows * c, rng);
  std::vector<T> dx(x.size()), dgamma(gamma.size(), T(5)), dbeta(gamma.size(), T(5));
  test::KernelRun backward(threads, kernels::batch_norm_backward_workspace<T>(rows, c, threads));
  kernels::batch_norm_backward(x.data(), dy.data(), dx.data(), rows, c, g, mean.data(), invstd.data(), dgamma.data(),
                               dbeta.data(), backward.exec());
  auto grads = reference::batch_norm_backward(x.data(), dy.data(), rows, c, g, config.epsilon);
  test::check_close(dx, grads.dx, tol.dx, "dx");
  test::check_close(dbeta, grads.dbeta, tol.dbeta, "dbeta");
  if (with_gamma)
    test::check_close(dgamma, grads.dgamma, tol.dgamma, "dgamma");
  else
    CHECK(std::all_of(dgamma.begin(), dgamma.end(), [](T v) { return v == T(5); }));  // left alone

  std::vector<T> inplace = dy;  // dx may be dy
  kernels::batch_norm_backward(x.data(), inplace.data(), inplace.data(), rows, c, g, mean.data(), invstd.data(),
                               dgamma.data(), dbeta.data(), backward.exec());
  CHECK(inplace == dx);
}

}  // namespace

TEST_CASE_TEMPLATE("batch norm matches the reference on random shapes", T, float, double) {
  Rng rng(17);
  // dgamma and dbeta are sums of `rows` terms; dx subtracts two such means from dy. Measured
  // worst, the larger of AVX-512 and AVX2:
  //   float  y 4.8e-7, eval y 1.5e-7, mean 2.8e-8, var 1.1e-7, dx 1.6e-6, dbeta 3.6e-6, dgamma 2.6e-6
  //   double y 2.8e-15, eval y 3.2e-16, mean 1.3e-16, var 1.2e-15, dx 1.7e-15, dbeta 6.6e-14,
  //          dgamma 1.6e-14
  const Tolerances tol = std::is_same_v<T, float> ? Tolerances{4e-6, 1e-6, 2e-7, 1e-6, 1e-5, 2e-5, 2e-5}
                                                  : Tolerances{2e-14, 2e-15, 1e-15, 1e-14, 1e-14, 5e-13, 1e-13};
  const std::vector<index_t> channels = test::simd_sizes<T>();
  for (int trial = 0; trial < 20; ++trial) {
    const index_t rows = 1 + index_t(rng.below(300)), c = channels[std::size_t(trial) % channels.size()];
    check_batch_norm<T>(rng, rows, c, trial % 2 == 0, trial % 4 != 1, tol);
  }
  check_batch_norm<T>(rng, 1, 3, true, true, tol);        // one row: zero variance, unbiased factor 1
  check_batch_norm<T>(rng, 2, 8, false, true, tol);       // InceptionV3: no gamma
  check_batch_norm<T>(rng, 5 * 7 * 7, 17, false, true, tol);
  check_batch_norm<T>(rng, 4000, 24, true, true, tol);    // threaded statistics and output passes
}

TEST_CASE_TEMPLATE("batch norm variance stays accurate when the mean dwarfs the spread", T, float, double) {
  Rng rng(23);
  // |mean| / stddev ~ 1000: sum(x^2) - n mean^2 would cancel every float digit, so invstd and
  // the running variance must still meet the usual tolerance. The output and the gradients are
  // limited by float's resolution of x and of the saved mean near 1000 (about 6e-5), hence
  // their wider one.
  // Measured worst, the larger of AVX-512 and AVX2:
  //   float  y 2.1e-4, eval y 8.6e-8, mean 3.7e-8, var 1.1e-7, dx 7.6e-6, dbeta 9.9e-7, dgamma 3.8e-4
  //   double y 3.0e-12, eval y 4.2e-16, mean 1.5e-15, var 1.2e-15, dx 1.7e-13, dbeta 3.4e-15,
  //          dgamma 6.1e-12
  const Tolerances tol = std::is_same_v<T, float> ? Tolerances{1e-3, 5e-7, 2e-7, 1e-6, 5e-5, 5e-6, 2e-3}
                                                  : Tolerances{2e-11, 4e-15, 1e-14, 1e-14, 1e-12, 2e-14, 5e-11};
  check_batch_norm<T>(rng, 777, test::simd_mixed_size<T>(), true, true, tol, 999.0, 1001.0);
}

TEST_CASE("batch norm backward matches finite differences") {
  Rng rng(29);
  const index_t rows = 7, c = test::simd_mixed_size<double>();
  kernels::BatchNormConfig config;
  for (bool with_gamma : {true, false}) {
    CAPTURE(with_gamma);
    auto x = test::random_vector<double>(rows * c, rng);
    auto gamma = test::random_vector<double>(c, rng, 0.5, 2.0);
    auto beta = test::random_vector<double>(c, rng);
    auto g = test::random_vector<double>(rows * c, rng);
    std::vector<double> y(x.size()), mean(gamma.size()), invstd(gamma.size());
    const double* gp = with_gamma ? gamma.data() : nullptr;
    test::KernelRun run(1, std::max(kernels::batch_norm_training_workspace<double>(rows, c, 1),
                                    kernels::batch_norm_backward_workspace<double>(rows, c, 1)));
    auto loss = [&] {
      kernels::batch_norm_forward_training(x.data(), y.data(), rows, c, gp, beta.data(), config, mean.data(),
                                           invstd.data(), nullptr, nullptr, nullptr, nullptr, run.exec());
      double s = 0;
      for (std::size_t i = 0; i < y.size(); ++i) s += g[i] * y[i];
      return s;
    };
    auto num_dx = test::numeric_gradient(loss, x.data(), rows * c);
    auto num_dgamma = test::numeric_gradient(loss, gamma.data(), c);
    auto num_dbeta = test::numeric_gradient(loss, beta.data(), c);
    loss();
    std::vector<double> dx(x.size()), dgamma(gamma.size()), dbeta(gamma.size());
    kernels::batch_norm_backward(x.data(), g.data(), dx.data(), rows, c, gp, mean.data(), invstd.data(),
                                 dgamma.data(), dbeta.data(), run.exec());
    // Measured worst 1.4e-9, 9.6e-10 and 6.4e-10.
    test::check_close(dx, num_dx, 1e-8, "dx");
    test::check_close(dbeta, num_dbeta, 5e-9, "dbeta");
    if (with_gamma) test::check_close(dgamma, num_dgamma, 5e-9, "dgamma");
  }
}

TEST_CASE("batch norm over an empty batch is refused") {
  float mean[1], invstd[1];
  CHECK_THROWS_AS(kernels::batch_norm_forward_training<float>(nullptr, nullptr, 0, 1, nullptr, nullptr, {}, mean,
                                                              invstd, nullptr, nullptr, nullptr, nullptr, test::exec()),
                  Error);
}
