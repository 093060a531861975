// Packers for ordinary strided matrices: they copy a panel of A or B into the layout the
// micro-kernel streams through (A: kc x MR, B: kc x NR, see gemm/blocking.hpp). Convolutions
// bring their own packers that read an NHWC image instead (kernels/conv.hpp).
#pragma once
#include <cstring>

#include "tinycnn/core/shape.hpp"
#include "tinycnn/kernels/gemm/blocking.hpp"
#include "tinycnn/simd/isa_namespace.hpp"

namespace tinycnn::kernels::inline TINYCNN_ISA_NAMESPACE {

// A is M x K; element (i, k) at a[i * lda + k], or at a[k * lda + i] when transposed.
template <class T>
struct PackStridedA {
  const T* a;
  index_t lda;
  bool transposed;
  T alpha;
  void operator()(T* dst, index_t i0, int rows, index_t k0, index_t kc) const {
    constexpr int MR = GemmTile<T>::mr;
    if (transposed) {
      for (index_t k = 0; k < kc; ++k) {
        const T* src = a + (k0 + k) * lda + i0;
        int r = 0;
        for (; r < rows; ++r) dst[k * MR + r] = alpha * src[r];
        for (; r < MR; ++r) dst[k * MR + r] = T(0);
      }
    } else {
      for (int r = 0; r < MR; ++r) {
        if (r < rows) {
          const T* src = a + (i0 + r) * lda + k0;
          for (index_t k = 0; k < kc; ++k) dst[k * MR + r] = alpha * src[k];
        } else {
          for (index_t k = 0; k < kc; ++k) dst[k * MR + r] = T(0);
        }
      }
    }
  }
};

// B is K x N; element (k, j) at b[k * ldb + j], or at b[j * ldb + k] when transposed.
template <class T>
struct PackStridedB {
  const T* b;
  index_t ldb;
  bool transposed;
  void operator()(T* dst, index_t k0, index_t kc, index_t j0, int cols) const {
    constexpr int NR = GemmTile<T>::nr;
    if (!transposed) {
      for (index_t k = 0; k < kc; ++k) {
        const T* src = b + (k0 + k) * ldb + j0;
        T* d = dst + k * NR;
        if (cols == NR) {
          std::memcpy(d, src, sizeof(T) * NR);
        } else {
          int j = 0;
          for (; j < cols; ++j) d[j] = src[j];
          for (; j < NR; ++j) d[j] = T(0);
        }
      }
    } else {
      for (int j = 0; j < NR; ++j) {
        if (j < cols) {
          const T* src = b + (j0 + j) * ldb + k0;
          for (index_t k = 0; k < kc; ++k) dst[k * NR + j] = src[k];
        } else {
          for (index_t k = 0; k < kc; ++k) dst[k * NR + j] = T(0);
        }
      }
    }
  }
};

}  // namespace tinycnn::kernels::inline TINYCNN_ISA_NAMESPACE
