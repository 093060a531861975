// The plain convolutions: every sum written out over (pixel, tap, channel), accumulated in
// double, no packing, no threads: `acc` is one double per output element (the workspace the
// reference entry of each list plans). They are the last entry of each convolution
// implementation list (kernels/conv.hpp): what the fast paths are tested against, and what
// runs if no fast path accepts a problem. Instantiated with double they are exact enough to be
// the tests' oracle for the fast paths in float.
#pragma once
#include <algorithm>

#include "tinycnn/core/attributes.hpp"
#include "tinycnn/kernels/conv_shape.hpp"
#include "tinycnn/simd/isa_namespace.hpp"

namespace tinycnn::kernels::inline TINYCNN_ISA_NAMESPACE::detail {
// Where output pixel p reads its window: image, top-left corner (possibly in the padding).
struct PixelOrigin {
  index_t image, y, x;
};
inline PixelOrigin pixel_origin(const ConvShape& s, index_t p) {
  const Window& g = s.win;
  index_t ox = p % g.out_w, rest = p / g.out_w;
  index_t oy = rest % g.out_h, b = rest / g.out_h;
  return {b, oy * g.sh - g.pad_top, ox * g.sw - g.pad_left};
}

}  // namespace tinycnn::kernels::inline TINYCNN_ISA_NAMESPACE::detail

namespace tinycnn::kernels::inline TINYCNN_ISA_NAMESPACE::reference {

namespace detail {
// Calls f(pixel, tap offset into the weights' rows, input offset) for every tap of every
// output pixel whose window position lies inside the image (padding contributes nothing).
template <class F>
void for_each_tap(const ConvShape& s, F&& f) {
  const Window& g = s.win;
  for (index_t p = 0; p < s.pixels(); ++p) {
    const kernels::detail::PixelOrigin o = kernels::detail::pixel_origin(s, p);
    for (index_t ky = 0; ky < g.kh; ++ky)
      for (index_t kx = 0; kx < g.kw; ++kx) {
        const index_t iy = o.y + ky, ix = o.x + kx;
        if (iy < 0 || iy >= g.in_h || ix < 0 || ix >= g.in_w) continue;
        f(p, (ky * g.kw + kx) * s.in_c, ((o.image * g.in_h + iy) * g.in_w + ix) * s.in_c);
      }
  }
}
}  // namespace detail

// y = conv(x, w) + beta * y.
template <class T>
TINYCNN_KERNEL void conv_forward(const ConvShape& s, const T* x, const T* w, T* y, T beta, double* acc) {
  std::fill(acc, acc + s.pixels() * s.out_c, 0.0);
  detail::for_each_tap(s, [&](index_t p, index_t k, index_t in) {
    for (index_t ci = 0; ci < s.in_c; ++ci)
      for (index_t co = 0; co < s.out_c; ++co)
        acc[p * s.out_c + co] += double(x[in + ci]) * double(w[(k + ci) * s.out_c + co]);
  });
  for (index_t i = 0; i < s.pixels() * s.out_c; ++i)
    y[i] = T(acc[i] + (beta == T(0) ? 0.0 : double(beta) * double(y[i])));
}

// dx = d(loss)/dx for dy = d(loss)/dy; overwrites dx.
template <class T>
TINYCNN_KERNEL void conv_backward_data(const ConvShape& s, const T* dy, const T* w, T* dx, double* acc) {
  const index_t n = s.batch * s.win.in_h * s.win.in_w * s.in_c;
  std::fill(acc, acc + n, 0.0);
  detail::for_each_tap(s, [&](index_t p, index_t k, index_t in) {
    for (index_t ci = 0; ci < s.in_c; ++ci)
      for (index_t co = 0; co < s.out_c; ++co)
        acc[in + ci] += double(dy[p * s.out_c + co]) * double(w[(k + ci) * s.out_c + co]);
  });
  for (index_t i = 0; i < n; ++i) dx[i] = T(acc[i]);
}

// dw = d(loss)/dw + beta * dw.
template <class T>
TINYCNN_KERNEL void conv_backward_weights(const ConvShape& s, const T* x, const T* dy, T* dw, T beta, double* acc) {
  std::fill(acc, acc + s.patch() * s.out_c, 0.0);
  detail::for_each_tap(s, [&](index_t p, index_t k, index_t in) {
    for (index_t ci = 0; ci < s.in_c; ++ci)
      for (index_t co = 0; co < s.out_c; ++co)
        acc[(k + ci) * s.out_c + co] += double(x[in + ci]) * double(dy[p * s.out_c + co]);
  });
  for (index_t i = 0; i < s.patch() * s.out_c; ++i)
    dw[i] = T(acc[i] + (beta == T(0) ? 0.0 : double(beta) * double(dw[i])));
}

}  // namespace tinycnn::kernels::inline TINYCNN_ISA_NAMESPACE::reference
