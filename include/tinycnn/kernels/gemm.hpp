// GEMM: C = A * B + beta * C, BLIS style.
//
// The engine is written once, over two "packers" that copy a panel of A or B into the layout
// the micro-kernel streams through. A plain matrix product uses the strided packers below; a
// convolution supplies packers that read straight from the NHWC image (im2col folded into the
// packing, see kernels/conv.hpp), so no full column buffer ever exists.
//
// Loops, outermost first (the classic five around the micro-kernel):
//   jc over N in steps of NC  (B block shared by all threads, lives in L3)
//   pc over K in steps of KC  (pack B[pc, jc] once, cooperatively)
//   ic over M in steps of MC  (A block, lives in L2; each thread packs its own)
//   jr over NR panels, ir over MR panels: the register-tiled FMA micro-kernel.
// Threads split the ic loop when M is large; when it is not (a dense layer with a small batch),
// they pack A together and split the jr loop instead.
//
// The implementations (split-K, blocked, the plain reference) form one ordered list, GemmImpls;
// the packed panels come from the caller's planned workspace (parallel/workspace.hpp).
#pragma once
#include "tinycnn/core/attributes.hpp"
#include <algorithm>
#include <cstring>

#include <array>
#include <string_view>

#include "tinycnn/core/aligned_buffer.hpp"
#include "tinycnn/kernels/impl_list.hpp"
#include "tinycnn/parallel/execution.hpp"
#include "tinycnn/simd/simd.hpp"

