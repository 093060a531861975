// A per-channel bias on NHWC activations, seen as `rows` = n*h*w rows of c contiguous channels.
// The backward is a sum over rows for every channel; detail::reduce_rows, the machinery for
// such per-channel sums, is shared with batch_norm.hpp.
#pragma once
#include "tinycnn/core/attributes.hpp"
#include "tinycnn/parallel/workspace.hpp"
#include "tinycnn/kernels/elementwise.hpp"

namespace tinycnn::kernels {

namespace detail {

// Rows summed in T before the block's sum is added to a double total. Short runs keep the
// float rounding error of a sum near 64 ulp whatever the batch and image size, and the double
// totals cost one scalar pass over c per 64 rows.
inline constexpr index_t kReduceBlockRows = 64;

// The per-thread scratch of reduce_rows, carved from the caller's workspace: for each of the
// `threads` threads, its K * c double totals and its K * c T block accumulator.
template <class T, int K>
struct RowSums {
  parallel::Workspace::Parts parts;
  int threads = 1;

  static std::size_t part_bytes(index_t c) {
    return parallel::workspace_bytes([&](parallel::Workspace& ws) {
      ws.take<double>(K * c);
      ws.take<T>(K * c);
    });
  }
  static RowSums carve(parallel::Workspace& ws, index_t rows, index_t c, int intra) {
    const int nt = threads_for(intra, rows * c);
    return {ws.take_parts(nt, part_bytes(c)), nt};
  }
};

// totals[k * c + ch] (K quantities per channel, in double) = the sum over all rows of the k-th
// quantity. visit(r0, r1, acc) adds the k-th quantity of rows [r0, r1) into acc[k * c + ch], a
// zeroed, 64-byte aligned T array. Threads own contiguous row ranges and their partial sums are
// added in thread order, so the result is the same on every run with the same thread count.
template <class T, int K, class Visit>
void reduce_rows(const RowSums<T, K>& scratch, index_t rows, index_t c, double* totals, const Visit& visit) {
  const int nt = scratch.threads;
  const index_t kc = K * c;
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (int t = 0; t < nt; ++t) {
    parallel::Workspace own = scratch.parts.part(t);
    double* mine = own.take<double>(kc);
    T* acc = own.take<T>(kc);
    std::fill(mine, mine + kc, 0.0);
    const index_t end = rows * (t + 1) / nt;
    for (index_t r0 = rows * t / nt; r0 < end; r0 += kReduceBlockRows) {
      std::fill(acc, acc + kc, T(0));
      visit(r0, std::min(end, r0 + kReduceBlockRows), acc);
      for (index_t i = 0; i < kc; ++i) mine[i] += static_cast<double>(acc[i]);
    }
  }
  for (index_t i = 0; i < kc; ++i) totals[i] = 0.0;
  for (int t = 0; t < nt; ++t) {
    const double* partial = scratch.parts.template at<double>(t);  // the part's first piece
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

}  // namespace tinycnn::kernels
