// The loops around the micro-kernel: the blocked engine (BLIS's five loops, threads splitting M or
// N), the split-K engine built on it, and the plain reference product they are tested against.
// All three read A and B only through packers (see gemm/packers.hpp for the contract).
#pragma once
#include <algorithm>
#include <array>

#include "tinycnn/core/aligned_buffer.hpp"
#include "tinycnn/kernels/gemm/blocking.hpp"
#include "tinycnn/kernels/gemm/micro_kernel.hpp"
#include "tinycnn/parallel/execution.hpp"
#include "tinycnn/simd/isa_namespace.hpp"

namespace tinycnn::kernels::inline TINYCNN_ISA_NAMESPACE::detail {

// How gemm_blocked cuts one problem into cache blocks for a team of threads, and the packed
// panels that takes from the workspace: one B block shared by the team, and the A block of each
// thread (of the team, when the threads split N instead of M).
template <class T>
struct BlockedPlan {
  index_t kc, mc, nc;
  bool split_m;
  int threads;
  BlockedPlan(index_t M, index_t N, index_t K, int team) : threads(team) {
    constexpr int MR = GemmTile<T>::mr;
    constexpr int NR = GemmTile<T>::nr;
    // Narrow products (a convolution with few output channels) would re-read and re-write all of
    // C once per KC step: there, take all of K in one step when it is not huge.
    kc = (N <= 128 && K <= 4 * GemmBlocking<T>::kc) ? std::max<index_t>(K, 1) : GemmBlocking<T>::kc;
    // Enough MR panels for every thread to own a few: split M. Otherwise split the NR panels.
    split_m = M >= index_t(threads) * MR * 4 || threads == 1;
    index_t m_blocks = (std::max<index_t>(M, 1) + GemmBlocking<T>::mc_max - 1) / GemmBlocking<T>::mc_max;
    if (split_m) m_blocks = (m_blocks + threads - 1) / threads * threads;  // even shares
    mc = std::max<index_t>(MR, std::min<index_t>(((M + m_blocks - 1) / m_blocks + MR - 1) / MR * MR,
                                                 (M + MR - 1) / MR * MR));
    nc = std::max<index_t>(NR, std::min<index_t>(GemmBlocking<T>::nc, (N + NR - 1) / NR * NR));
  }
  struct Buffers {
    T* b;
    parallel::Workspace::Parts a;
  };
  Buffers carve(parallel::Workspace& ws) const {
    T* b = ws.take<T>(kc * nc);
    return {b, ws.take_parts(split_m ? threads : 1, sizeof(T) * std::size_t(align_count<T>(kc * mc)))};
  }
};

// The five loops around the micro-kernel (see the top of this file), threads splitting M or N.
template <class T, class PackA, class PackB>
void gemm_blocked(index_t M, index_t N, index_t K, const PackA& pack_a, const PackB& pack_b, T beta, T* C,
                  index_t ldc, const parallel::Execution& ex) {
  constexpr int MR = GemmTile<T>::mr;
  constexpr int NR = GemmTile<T>::nr;
  const int threads = ex.intra;
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {  // C = beta * C
    for (index_t i = 0; i < M; ++i)
      for (index_t j = 0; j < N; ++j) C[i * ldc + j] = beta == T(0) ? T(0) : beta * C[i * ldc + j];
    return;
  }
  const BlockedPlan<T> plan(M, N, K, threads);
  const index_t KC = plan.kc, mc = plan.mc, nc = plan.nc;
  const bool split_m = plan.split_m;
  parallel::Workspace ws = ex.workspace;
  const auto buffers = plan.carve(ws);
  T* bbuf = buffers.b;

#pragma omp parallel num_threads(threads)
  {
    ex.joined_team();
    T* own_abuf = buffers.a.template at<T>(split_m ? omp_get_thread_num() : 0);
    for (index_t jc = 0; jc < N; jc += nc) {
      const index_t ncur = std::min(nc, N - jc);
      const index_t npanels = (ncur + NR - 1) / NR;
      for (index_t pc = 0; pc < K; pc += KC) {
        const index_t kc = std::min(KC, K - pc);
        const T beta_now = pc == 0 ? beta : T(1);
#pragma omp for schedule(static)
        for (index_t p = 0; p < npanels; ++p)
          pack_b(bbuf + p * kc * NR, pc, kc, jc + p * NR, int(std::min<index_t>(NR, ncur - p * NR)));

        auto compute = [&](const T* abuf, index_t ic, index_t mcur, index_t p_begin, index_t p_end) {
          for (index_t p = p_begin; p < p_end; ++p) {
            const int cols = int(std::min<index_t>(NR, ncur - p * NR));
            for (index_t ir = 0; ir < mcur; ir += MR) {
              const int rows = int(std::min<index_t>(MR, mcur - ir));
              detail::micro_kernel<T>(kc, abuf + ir * kc, bbuf + p * kc * NR,
                                      C + (ic + ir) * ldc + jc + p * NR, ldc, beta_now, rows, cols);
            }
          }
        };
        if (split_m) {
#pragma omp for schedule(dynamic, 1)
          for (index_t ic = 0; ic < M; ic += mc) {
            const index_t mcur = std::min(mc, M - ic);
            for (index_t ir = 0; ir < mcur; ir += MR)
              pack_a(own_abuf + ir * kc, ic + ir, int(std::min<index_t>(MR, mcur - ir)), pc, kc);
            compute(own_abuf, ic, mcur, 0, npanels);
          }
        } else {
          for (index_t ic = 0; ic < M; ic += mc) {
            const index_t mcur = std::min(mc, M - ic);
#pragma omp for schedule(static)
            for (index_t ir = 0; ir < mcur; ir += MR)
              pack_a(own_abuf + ir * kc, ic + ir, int(std::min<index_t>(MR, mcur - ir)), pc, kc);
#pragma omp for schedule(static)
            for (index_t p = 0; p < npanels; ++p) compute(own_abuf, ic, mcur, p, p + 1);
          }
        }
      }
    }
  }
}

template <class T>
std::size_t blocked_workspace(index_t M, index_t N, index_t K, int threads) {
  if (M <= 0 || N <= 0 || K <= 0) return 0;
  return parallel::workspace_bytes([&](parallel::Workspace& ws) { BlockedPlan<T>(M, N, K, threads).carve(ws); });
}

// The split-K GEMM's per-thread part: a private M x N product, then the single-threaded
// blocked GEMM's panels for the thread's slice of K (slices differ by one at most).
template <class T>
std::size_t split_k_part(index_t M, index_t N, index_t K, int threads) {
  const index_t lo = K / threads, hi = (K + threads - 1) / threads;
  return sizeof(T) * std::size_t(align_count<T>(M * N)) +
         std::max(blocked_workspace<T>(M, N, lo, 1), blocked_workspace<T>(M, N, hi, 1));
}

// Each thread multiplies its slice of K into a private M x N buffer with the single-threaded
// engine; the partial products are then added into C, in thread order (reproducible).
template <class T, class PackA, class PackB>
void gemm_split_k(index_t M, index_t N, index_t K, const PackA& pack_a, const PackB& pack_b, T beta, T* C,
                  index_t ldc, const parallel::Execution& ex) {
  const int threads = ex.intra;
  parallel::Workspace ws = ex.workspace;
  const auto parts = ws.take_parts(threads, split_k_part<T>(M, N, K, threads));
  std::array<T*, parallel::kMaxThreads> partial{};
#pragma omp parallel num_threads(threads)
  {
    ex.joined_team();
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    const index_t k0 = K * t / nt, k1 = K * (t + 1) / nt;
    parallel::Workspace own = parts.part(t);
    T* mine = own.take<T>(M * N);
    partial[std::size_t(t)] = mine;
    auto slice_a = [&](T* dst, index_t i0, int rows, index_t k, index_t kc) { pack_a(dst, i0, rows, k0 + k, kc); };
    auto slice_b = [&](T* dst, index_t k, index_t kc, index_t j0, int cols) { pack_b(dst, k0 + k, kc, j0, cols); };
    gemm_blocked<T>(M, N, k1 - k0, slice_a, slice_b, T(0), mine, N, parallel::Execution::serial(own));
#pragma omp barrier
#pragma omp for schedule(static)
    for (index_t i = 0; i < M; ++i) {
      T* c = C + i * ldc;
      for (index_t j = 0; j < N; ++j) c[j] = beta == T(0) ? T(0) : beta * c[j];
      for (int p = 0; p < nt; ++p) {
        const T* part = partial[std::size_t(p)] + i * N;
        for (index_t j = 0; j < N; ++j) c[j] += part[j];
      }
    }
  }
}

// The plain product, one dot product per element of C in double, reading A and B through the
// same packers as the fast paths: the oracle the others are tested against.
template <class T, class PackA, class PackB>
void gemm_reference(index_t M, index_t N, index_t K, const PackA& pack_a, const PackB& pack_b, T beta, T* C,
                    index_t ldc, const parallel::Execution& ex) {
  constexpr int MR = GemmTile<T>::mr;
  constexpr int NR = GemmTile<T>::nr;
  if (M <= 0 || N <= 0) return;
  parallel::Workspace ws = ex.workspace;
  T* row = ws.take<T>(std::max<index_t>(K, 1) * MR);
  T* col = ws.take<T>(std::max<index_t>(K, 1) * NR);
  for (index_t j = 0; j < N; ++j) {
    if (K > 0) pack_b(col, 0, K, j, 1);
    for (index_t i = 0; i < M; ++i) {
      if (K > 0) pack_a(row, i, 1, 0, K);
      double sum = 0;
      for (index_t k = 0; k < K; ++k) sum += double(row[k * MR]) * double(col[k * NR]);
      T& c = C[i * ldc + j];
      c = beta == T(0) ? T(sum) : T(sum + double(beta) * double(c));
    }
  }
}

}  // namespace tinycnn::kernels::inline TINYCNN_ISA_NAMESPACE::detail
