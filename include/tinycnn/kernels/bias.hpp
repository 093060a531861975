// A per-channel bias on NHWC activations, seen as `rows` = n*h*w rows of c contiguous channels.
// The backward is a sum over rows for every channel; detail::reduce_rows, the machinery for
// such per-channel sums, is shared with batch_norm.hpp.
#pragma once
#include "tinycnn/core/attributes.hpp"
#include "tinycnn/core/aligned_buffer.hpp"
#include "tinycnn/kernels/elementwise.hpp"

namespace tinycnn::kernels {

namespace detail {

// Rows summed in T before the block's sum is added to a double total. Short runs keep the
// float rounding error of a sum near 64 ulp whatever the batch and image size, and the double
// totals cost one scalar pass over c per 64 rows.
inline constexpr index_t kReduceBlockRows = 64;

// totals[k * c + ch] (K quantities per channel, in double) = the sum over all rows of the k-th
// quantity. visit(r0, r1, acc) adds the k-th quantity of rows [r0, r1) into acc[k * c + ch], a
// zeroed, 64-byte aligned T array. Threads own contiguous row ranges and their partial sums are
// added in thread order, so the result is the same on every run with the same thread count.
template <class T, int K, class Visit>
void reduce_rows(const parallel::Execution& ex, index_t rows, index_t c, double* totals, const Visit& visit) {
  const int nt = threads_for(ex.intra, rows * c);
  const index_t kc = K * c;
  AlignedBuffer<double> partial(nt * kc);
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (int t = 0; t < nt; ++t) {
    AlignedBuffer<T> acc(kc);
    double* mine = partial.data() + t * kc;
    const index_t end = rows * (t + 1) / nt;
    for (index_t r0 = rows * t / nt; r0 < end; r0 += kReduceBlockRows) {
      std::fill(acc.data(), acc.data() + kc, T(0));
      visit(r0, std::min(end, r0 + kReduceBlockRows), acc.data());
      for (index_t i = 0; i < kc; ++i) mine[i] += static_cast<double>(acc[i]);
    }
  }
  for (index_t i = 0; i < kc; ++i) totals[i] = 0.0;
  for (int t = 0; t < nt; ++t)
    for (index_t i = 0; i < kc; ++i) totals[i] += partial[t * kc + i];
}

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

// dbias[ch] = sum over rows of dy[r, ch]. dbias is overwritten.
template <class T>
TINYCNN_KERNEL void bias_add_backward(const T* dy, T* dbias, index_t rows, index_t c, const parallel::Execution& ex) {
  AlignedBuffer<double> total(c);
  detail::reduce_rows<T, 1>(ex, rows, c, total.data(), [=](index_t r0, index_t r1, T* acc) {
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
