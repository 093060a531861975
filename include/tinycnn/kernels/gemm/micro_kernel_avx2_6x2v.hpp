// The AVX2 micro-kernel: a 6 x 2-vector tile (6 x 16 floats, 6 x 8 doubles), 12 accumulators
// + 2 B vectors + 1 broadcast = 15 of the 16 ymm registers.
#pragma once
#include "tinycnn/kernels/gemm/accumulators.hpp"
#include "tinycnn/simd/isa_namespace.hpp"

namespace tinycnn::kernels::inline TINYCNN_ISA_NAMESPACE::detail {

// acc += sum over k < kc of A(k, .) (outer) b[k][0..NR), b a packed kc x NR panel.
template <class T, ARead Read>
inline void accumulate_avx2_6x2v(Accumulators<T>& acc, index_t kc, const T* __restrict a, index_t row_stride,
                                 const T* __restrict b) {
  using V = simd::batch<T>;
  constexpr int W = simd::width<T>;
  constexpr int MR = GemmTile<T>::mr;
  constexpr int NR = GemmTile<T>::nr;
  constexpr int named_accumulators = 12;
  static_assert(MR == 6 && GemmTile<T>::vectors == 2 && named_accumulators == MR * GemmTile<T>::vectors,
                "the unrolled code below is written for a 6 x 2-vector tile");
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

}  // namespace tinycnn::kernels::inline TINYCNN_ISA_NAMESPACE::detail
