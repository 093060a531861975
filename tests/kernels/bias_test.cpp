#include <doctest/doctest.h>

#include "reference/bias_reference.hpp"
#include "support/check.hpp"
#include "support/execution.hpp"
#include "tinycnn/kernels/bias.hpp"

using namespace tinycnn;

TEST_CASE_TEMPLATE("bias add and its backward match the reference", T, float, double) {
  Rng rng(21);
  struct Case { index_t rows, c; };
  std::vector<Case> cases = {{1, 1}, {1, 8}, {3, 9}, {70, 3}, {129, 17}, {5000, 16} /* threaded */};
  for (index_t c : test::simd_sizes<T>()) cases.push_back({1 + index_t(rng.below(300)), c});
  for (int i = 0; i < 12; ++i) cases.push_back({1 + index_t(rng.below(300)), 1 + index_t(rng.below(40))});
  for (const Case& k : cases) {
    const index_t rows = k.rows, c = k.c;  // named, not bound: OpenMP builds may not capture bindings
    CAPTURE(rows);
    CAPTURE(c);
    auto x = test::random_vector<T>(rows * c, rng);
    auto bias = test::random_vector<T>(c, rng);
    std::vector<T> y(x.size());
    kernels::bias_add_forward(x.data(), bias.data(), y.data(), rows, c, test::exec());
    auto want = reference::bias_add(x.data(), bias.data(), rows, c);
    // One rounding: measured worst 3.0e-8 (float), 0 (double), both widths.
    test::check_close(y, want, test::by_type<T>(1.2e-7, 2.3e-16), "bias forward");
    std::vector<T> inplace = x;
    kernels::bias_add_forward(inplace.data(), bias.data(), inplace.data(), rows, c, test::exec());
    CHECK(inplace == y);

    auto dy = test::random_vector<T>(rows * c, rng);
    std::vector<T> db(static_cast<std::size_t>(c), T(99));  // overwritten, not accumulated
    const int threads = test::exec().intra;
    test::KernelRun run(threads, kernels::bias_add_backward_workspace<T>(rows, c, threads));  // exactly its plan
    kernels::bias_add_backward(dy.data(), db.data(), rows, c, run.exec());
    // A sum of `rows` terms of size 1: the error bound grows with the count.
    // Measured worst 4.0e-6 (float), 9.3e-15 (double).
    test::check_close(db, reference::bias_add_backward(dy.data(), rows, c), test::by_type<T>(2e-5, 5e-14),
                      "bias backward");
  }
}

TEST_CASE("bias backward matches finite differences") {
  Rng rng(4);
  const index_t rows = 6, c = 5;
  auto x = test::random_vector<double>(rows * c, rng);
  auto bias = test::random_vector<double>(c, rng);
  auto g = test::random_vector<double>(rows * c, rng);
  std::vector<double> y(x.size()), db(bias.size());
  auto loss = [&] {
    kernels::bias_add_forward(x.data(), bias.data(), y.data(), rows, c, test::exec());
    double s = 0;
    for (std::size_t i = 0; i < y.size(); ++i) s += g[i] * y[i];
    return s;
  };
  test::KernelRun run(1, kernels::bias_add_backward_workspace<double>(rows, c, 1));
  kernels::bias_add_backward(g.data(), db.data(), rows, c, run.exec());
  // Finite differences: measured worst 1.2e-10 and 1.5e-10 on both widths.
  test::check_close(db, test::numeric_gradient(loss, bias.data(), c), 1e-9, "dbias");
  test::check_close(test::numeric_gradient(loss, x.data(), rows * c), g, 1e-9, "dx is dy");
}
