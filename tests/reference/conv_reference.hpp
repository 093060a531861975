// Naive double-precision convolution: the oracle for kernels/conv.hpp. Loops written straight
// from the definition, with no shared code with the kernel under test.
#pragma once
#include <vector>

#include "reference/window_reference.hpp"
#include "tinycnn/kernels/conv.hpp"

namespace tinycnn::reference {

// x [n, H, W, Ci], w [KH, KW, Ci, Co] -> y [n, OH, OW, Co]
template <class X, class Wt>
std::vector<double> conv_forward(const kernels::ConvShape& s, const X* x, const Wt* w) {
  const Geometry g = geometry(s.win);
  std::vector<double> y(static_cast<std::size_t>(s.batch * g.out_h * g.out_w * s.out_c), 0.0);
  for (index_t b = 0; b < s.batch; ++b)
    for (index_t oy = 0; oy < g.out_h; ++oy)
      for (index_t ox = 0; ox < g.out_w; ++ox)
        for (index_t co = 0; co < s.out_c; ++co) {
          double acc = 0;
          for (index_t ky = 0; ky < g.kh; ++ky)
            for (index_t kx = 0; kx < g.kw; ++kx) {
              index_t iy = oy * g.sh - g.pad_top + ky, ix = ox * g.sw - g.pad_left + kx;
              if (iy < 0 || iy >= g.in_h || ix < 0 || ix >= g.in_w) continue;
              for (index_t ci = 0; ci < s.in_c; ++ci)
                acc += double(x[((b * g.in_h + iy) * g.in_w + ix) * s.in_c + ci]) *
                       double(w[((ky * g.kw + kx) * s.in_c + ci) * s.out_c + co]);
            }
          y[static_cast<std::size_t>(((b * g.out_h + oy) * g.out_w + ox) * s.out_c + co)] = acc;
        }
  return y;
}

// Both gradients of sum(dy * conv(x, w)): returns {dx, dw}.
template <class X, class Wt, class D>
std::pair<std::vector<double>, std::vector<double>> conv_backward(const kernels::ConvShape& s, const X* x,
                                                                  const Wt* w, const D* dy) {
  const Geometry g = geometry(s.win);
  std::vector<double> dx(static_cast<std::size_t>(s.batch * g.in_h * g.in_w * s.in_c), 0.0);
  std::vector<double> dw(static_cast<std::size_t>(g.kh * g.kw * s.in_c * s.out_c), 0.0);
  for (index_t b = 0; b < s.batch; ++b)
    for (index_t oy = 0; oy < g.out_h; ++oy)
      for (index_t ox = 0; ox < g.out_w; ++ox)
        for (index_t co = 0; co < s.out_c; ++co) {
          double d = double(dy[((b * g.out_h + oy) * g.out_w + ox) * s.out_c + co]);
          for (index_t ky = 0; ky < g.kh; ++ky)
            for (index_t kx = 0; kx < g.kw; ++kx) {
              index_t iy = oy * g.sh - g.pad_top + ky, ix = ox * g.sw - g.pad_left + kx;
              if (iy < 0 || iy >= g.in_h || ix < 0 || ix >= g.in_w) continue;
              for (index_t ci = 0; ci < s.in_c; ++ci) {
                std::size_t xi = static_cast<std::size_t>(((b * g.in_h + iy) * g.in_w + ix) * s.in_c + ci);
                std::size_t wi = static_cast<std::size_t>(((ky * g.kw + kx) * s.in_c + ci) * s.out_c + co);
                dx[xi] += d * double(w[wi]);
                dw[wi] += d * double(x[xi]);
              }
            }
        }
  return {dx, dw};
}

// C = op(A) * op(B) in double, row-major.
template <class T>
std::vector<double> gemm(bool ta, bool tb, index_t M, index_t N, index_t K, const T* A, index_t lda,
                         const T* B, index_t ldb) {
  std::vector<double> C(static_cast<std::size_t>(M * N), 0.0);
  for (index_t i = 0; i < M; ++i)
    for (index_t j = 0; j < N; ++j) {
      double acc = 0;
      for (index_t k = 0; k < K; ++k)
        acc += double(ta ? A[k * lda + i] : A[i * lda + k]) * double(tb ? B[j * ldb + k] : B[k * ldb + j]);
      C[static_cast<std::size_t>(i * N + j)] = acc;
    }
  return C;
}

}  // namespace tinycnn::reference
