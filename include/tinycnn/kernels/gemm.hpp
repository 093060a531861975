// GEMM: C = A * B + beta * C, BLIS style.
//
// The engine is written once, over two "packers" that copy a panel of A or B into the layout
// the micro-kernel streams through. A plain matrix product uses the strided packers of gemm/packers.hpp; a
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
//
// This file is the entry point (the list, gemm_packed, gemm, gemm_workspace); the parts live in
// kernels/gemm/, one concept per header:
//   blocking.hpp      the register tile and cache blocks per ISA
//   accumulators.hpp  the tile's accumulators, how A is read, the store into C
//   micro_kernel_<isa>_<rows>x<vectors>v.hpp  one unrolled micro-kernel per ISA and tile
//   micro_kernel.hpp  picks this build's micro-kernel
//   loops.hpp         the blocked and split-K engines and the reference
//   packers.hpp       packers for plain strided matrices
#pragma once
#include <algorithm>
#include <string_view>

#include "tinycnn/core/attributes.hpp"
#include "tinycnn/core/aligned_buffer.hpp"
#include "tinycnn/kernels/gemm/blocking.hpp"
#include "tinycnn/kernels/gemm/problem.hpp"
#include "tinycnn/kernels/gemm/loops.hpp"
#include "tinycnn/kernels/gemm/packers.hpp"
#include "tinycnn/kernels/impl_list.hpp"
#include "tinycnn/parallel/execution.hpp"
#include "tinycnn/simd/simd.hpp"
#include "tinycnn/simd/isa_namespace.hpp"

namespace tinycnn::kernels::inline TINYCNN_ISA_NAMESPACE {

// The GEMM's implementations, in priority order: the first whose accepts() holds runs. Each
// states its workspace, and whether its summation order (so its rounding) changes with the
// thread count; a deterministic Execution skips those. The reference, last, accepts everything.
struct GemmSplitK {
  static constexpr const char* name = "gemm_split_k";
  static constexpr bool same_for_any_thread_count = false;  // K is cut into one slice per thread
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
  // Threads split M or N, never K: each element of C sums over K in the same KC steps.
  static constexpr bool same_for_any_thread_count = true;
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
  static constexpr bool same_for_any_thread_count = true;
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

namespace detail {
// Whether the dispatcher may run impl for p: it accepts p, and, when the caller needs a result
// that is the same for any thread count, its summation order does not follow the threads.
template <class Impl>
bool gemm_may_run(const GemmProblem& p, int threads, bool deterministic) {
  return Impl::accepts(p, threads) && (!deterministic || Impl::same_for_any_thread_count);
}
}  // namespace detail

// The name of the implementation the dispatcher picks for p.
inline const char* gemm_choice(const GemmProblem& p, int threads, bool deterministic = false) {
  return GemmImpls::first_name(
      [&](auto impl) { return detail::gemm_may_run<decltype(impl)>(p, threads, deterministic); });
}

// Bytes of workspace gemm_packed needs for p with this many threads: enough for its first
// accepting implementation and for the one a deterministic call picks (so one plan serves both
// modes; the second is rarely the larger), or for the named one.
template <class T>
std::size_t gemm_workspace(const GemmProblem& p, int threads, std::string_view impl = {}) {
  std::size_t bytes = 0;
  for (const bool deterministic : {false, true})
    GemmImpls::pick(impl,
                    [&](auto i) { return detail::gemm_may_run<decltype(i)>(p, threads, deterministic && impl.empty()); },
                    [&](auto i) { bytes = std::max(bytes, decltype(i)::template workspace<T>(p, threads)); });
  return bytes;
}

// The engine. PackA is called as pack_a(dst, i0, rows, k0, kc) and must write a kc x MR panel
// (dst[k * MR + r] = A(i0 + r, k0 + k), zero for r >= rows). PackB is called as
// pack_b(dst, k0, kc, j0, cols) and writes dst[k * NR + j] = B(k0 + k, j0 + j), zero for
// j >= cols. C is row-major M x N with leading dimension ldc. `impl` forces an implementation
// by name (tests, benchmarks), deterministic or not; empty means the first that accepts (and,
// when ex.deterministic, whose result is the same for any thread count).
template <class T, class PackA, class PackB>
TINYCNN_KERNEL void gemm_packed(index_t M, index_t N, index_t K, const PackA& pack_a, const PackB& pack_b, T beta,
                                T* C, index_t ldc, const parallel::Execution& ex, std::string_view impl = {}) {
  const GemmProblem p{M, N, K};
  GemmImpls::pick(impl,
                  [&](auto i) { return detail::gemm_may_run<decltype(i)>(p, ex.intra, ex.deterministic && impl.empty()); },
                  [&](auto i) { decltype(i)::template run<T>(p, pack_a, pack_b, beta, C, ldc, ex); });
}

// C (M x N) = alpha * op(A) (M x K) * op(B) (K x N) + beta * C, all row-major.
template <class T>
TINYCNN_KERNEL void gemm(Trans ta, Trans tb, index_t M, index_t N, index_t K, T alpha, const T* A, index_t lda,
                         const T* B, index_t ldb, T beta, T* C, index_t ldc, const parallel::Execution& ex,
                         std::string_view impl = {}) {
  gemm_packed<T>(M, N, K, PackStridedA<T>{A, lda, ta == Trans::Yes, alpha},
                 PackStridedB<T>{B, ldb, tb == Trans::Yes}, beta, C, ldc, ex, impl);
}

}  // namespace tinycnn::kernels::inline TINYCNN_ISA_NAMESPACE
