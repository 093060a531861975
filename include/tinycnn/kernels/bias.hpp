// A per-channel bias on NHWC activations, seen as `rows` = n*h*w rows of c contiguous channels.
// The backward is a sum over rows for every channel; detail::reduce_rows, the machinery for
// such per-channel sums (the same for any thread count), is shared with batch_norm.hpp.
#pragma once
#include <omp.h>

#include <algorithm>

#include "tinycnn/core/attributes.hpp"
#include "tinycnn/parallel/workspace.hpp"
#include "tinycnn/kernels/elementwise.hpp"
#include "tinycnn/simd/isa_namespace.hpp"

namespace tinycnn::kernels::inline TINYCNN_ISA_NAMESPACE {

namespace detail {

// Rows summed in T before the block's sum is added to a double total. Short runs keep the
// float rounding error of a sum near 64 ulp whatever the batch and image size, and the double
// totals cost one scalar pass over c per 64 rows.
inline constexpr index_t kReduceBlockRows = 64;

// The rows are cut into parts whose number follows the rows alone, never the threads: each
// part's total is summed in the same order whichever thread takes it, and the parts' totals are
// added in part order, so a per-channel sum is the same for any thread count. More parts than
// any node has cores, few enough that the parts' totals stay small next to the rows.
inline constexpr index_t kReduceParts = 256;
inline index_t reduce_parts(index_t rows) {
  return std::clamp<index_t>((rows + kReduceBlockRows - 1) / kReduceBlockRows, 1, kReduceParts);
}

// The scratch of reduce_rows, carved from the caller's workspace: each part's K * c double
// totals, and each thread's K * c T block accumulator.
template <class T, int K>
struct RowSums {
  double* part_totals = nullptr;
  index_t parts = 1;
  parallel::Workspace::Parts accumulators;
  int threads = 1;

  static RowSums carve(parallel::Workspace& ws, index_t rows, index_t c, int intra) {
    const index_t parts = reduce_parts(rows);
    const int nt = int(std::min<index_t>(threads_for(intra, rows * c), parts));
    double* totals = ws.take<double>(parts * K * c);
    return {totals, parts, ws.take_parts(nt, sizeof(T) * std::size_t(align_count<T>(K * c))), nt};
  }
};

// totals[k * c + ch] (K quantities per channel, in double) = the sum over all rows of the k-th
// quantity. visit(r0, r1, acc) adds the k-th quantity of rows [r0, r1) into acc[k * c + ch], a
// zeroed, 64-byte aligned T array. The order of every addition follows rows and c only (see
// kReduceParts): the result is the same on every run and for every thread count.
template <class T, int K, class Visit>
void reduce_rows(const RowSums<T, K>& scratch, index_t rows, index_t c, double* totals, const Visit& visit) {
  const index_t parts = scratch.parts, kc = K * c;
#pragma omp parallel for num_threads(scratch.threads) schedule(static) if (scratch.threads > 1)
  for (index_t part = 0; part < parts; ++part) {
    T* acc = scratch.accumulators.template at<T>(omp_get_thread_num());
    double* mine = scratch.part_totals + part * kc;
    std::fill(mine, mine + kc, 0.0);
    const index_t end = rows * (part + 1) / parts;
    for (index_t r0 = rows * part / parts; r0 < end; r0 += kReduceBlockRows) {
      std::fill(acc, acc + kc, T(0));
      visit(r0, std::min(end, r0 + kReduceBlockRows), acc);
      for (index_t i = 0; i < kc; ++i) mine[i] += static_cast<double>(acc[i]);
    }
  }
  for (index_t i = 0; i < kc; ++i) totals[i] = 0.0;
  for (index_t part = 0; part < parts; ++part) {
    const double* partial = scratch.part_totals + part * kc;
    for (index_t i = 0; i < kc; ++i) totals[i] += partial[i];
  }
}

// bias_add_backward's workspace: the double totals and reduce_rows' scratch.
template <class T>
struct BiasBackwardBuffers {
  double* total;
  RowSums<T, 1> sums;
  static BiasBackwardBuffers carve(parallel::Workspace& ws, index_t rows, index_t c, int threads) {
    return {ws.take<double>(c), RowSums<T, 1>::carve(ws, rows, c, threads)};
  }
};

}  // namespace detail

// y[r, ch] = x[r, ch] + bias[ch]. y may be x (the usual case: in place on a convolution's output).
template <class T>
TINYCNN_KERNEL void bias_add_forward(const T* x, const T* bias, T* y, index_t rows, index_t c, const parallel::Execution& ex) {
  detail::parallel_ranges(ex.intra, rows, [=](index_t begin, index_t end) {
    for (index_t r = begin; r < end; ++r) {
      const T* xr = x + r * c;
      T* yr = y + r * c;
      detail::simd_range<T>(
          0, c, [=](index_t ch) { simd::store(yr + ch, simd::load(xr + ch) + simd::load(bias + ch)); },
          [=](index_t ch) { yr[ch] = xr[ch] + bias[ch]; });
    }
  }, c);
}

template <class T>
std::size_t bias_add_backward_workspace(index_t rows, index_t c, int threads) {
  return parallel::workspace_bytes(
      [&](parallel::Workspace& ws) { detail::BiasBackwardBuffers<T>::carve(ws, rows, c, threads); });
}

// dbias[ch] = sum over rows of dy[r, ch]. dbias is overwritten. Takes
// bias_add_backward_workspace<T>(rows, c, ex.intra) bytes of ex.workspace.
template <class T>
TINYCNN_KERNEL void bias_add_backward(const T* dy, T* dbias, index_t rows, index_t c, const parallel::Execution& ex) {
  parallel::Workspace ws = ex.workspace;
  const auto buffers = detail::BiasBackwardBuffers<T>::carve(ws, rows, c, ex.intra);
  double* total = buffers.total;
  detail::reduce_rows<T, 1>(buffers.sums, rows, c, total, [=](index_t r0, index_t r1, T* acc) {
    for (index_t r = r0; r < r1; ++r) {
      const T* row = dy + r * c;
      detail::simd_range<T>(
          0, c, [=](index_t ch) { simd::store(acc + ch, simd::load(acc + ch) + simd::load(row + ch)); },
          [=](index_t ch) { acc[ch] += row[ch]; });
    }
  });
  for (index_t ch = 0; ch < c; ++ch) dbias[ch] = static_cast<T>(total[ch]);
}

}  // namespace tinycnn::kernels::inline TINYCNN_ISA_NAMESPACE
