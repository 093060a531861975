// The register tile of the micro-kernel as the rest of the engine sees it: the MR x NR
// accumulators, how the micro-kernel reads A, and the store of a finished tile into C.
#pragma once
#include "tinycnn/core/shape.hpp"
#include "tinycnn/kernels/gemm/blocking.hpp"
#include "tinycnn/simd/simd.hpp"
#include "tinycnn/simd/isa_namespace.hpp"

namespace tinycnn::kernels::inline TINYCNN_ISA_NAMESPACE::detail {

// The MR x NR accumulator tile: MR rows of `vectors` vector registers.
template <class T>
struct Accumulators {
  using V = simd::batch<T>;
  V c[GemmTile<T>::mr][GemmTile<T>::vectors];
  Accumulators() {
    for (auto& row : c)
      for (auto& v : row) v = V(T(0));
  }
};

// Where the micro-kernel reads A(k, r), the k-th value of tile row r:
//   Packed: a[k * MR + r], a panel written by a packer;
//   Direct: a[r * row_stride + k], straight from the source when each row's run of k is
//           contiguous in memory (a convolution's window row in NHWC, see kernels/conv.hpp).
enum class ARead { Packed, Direct };

// C = acc + beta * C for the top-left m x n of the tile.
template <class T>
inline void store_tile(const Accumulators<T>& acc, T* c, index_t ldc, T beta, int m, int n) {
  using V = simd::batch<T>;
  constexpr int W = simd::width<T>;
  constexpr int MR = GemmTile<T>::mr;
  constexpr int NV = GemmTile<T>::vectors;
  constexpr int NR = GemmTile<T>::nr;
  if (m == MR && n == NR) {
    for (int r = 0; r < MR; ++r) {
      T* cr = c + r * ldc;
      if (beta == T(0)) {
        for (int v = 0; v < NV; ++v) simd::store(cr + v * W, acc.c[r][v]);
      } else {
        V vb(beta);
        for (int v = 0; v < NV; ++v) simd::store(cr + v * W, simd::fma(vb, simd::load(cr + v * W), acc.c[r][v]));
      }
    }
    return;
  }
  alignas(64) T tile[MR * NR];
  for (int r = 0; r < MR; ++r)
    for (int v = 0; v < NV; ++v) acc.c[r][v].store_aligned(tile + r * NR + v * W);
  for (int r = 0; r < m; ++r)
    for (int j = 0; j < n; ++j) {
      T& out = c[r * ldc + j];
      out = beta == T(0) ? tile[r * NR + j] : tile[r * NR + j] + beta * out;
    }
}

}  // namespace tinycnn::kernels::inline TINYCNN_ISA_NAMESPACE::detail
