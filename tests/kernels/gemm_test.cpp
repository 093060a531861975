#include <doctest/doctest.h>

#include "reference/conv_reference.hpp"
#include "support/check.hpp"
#include "support/execution.hpp"
#include "tinycnn/kernels/gemm.hpp"

using namespace tinycnn;

// Tolerances scale with K, the terms each output sums: per term 2e-7 in float and 5e-16 in double.
// The worst measured, both widths, is a seventh of that (ratios 0.15 and 0.13).
template <class T>
constexpr double per_term() {
  return test::by_type<T>(2e-7, 5e-16);
}

// C = alpha op(A) op(B) + beta C by the named implementation (empty: the dispatcher's pick),
// with exactly the workspace it plans.
template <class T>
void check_gemm(Rng& rng, index_t M, index_t N, index_t K, bool ta, bool tb, T alpha, T beta, int threads,
                double tol, std::string_view impl = {}) {
  index_t lda = (ta ? M : K) + index_t(rng.below(3));  // leading dimensions wider than the matrix
  index_t ldb = (tb ? K : N) + index_t(rng.below(3));
  index_t ldc = N + index_t(rng.below(3));
  auto A = test::random_vector<T>((ta ? K : M) * lda, rng);
  auto B = test::random_vector<T>((tb ? N : K) * ldb, rng);
  auto C = test::random_vector<T>(M * ldc, rng);
  auto want = reference::gemm(ta, tb, M, N, K, A.data(), lda, B.data(), ldb);
  for (index_t i = 0; i < M; ++i)
    for (index_t j = 0; j < N; ++j)
      want[std::size_t(i * N + j)] = double(alpha) * want[std::size_t(i * N + j)] + double(beta) * double(C[std::size_t(i * ldc + j)]);
  test::KernelRun run(threads, kernels::gemm_workspace<T>({M, N, K}, threads, impl));
  kernels::gemm<T>(ta ? kernels::Trans::Yes : kernels::Trans::No, tb ? kernels::Trans::Yes : kernels::Trans::No,
                   M, N, K, alpha, A.data(), lda, B.data(), ldb, beta, C.data(), ldc, run.exec(), impl);
  std::vector<T> got(std::size_t(M * N));
  for (index_t i = 0; i < M; ++i)
    for (index_t j = 0; j < N; ++j) got[std::size_t(i * N + j)] = C[std::size_t(i * ldc + j)];
  test::check_close(got, want, tol * double(K + 1),
                    "M=" + std::to_string(M) + " N=" + std::to_string(N) + " K=" + std::to_string(K) +
                        " ta=" + std::to_string(ta) + " tb=" + std::to_string(tb) + " threads=" + std::to_string(threads) + " " + std::string(impl));
}

TEST_CASE_TEMPLATE("gemm matches the double reference on random shapes", T, float, double) {
  Rng rng(42);
  const double tol = per_term<T>();
  for (int trial = 0; trial < 40; ++trial) {
    index_t M = 1 + index_t(rng.below(70)), N = 1 + index_t(rng.below(70)), K = 1 + index_t(rng.below(300));
    bool ta = rng.below(2), tb = rng.below(2);
    T beta = trial % 3 == 0 ? T(0) : T(rng.uniform(-1, 1));
    check_gemm<T>(rng, M, N, K, ta, tb, T(rng.uniform(0.5, 2)), beta, 1 + int(trial % 2), tol);
  }
}

TEST_CASE_TEMPLATE("gemm edge tiles at this build's vector width", T, float, double) {
  // The micro-kernel's tile is MR rows by NR = 2 vectors: every column count around one vector
  // and one tile, against row counts around MR, puts each partial-tile path to work.
  Rng rng(8);
  const double tol = per_term<T>();
  constexpr index_t W = simd::width<T>, NR = kernels::GemmTile<T>::nr, MR = kernels::GemmTile<T>::mr;
  for (index_t N : {index_t(1), W - 1, W, W + 1, NR - 1, NR, NR + 1, 2 * NR + W / 2 + 1})
    for (index_t M : {index_t(1), MR - 1, MR, MR + 1, 2 * MR + 1}) {
      const index_t K = 1 + index_t(rng.below(40));
      check_gemm<T>(rng, M, N, K, rng.below(2), rng.below(2), T(1), N % 2 ? T(0) : T(0.5), 1, tol);
    }
}

TEST_CASE_TEMPLATE("gemm crosses every cache block and thread split", T, float, double) {
  Rng rng(7);
  const double tol = per_term<T>();
  // K past one KC block, N past the narrow-N rule, M past one MC block; small M splits N panels.
  check_gemm<T>(rng, 200, 150, 700, false, false, T(1), T(0), 2, tol);
  check_gemm<T>(rng, 7, 300, 260, true, false, T(1), T(1), 2, tol);
  check_gemm<T>(rng, 401, 33, 530, false, true, T(1), T(0.5), 2, tol);
  check_gemm<T>(rng, 13, 3100, 5, false, false, T(1), T(0), 2, tol);  // wider than one NC block
  check_gemm<T>(rng, 37, 21, 4000, true, false, T(1), T(0.5), 2, tol);  // K split across threads
  check_gemm<T>(rng, 9, 70, 2500, false, true, T(1), T(0), 3, tol);
}

TEST_CASE("gemm with K = 0 scales C by beta") {
  kernels::GemmImpls::for_each([](auto impl) {
    using I = decltype(impl);
    if (!I::accepts({2, 2, 0}, 1)) return;
    std::vector<float> C = {1, 2, 3, 4};
    test::KernelRun run(1, kernels::gemm_workspace<float>({2, 2, 0}, 1, I::name));
    kernels::gemm<float>(kernels::Trans::No, kernels::Trans::No, 2, 2, 0, 1.f, nullptr, 1, nullptr, 2, 0.5f, C.data(),
                         2, run.exec(), I::name);
    INFO(I::name);
    CHECK(C == std::vector<float>{0.5f, 1.f, 1.5f, 2.f});
  });
}

TEST_CASE_TEMPLATE("every listed GEMM implementation matches the reference on problems it accepts", T, float, double) {
  // Random shapes, thread counts 1-3 and transpositions; long thin products (K far above M and
  // N) reach the split-K path. Each implementation must meet `wanted` problems it accepts.
  Rng rng(17);
  const double tol = per_term<T>();
  constexpr int wanted = 8;
  kernels::GemmImpls::for_each([&](auto impl) {
    using I = decltype(impl);
    int found = 0;
    for (int draw = 0; draw < 2000 && found < wanted; ++draw) {
      const bool thin = rng.below(2);
      const index_t M = 1 + index_t(rng.below(thin ? 12 : 70)), N = 1 + index_t(rng.below(thin ? 12 : 70));
      const index_t K = thin ? 2048 + index_t(rng.below(2000)) : 1 + index_t(rng.below(300));
      const int threads = 1 + int(rng.below(3));
      if (!I::accepts({M, N, K}, threads)) continue;
      ++found;
      check_gemm<T>(rng, M, N, K, rng.below(2), rng.below(2), T(rng.uniform(0.5, 2)),
                    found % 3 == 0 ? T(0) : T(rng.uniform(-1, 1)), threads, tol, I::name);
    }
    INFO("implementation ", I::name);
    CHECK(found == wanted);
  });
  CHECK(kernels::GemmImpls::names.back() == "gemm_reference");
}