namespace tinycnn::kernels {

// Register tile: MR rows of A are broadcast against NR = 2 SIMD vectors of B, giving 12 vector
// accumulators; with the 2 B vectors and one broadcast that is 15 of the 16 ymm registers.
template <class T>
struct GemmTile {
  static constexpr int mr = 6;
  static constexpr int nr = 2 * simd::width<T>;
};

// Cache blocks. KC*NR*sizeof(T) = 16 KiB of B panel stays in L1 while A panels stream from L2.
template <class T>
struct GemmBlocking {
  static constexpr index_t kc = 256;
  static constexpr index_t mc_max = 192;  // multiple of mr
  static constexpr index_t nc = 3072;  // multiple of nr
};

namespace detail {

// The MR x NR accumulator tile of the micro-kernel: 12 vector registers.
template <class T>
struct Accumulators {
  using V = simd::batch<T>;
  V c[GemmTile<T>::mr][2];
  Accumulators() {
    for (auto& row : c) row[0] = row[1] = V(T(0));
  }
};

// Where the micro-kernel reads A(k, r), the k-th value of tile row r:
//   Packed: a[k * MR + r], a panel written by a packer;
//   Direct: a[r * row_stride + k], straight from the source when each row's run of k is
//           contiguous in memory (a convolution's window row in NHWC, see kernels/conv.hpp).
enum class ARead { Packed, Direct };

// acc += sum over k < kc of A(k, .) (outer) b[k][0..NR), b a packed kc x NR panel.
template <class T, ARead Read>
inline void accumulate(Accumulators<T>& acc, index_t kc, const T* __restrict a, index_t row_stride,
                       const T* __restrict b) {
  using V = simd::batch<T>;
  constexpr int W = simd::width<T>;
  constexpr int MR = GemmTile<T>::mr;
  constexpr int NR = GemmTile<T>::nr;
  // Named locals, so the twelve accumulators surely stay in registers through the loop.
  V c00 = acc.c[0][0], c01 = acc.c[0][1], c10 = acc.c[1][0], c11 = acc.c[1][1];
  V c20 = acc.c[2][0], c21 = acc.c[2][1], c30 = acc.c[3][0], c31 = acc.c[3][1];
  V c40 = acc.c[4][0], c41 = acc.c[4][1], c50 = acc.c[5][0], c51 = acc.c[5][1];
  const T* a1 = a + row_stride;
  const T* a2 = a1 + row_stride;
  const T* a3 = a2 + row_stride;
  const T* a4 = a3 + row_stride;
  const T* a5 = a4 + row_stride;
  for (index_t k = 0; k < kc; ++k) {
    V b0 = simd::load_aligned(b), b1 = simd::load_aligned(b + W);
    V x0, x1;
    if constexpr (Read == ARead::Packed) { x0 = V(a[0]); x1 = V(a[1]); } else { x0 = V(a[k]); x1 = V(a1[k]); }
    c00 = simd::fma(x0, b0, c00); c01 = simd::fma(x0, b1, c01);
    c10 = simd::fma(x1, b0, c10); c11 = simd::fma(x1, b1, c11);
    if constexpr (Read == ARead::Packed) { x0 = V(a[2]); x1 = V(a[3]); } else { x0 = V(a2[k]); x1 = V(a3[k]); }
    c20 = simd::fma(x0, b0, c20); c21 = simd::fma(x0, b1, c21);
    c30 = simd::fma(x1, b0, c30); c31 = simd::fma(x1, b1, c31);
    if constexpr (Read == ARead::Packed) { x0 = V(a[4]); x1 = V(a[5]); } else { x0 = V(a4[k]); x1 = V(a5[k]); }
    c40 = simd::fma(x0, b0, c40); c41 = simd::fma(x0, b1, c41);
    c50 = simd::fma(x1, b0, c50); c51 = simd::fma(x1, b1, c51);
    if constexpr (Read == ARead::Packed) a += MR;
    b += NR;
  }
  acc.c[0][0] = c00; acc.c[0][1] = c01; acc.c[1][0] = c10; acc.c[1][1] = c11;
  acc.c[2][0] = c20; acc.c[2][1] = c21; acc.c[3][0] = c30; acc.c[3][1] = c31;
  acc.c[4][0] = c40; acc.c[4][1] = c41; acc.c[5][0] = c50; acc.c[5][1] = c51;
}

// C = acc + beta * C for the top-left m x n of the tile.
template <class T>
inline void store_tile(const Accumulators<T>& acc, T* c, index_t ldc, T beta, int m, int n) {
  using V = simd::batch<T>;
  constexpr int W = simd::width<T>;
  constexpr int MR = GemmTile<T>::mr;
  constexpr int NR = GemmTile<T>::nr;
  if (m == MR && n == NR) {
    for (int r = 0; r < MR; ++r) {
      T* cr = c + r * ldc;
      if (beta == T(0)) {
        simd::store(cr, acc.c[r][0]);
        simd::store(cr + W, acc.c[r][1]);
      } else {
        V vb(beta);
        simd::store(cr, simd::fma(vb, simd::load(cr), acc.c[r][0]));
        simd::store(cr + W, simd::fma(vb, simd::load(cr + W), acc.c[r][1]));
      }
    }
    return;
  }
  alignas(64) T tile[MR * NR];
  for (int r = 0; r < MR; ++r) {
    acc.c[r][0].store_aligned(tile + r * NR);
    acc.c[r][1].store_aligned(tile + r * NR + W);
  }
  for (int r = 0; r < m; ++r)
    for (int j = 0; j < n; ++j) {
      T& out = c[r * ldc + j];
      out = beta == T(0) ? tile[r * NR + j] : tile[r * NR + j] + beta * out;
    }
}

// C = a (packed kc x MR) * b (packed kc x NR) + beta * C, for the top-left m x n.
template <class T>
inline void micro_kernel(index_t kc, const T* __restrict a, const T* __restrict b, T* c, index_t ldc,
                         T beta, int m, int n) {
  Accumulators<T> acc;
  accumulate<T, ARead::Packed>(acc, kc, a, 1, b);
  store_tile(acc, c, ldc, beta, m, n);
}

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

}  // namespace detail

// A GEMM problem as the implementation list sees it.
struct GemmProblem {
  index_t M = 0, N = 0, K = 0;
};

// The GEMM's implementations, in priority order: the first whose accepts() holds runs. Each
// states its workspace; the reference, last, accepts everything.
struct GemmSplitK {
  static constexpr const char* name = "gemm_split_k";
  // A long, thin product (a convolution's weight gradient: K = every pixel of the batch) would
  // meet at a barrier every KC step for very little work: give each thread a slice of K instead.
  static bool accepts(const GemmProblem& p, int threads) {
    return threads > 1 && threads <= parallel::kMaxThreads && p.M > 0 && p.N > 0 && p.K >= 8 * std::max(p.M, p.N) &&
           p.K >= index_t(threads) * 4 * GemmBlocking<float>::kc;
  }
  template <class T>
  static std::size_t workspace(const GemmProblem& p, int threads) {
    return std::size_t(threads) * ((detail::split_k_part<T>(p.M, p.N, p.K, threads) + kAlignment - 1) / kAlignment * kAlignment);
  }
  template <class T, class PackA, class PackB>
  static void run(const GemmProblem& p, const PackA& a, const PackB& b, T beta, T* C, index_t ldc,
                  const parallel::Execution& ex) {
    detail::gemm_split_k<T>(p.M, p.N, p.K, a, b, beta, C, ldc, ex);
  }
};

struct GemmBlocked {
  static constexpr const char* name = "gemm_blocked";
  static bool accepts(const GemmProblem&, int) { return true; }
  template <class T>
  static std::size_t workspace(const GemmProblem& p, int threads) {
    return detail::blocked_workspace<T>(p.M, p.N, p.K, threads);
  }
  template <class T, class PackA, class PackB>
  static void run(const GemmProblem& p, const PackA& a, const PackB& b, T beta, T* C, index_t ldc,
                  const parallel::Execution& ex) {
    detail::gemm_blocked<T>(p.M, p.N, p.K, a, b, beta, C, ldc, ex);
  }
};

struct GemmReference {
  static constexpr const char* name = "gemm_reference";
  static bool accepts(const GemmProblem&, int) { return true; }
  template <class T>
  static std::size_t workspace(const GemmProblem& p, int) {
    return parallel::workspace_bytes([&](parallel::Workspace& ws) {
      ws.take<T>(std::max<index_t>(p.K, 1) * GemmTile<T>::mr);
      ws.take<T>(std::max<index_t>(p.K, 1) * GemmTile<T>::nr);
    });
  }
  template <class T, class PackA, class PackB>
  static void run(const GemmProblem& p, const PackA& a, const PackB& b, T beta, T* C, index_t ldc,
                  const parallel::Execution& ex) {
    detail::gemm_reference<T>(p.M, p.N, p.K, a, b, beta, C, ldc, ex);
  }
};

using GemmImpls = ImplList<GemmSplitK, GemmBlocked, GemmReference>;

// The name of the implementation the dispatcher picks for p.
inline const char* gemm_choice(const GemmProblem& p, int threads) {
  return GemmImpls::first_name([&](auto impl) { return decltype(impl)::accepts(p, threads); });
}

// Bytes of workspace gemm_packed needs for p with this many threads (its first accepting
// implementation's, or the named one's).
template <class T>
std::size_t gemm_workspace(const GemmProblem& p, int threads, std::string_view impl = {}) {
  std::size_t bytes = 0;
  GemmImpls::pick(impl, [&](auto i) { return decltype(i)::accepts(p, threads); },
                  [&](auto i) { bytes = decltype(i)::template workspace<T>(p, threads); });
  return bytes;
}

// The engine. PackA is called as pack_a(dst, i0, rows, k0, kc) and must write a kc x MR panel
// (dst[k * MR + r] = A(i0 + r, k0 + k), zero for r >= rows). PackB is called as
// pack_b(dst, k0, kc, j0, cols) and writes dst[k * NR + j] = B(k0 + k, j0 + j), zero for
// j >= cols. C is row-major M x N with leading dimension ldc. `impl` forces an implementation
// by name (tests, benchmarks); empty means the first that accepts.
template <class T, class PackA, class PackB>
TINYCNN_KERNEL void gemm_packed(index_t M, index_t N, index_t K, const PackA& pack_a, const PackB& pack_b, T beta,
                                T* C, index_t ldc, const parallel::Execution& ex, std::string_view impl = {}) {
  const GemmProblem p{M, N, K};
  GemmImpls::pick(impl, [&](auto i) { return decltype(i)::accepts(p, ex.intra); },
                  [&](auto i) { decltype(i)::template run<T>(p, pack_a, pack_b, beta, C, ldc, ex); });
}


// ---- Packers for ordinary strided matrices --------------------------------------------------

// A is M x K; element (i, k) at a[i * lda + k], or at a[k * lda + i] when transposed.
template <class T>
struct PackStridedA {
  const T* a;
  index_t lda;
  bool transposed;
  T alpha;
  void operator()(T* dst, index_t i0, int rows, index_t k0, index_t kc) const {
    constexpr int MR = GemmTile<T>::mr;
    if (transposed) {
      for (index_t k = 0; k < kc; ++k) {
        const T* src = a + (k0 + k) * lda + i0;
        int r = 0;
        for (; r < rows; ++r) dst[k * MR + r] = alpha * src[r];
        for (; r < MR; ++r) dst[k * MR + r] = T(0);
      }
    } else {
      for (int r = 0; r < MR; ++r) {
        if (r < rows) {
          const T* src = a + (i0 + r) * lda + k0;
          for (index_t k = 0; k < kc; ++k) dst[k * MR + r] = alpha * src[k];
        } else {
          for (index_t k = 0; k < kc; ++k) dst[k * MR + r] = T(0);
        }
      }
    }
  }
};

// B is K x N; element (k, j) at b[k * ldb + j], or at b[j * ldb + k] when transposed.
template <class T>
struct PackStridedB {
  const T* b;
  index_t ldb;
  bool transposed;
  void operator()(T* dst, index_t k0, index_t kc, index_t j0, int cols) const {
    constexpr int NR = GemmTile<T>::nr;
    if (!transposed) {
      for (index_t k = 0; k < kc; ++k) {
        const T* src = b + (k0 + k) * ldb + j0;
        T* d = dst + k * NR;
        if (cols == NR) {
          std::memcpy(d, src, sizeof(T) * NR);
        } else {
          int j = 0;
          for (; j < cols; ++j) d[j] = src[j];
          for (; j < NR; ++j) d[j] = T(0);
        }
      }
    } else {
      for (int j = 0; j < NR; ++j) {
        if (j < cols) {
          const T* src = b + (j0 + j) * ldb + k0;
          for (index_t k = 0; k < kc; ++k) dst[k * NR + j] = src[k];
        } else {
          for (index_t k = 0; k < kc; ++k) dst[k * NR + j] = T(0);
        }
      }
    }
  }
};

enum class Trans { No, Yes };

// C (M x N) = alpha * op(A) (M x K) * op(B) (K x N) + beta * C, all row-major.
template <class T>
TINYCNN_KERNEL void gemm(Trans ta, Trans tb, index_t M, index_t N, index_t K, T alpha, const T* A, index_t lda,
                         const T* B, index_t ldb, T beta, T* C, index_t ldc, const parallel::Execution& ex,
                         std::string_view impl = {}) {
  gemm_packed<T>(M, N, K, PackStridedA<T>{A, lda, ta == Trans::Yes, alpha},
                 PackStridedB<T>{B, ldb, tb == Trans::Yes}, beta, C, ldc, ex, impl);
}

}  // namespace tinycnn::kernels
