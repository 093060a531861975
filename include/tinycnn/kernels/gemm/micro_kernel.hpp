// The micro-kernel: this build's register tile (see blocking.hpp) over packed panels, and the
// accumulate step that direct convolution also drives with rows read in place.
#pragma once
#include "tinycnn/kernels/gemm/accumulators.hpp"
#include "tinycnn/kernels/gemm/micro_kernel_avx2_6x2v.hpp"
#include "tinycnn/simd/isa_namespace.hpp"

namespace tinycnn::kernels::inline TINYCNN_ISA_NAMESPACE::detail {

// acc += sum over k < kc of A(k, .) (outer) b[k][0..NR), b a packed kc x NR panel, A read as
// `Read` says (row r at a + r * row_stride for ARead::Direct).
template <class T, ARead Read>
inline void accumulate(Accumulators<T>& acc, index_t kc, const T* __restrict a, index_t row_stride,
                       const T* __restrict b) {
  // AVX-512 builds run the AVX2-shaped tile too, in zmm registers: see gemm/blocking.hpp.
  accumulate_avx2_6x2v<T, Read>(acc, kc, a, row_stride, b);
}

// C = a (packed kc x MR) * b (packed kc x NR) + beta * C, for the top-left m x n.
template <class T>
inline void micro_kernel(index_t kc, const T* __restrict a, const T* __restrict b, T* c, index_t ldc,
                         T beta, int m, int n) {
  Accumulators<T> acc;
  accumulate<T, ARead::Packed>(acc, kc, a, 1, b);
  store_tile(acc, c, ldc, beta, m, n);
}

}  // namespace tinycnn::kernels::inline TINYCNN_ISA_NAMESPACE::detail
