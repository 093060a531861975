// Elementwise arithmetic on flat arrays: the sum of two branches (a residual add, or the
// gradients of a tensor read by several layers), scaling and copying.
//
// Every array here is treated as flat; shapes do not matter. Outputs may alias inputs exactly
// (y == a, y == b): each element is read before it is written, and no element is read after
// another one is written. Partial overlap is not supported.
//
// The backward of y = a + b is da = dy and db = dy: callers pass dy on (or copy() it) rather
// than call a kernel.
#pragma once
#include "tinycnn/core/attributes.hpp"
#include <algorithm>
#include <cstring>

#include "tinycnn/core/shape.hpp"
#include "tinycnn/parallel/execution.hpp"
#include "tinycnn/simd/simd.hpp"
#include "tinycnn/simd/isa_namespace.hpp"

namespace tinycnn::kernels::inline TINYCNN_ISA_NAMESPACE {

namespace detail {

// Below about this many elements per thread, starting an OpenMP team costs more than the
// streaming loop it would split.
inline constexpr index_t kElementwiseGrain = index_t(1) << 15;

inline int threads_for(int threads, index_t work, index_t grain = kElementwiseGrain) {
  if (work < 2 * grain) return 1;
  return static_cast<int>(std::min<index_t>(threads, work / grain));
}

// Calls body(begin, end) on one contiguous range of [0, n) per thread; each item costs about
// item_cost elements of streaming work. Inner boundaries fall on multiples of 16 items, so no
// two threads write the same cache line of a 64-byte aligned array.
template <class Body>
void parallel_ranges(int threads, index_t n, const Body& body, index_t item_cost = 1) {
  const int nt = static_cast<int>(std::min<index_t>(threads_for(threads, n * item_cost), n));
  if (nt <= 1) {
    body(index_t(0), n);
    return;
  }
#pragma omp parallel for num_threads(nt) schedule(static)
  for (int t = 0; t < nt; ++t) {
    const index_t begin = t == 0 ? 0 : n * t / nt / 16 * 16;
    const index_t end = t == nt - 1 ? n : n * (t + 1) / nt / 16 * 16;
    body(begin, end);
  }
}

// The SIMD main loop and its scalar tail over [begin, end): vec(i) handles width<T> elements
// from i, one(i) a single element.
template <class T, class Vec, class One>
inline void simd_range(index_t begin, index_t end, const Vec& vec, const One& one) {
  constexpr index_t W = simd::width<T>;
  index_t i = begin;
  for (; i + W <= end; i += W) vec(i);
  for (; i < end; ++i) one(i);
}

}  // namespace detail

// y = a + b.
template <class T>
TINYCNN_KERNEL void add(const T* a, const T* b, T* y, index_t n, const parallel::Execution& ex) {
  detail::parallel_ranges(ex.intra, n, [=](index_t begin, index_t end) {
    detail::simd_range<T>(
        begin, end, [=](index_t i) { simd::store(y + i, simd::load(a + i) + simd::load(b + i)); },
        [=](index_t i) { y[i] = a[i] + b[i]; });
  });
}

// y += x: accumulating a second gradient into a tensor's gradient buffer.
template <class T>
TINYCNN_KERNEL void add_inplace(T* y, const T* x, index_t n, const parallel::Execution& ex) {
  add<T>(y, x, y, n, ex);
}

// y += alpha * x.
template <class T>
void axpy(T alpha, const T* x, T* y, index_t n, const parallel::Execution& ex) {
  const simd::batch<T> va = simd::splat(alpha);
  detail::parallel_ranges(ex.intra, n, [=](index_t begin, index_t end) {
    detail::simd_range<T>(
        begin, end, [=](index_t i) { simd::store(y + i, simd::fma(va, simd::load(x + i), simd::load(y + i))); },
        [=](index_t i) { y[i] += alpha * x[i]; });
  });
}

// y *= alpha.
template <class T>
void scale(T* y, T alpha, index_t n, const parallel::Execution& ex) {
  const simd::batch<T> va = simd::splat(alpha);
  detail::parallel_ranges(ex.intra, n, [=](index_t begin, index_t end) {
    detail::simd_range<T>(
        begin, end, [=](index_t i) { simd::store(y + i, va * simd::load(y + i)); },
        [=](index_t i) { y[i] *= alpha; });
  });
}

// y = x. Copying onto itself is allowed and does nothing.
template <class T>
void copy(const T* x, T* y, index_t n, const parallel::Execution& ex) {
  if (x == y || n <= 0) return;
  detail::parallel_ranges(ex.intra, n, [=](index_t begin, index_t end) {
    std::memcpy(y + begin, x + begin, static_cast<std::size_t>(end - begin) * sizeof(T));
  });
}

// y = value.
template <class T>
void fill(T* y, T value, index_t n, const parallel::Execution& ex) {
  detail::parallel_ranges(ex.intra, n, [=](index_t begin, index_t end) { std::fill(y + begin, y + end, value); });
}

}  // namespace tinycnn::kernels::inline TINYCNN_ISA_NAMESPACE
