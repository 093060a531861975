#include <doctest/doctest.h>

#include "reference/batch_norm_reference.hpp"
#include "support/check.hpp"
#include "tinycnn/kernels/batch_norm.hpp"

using namespace tinycnn;

namespace {

using test::tol;

template <class T>
void check_batch_norm(Rng& rng, index_t rows, index_t c, bool with_gamma, bool with_beta, double lo = -1.0,
                      double hi = 1.0, double y_tol = tol<T>()) {
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
  std::vector<T> y(x.size()), mean(gamma.size()), invstd(gamma.size());
  kernels::batch_norm_forward_training(x.data(), y.data(), rows, c, g, b, config, mean.data(), invstd.data(),
                                       running_mean.data(), running_var.data());
  test::check_close(y, want.y, y_tol, "y");
  test::check_close(mean, want.mean, y_tol, "saved mean");
  test::check_close(invstd, want.invstd, tol<T>(), "saved invstd");
  test::check_close(running_mean, want.running_mean, y_tol, "running mean");
  test::check_close(running_var, want.running_var, tol<T>(), "running var");

  std::vector<T> yi(x.size());
  kernels::batch_norm_forward_inference(x.data(), yi.data(), rows, c, g, b, running_mean.data(), running_var.data(),
                                        config.epsilon);
  test::check_close(yi,
                    reference::batch_norm_inference(x.data(), rows, c, g, b, running_mean.data(), running_var.data(),
                                                    config.epsilon),
                    y_tol, "inference y");

  auto dy = test::random_vector<T>(rows * c, rng);
  std::vector<T> dx(x.size()), dgamma(gamma.size(), T(5)), dbeta(gamma.size(), T(5));
  kernels::batch_norm_backward(x.data(), dy.data(), dx.data(), rows, c, g, mean.data(), invstd.data(), dgamma.data(),
                               dbeta.data());
  auto grads = reference::batch_norm_backward(x.data(), dy.data(), rows, c, g, config.epsilon);
  // dgamma and dbeta are sums of `rows` terms; dx subtracts two such means from dy.
  test::check_close(dx, grads.dx, y_tol * 10, "dx");
  test::check_close(dbeta, grads.dbeta, y_tol * 10, "dbeta");
  if (with_gamma)
    test::check_close(dgamma, grads.dgamma, y_tol * 10, "dgamma");
  else
    CHECK(std::all_of(dgamma.begin(), dgamma.end(), [](T v) { return v == T(5); }));  // left alone

  std::vector<T> inplace = dy;  // dx may be dy
  kernels::batch_norm_backward(x.data(), inplace.data(), inplace.data(), rows, c, g, mean.data(), invstd.data(),
                               dgamma.data(), dbeta.data());
  CHECK(inplace == dx);
}

}  // namespace

TEST_CASE_TEMPLATE("batch norm matches the reference on random shapes", T, float, double) {
  Rng rng(17);
  for (int trial = 0; trial < 16; ++trial) {
    const index_t rows = 1 + index_t(rng.below(300)), c = 1 + index_t(rng.below(20));
    check_batch_norm<T>(rng, rows, c, trial % 2 == 0, trial % 4 != 1);
  }
  check_batch_norm<T>(rng, 1, 3, true, true);        // one row: zero variance, unbiased factor 1
  check_batch_norm<T>(rng, 2, 8, false, true);       // InceptionV3: no gamma
  check_batch_norm<T>(rng, 5 * 7 * 7, 17, false, true);
  check_batch_norm<T>(rng, 4000, 24, true, true);    // threaded statistics and output passes
}

TEST_CASE_TEMPLATE("batch norm variance stays accurate when the mean dwarfs the spread", T, float, double) {
  Rng rng(23);
  // |mean| / stddev ~ 1000: sum(x^2) - n mean^2 would cancel every float digit, so invstd and
  // the running variance must still meet the usual tolerance. The output and the gradients are
  // limited by float's resolution of x and of the saved mean near 1000 (about 6e-5), hence
  // their wider one.
  check_batch_norm<T>(rng, 777, 12, true, true, 999.0, 1001.0, std::is_same_v<T, float> ? 2e-3 : 1e-9);
}

TEST_CASE("batch norm backward matches finite differences") {
  Rng rng(29);
  const index_t rows = 7, c = 5;
  kernels::BatchNormConfig config;
  for (bool with_gamma : {true, false}) {
    CAPTURE(with_gamma);
    auto x = test::random_vector<double>(rows * c, rng);
    auto gamma = test::random_vector<double>(c, rng, 0.5, 2.0);
    auto beta = test::random_vector<double>(c, rng);
    auto g = test::random_vector<double>(rows * c, rng);
    std::vector<double> y(x.size()), mean(gamma.size()), invstd(gamma.size());
    const double* gp = with_gamma ? gamma.data() : nullptr;
    auto loss = [&] {
      kernels::batch_norm_forward_training(x.data(), y.data(), rows, c, gp, beta.data(), config, mean.data(),
                                           invstd.data(), nullptr, nullptr);
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
                                 dgamma.data(), dbeta.data());
    test::check_close(dx, num_dx, 1e-7, "dx");
    test::check_close(dbeta, num_dbeta, 1e-7, "dbeta");
    if (with_gamma) test::check_close(dgamma, num_dgamma, 1e-7, "dgamma");
  }
}

TEST_CASE("batch norm over an empty batch is refused") {
  float mean[1], invstd[1];
  CHECK_THROWS_AS(kernels::batch_norm_forward_training<float>(nullptr, nullptr, 0, 1, nullptr, nullptr, {}, mean,
                                                              invstd, nullptr, nullptr),
                  Error);
}
