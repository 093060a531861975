// ReLU, y = max(x, 0), on flat arrays.
//
// The backward takes y rather than x (y > 0 exactly where x > 0), so the forward may run in
// place (y == x) and the layer need not keep its input. Both directions may run in place.
//
// NaN inputs give 0 in both the SIMD body and the scalar tail (x > 0 is false for NaN), so the
// result does not depend on where an element falls relative to the vector width.
#pragma once
#include "tinycnn/core/attributes.hpp"
#include "tinycnn/kernels/elementwise.hpp"
#include "tinycnn/simd/isa_namespace.hpp"

namespace tinycnn::kernels::inline TINYCNN_ISA_NAMESPACE {

template <class T>
TINYCNN_KERNEL void relu_forward(const T* x, T* y, index_t n, const parallel::Execution& ex) {
  detail::parallel_ranges(ex.intra, n, [=](index_t begin, index_t end) {
    const simd::batch<T> zero = simd::splat(T(0));
    detail::simd_range<T>(
        begin, end,
        [=](index_t i) {
          const simd::batch<T> v = simd::load(x + i);
          simd::store(y + i, simd::select(v > zero, v, zero));
        },
        [=](index_t i) { y[i] = x[i] > T(0) ? x[i] : T(0); });
  });
}

// dx = dy where y > 0, else 0. dx may be dy.
template <class T>
TINYCNN_KERNEL void relu_backward(const T* y, const T* dy, T* dx, index_t n, const parallel::Execution& ex) {
  detail::parallel_ranges(ex.intra, n, [=](index_t begin, index_t end) {
    const simd::batch<T> zero = simd::splat(T(0));
    detail::simd_range<T>(
        begin, end,
        [=](index_t i) { simd::store(dx + i, simd::select(simd::load(y + i) > zero, simd::load(dy + i), zero)); },
        [=](index_t i) { dx[i] = y[i] > T(0) ? dy[i] : T(0); });
  });
}

}  // namespace tinycnn::kernels::inline TINYCNN_ISA_NAMESPACE
