// The AVX-512 micro-kernel: a 12 x 2-vector tile (12 x 32 floats, 12 x 16 doubles), 24
// accumulators + 2 B vectors + 1 broadcast = 27 of the 32 zmm registers. Per k it loads two B
// vectors and does 24 FMAs, against 12 for the AVX2-shaped 6 x 2v tile, so the loads and
// broadcasts per FMA fall from 8/12 to 14/24. A 14 x 2v tile (31 registers) measured no faster
// on Zen 5 (see docs/performance.md).
#pragma once
#include "tinycnn/kernels/gemm/accumulators.hpp"

namespace tinycnn::kernels::detail {

// acc += sum over k < kc of A(k, .) (outer) b[k][0..NR), b a packed kc x NR panel.
template <class T, ARead Read>
inline void accumulate_avx512_12x2v(Accumulators<T>& acc, index_t kc, const T* __restrict a, index_t row_stride,
                                    const T* __restrict b) {
  using V = simd::batch<T>;
  constexpr int W = simd::width<T>;
  constexpr int MR = GemmTile<T>::mr;
  constexpr int NR = GemmTile<T>::nr;
  constexpr int named_accumulators = 24;
  static_assert(MR == 12 && GemmTile<T>::vectors == 2 && named_accumulators == MR * GemmTile<T>::vectors,
                "the unrolled code below is written for a 12 x 2-vector tile");
  static_assert(W * int(sizeof(T)) == 64, "24 accumulators fit only the 32 zmm registers of AVX-512");
  // Named locals, so the 24 accumulators surely stay in registers through the loop.
  V c00 = acc.c[0][0], c01 = acc.c[0][1], c10 = acc.c[1][0], c11 = acc.c[1][1];
  V c20 = acc.c[2][0], c21 = acc.c[2][1], c30 = acc.c[3][0], c31 = acc.c[3][1];
  V c40 = acc.c[4][0], c41 = acc.c[4][1], c50 = acc.c[5][0], c51 = acc.c[5][1];
  V c60 = acc.c[6][0], c61 = acc.c[6][1], c70 = acc.c[7][0], c71 = acc.c[7][1];
  V c80 = acc.c[8][0], c81 = acc.c[8][1], c90 = acc.c[9][0], c91 = acc.c[9][1];
  V ca0 = acc.c[10][0], ca1 = acc.c[10][1], cb0 = acc.c[11][0], cb1 = acc.c[11][1];
  // Direct rows: row r starts at a + r * row_stride. Six base pointers, each with the row
  // after it one stride on, keep the address arithmetic to base + index in the loop.
  const index_t s = row_stride;
  const T* a0 = a;
  const T* a2 = a0 + 2 * s;
  const T* a4 = a2 + 2 * s;
  const T* a6 = a4 + 2 * s;
  const T* a8 = a6 + 2 * s;
  const T* a10 = a8 + 2 * s;
  // A(k, r) as a broadcast vector.
  auto x = [&](index_t k, int r, const T* base) {
    if constexpr (Read == ARead::Packed) return V(a[r]);
    else return V(base[(r & 1) * s + k]);
  };
  for (index_t k = 0; k < kc; ++k) {
    const V b0 = simd::load_aligned(b), b1 = simd::load_aligned(b + W);
    V xr;
    xr = x(k, 0, a0);   c00 = simd::fma(xr, b0, c00); c01 = simd::fma(xr, b1, c01);
    xr = x(k, 1, a0);   c10 = simd::fma(xr, b0, c10); c11 = simd::fma(xr, b1, c11);
    xr = x(k, 2, a2);   c20 = simd::fma(xr, b0, c20); c21 = simd::fma(xr, b1, c21);
    xr = x(k, 3, a2);   c30 = simd::fma(xr, b0, c30); c31 = simd::fma(xr, b1, c31);
    xr = x(k, 4, a4);   c40 = simd::fma(xr, b0, c40); c41 = simd::fma(xr, b1, c41);
    xr = x(k, 5, a4);   c50 = simd::fma(xr, b0, c50); c51 = simd::fma(xr, b1, c51);
    xr = x(k, 6, a6);   c60 = simd::fma(xr, b0, c60); c61 = simd::fma(xr, b1, c61);
    xr = x(k, 7, a6);   c70 = simd::fma(xr, b0, c70); c71 = simd::fma(xr, b1, c71);
    xr = x(k, 8, a8);   c80 = simd::fma(xr, b0, c80); c81 = simd::fma(xr, b1, c81);
    xr = x(k, 9, a8);   c90 = simd::fma(xr, b0, c90); c91 = simd::fma(xr, b1, c91);
    xr = x(k, 10, a10); ca0 = simd::fma(xr, b0, ca0); ca1 = simd::fma(xr, b1, ca1);
    xr = x(k, 11, a10); cb0 = simd::fma(xr, b0, cb0); cb1 = simd::fma(xr, b1, cb1);
    if constexpr (Read == ARead::Packed) a += MR;
    b += NR;
  }
  acc.c[0][0] = c00; acc.c[0][1] = c01; acc.c[1][0] = c10; acc.c[1][1] = c11;
  acc.c[2][0] = c20; acc.c[2][1] = c21; acc.c[3][0] = c30; acc.c[3][1] = c31;
  acc.c[4][0] = c40; acc.c[4][1] = c41; acc.c[5][0] = c50; acc.c[5][1] = c51;
  acc.c[6][0] = c60; acc.c[6][1] = c61; acc.c[7][0] = c70; acc.c[7][1] = c71;
  acc.c[8][0] = c80; acc.c[8][1] = c81; acc.c[9][0] = c90; acc.c[9][1] = c91;
  acc.c[10][0] = ca0; acc.c[10][1] = ca1; acc.c[11][0] = cb0; acc.c[11][1] = cb1;
}

}  // namespace tinycnn::kernels::detail
