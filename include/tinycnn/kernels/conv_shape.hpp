// The problem every convolution implementation solves: a batch of NHWC images, a Window
// (kernel, stride, TensorFlow padding) and channel counts, with HWIO weights.
#pragma once
#include "tinycnn/kernels/window.hpp"

namespace tinycnn::kernels {

struct ConvShape {
  index_t batch = 0, in_c = 0, out_c = 0;
  Window win;

  index_t pixels() const { return batch * win.out_h * win.out_w; }       // rows of col
  index_t patch() const { return win.kh * win.kw * in_c; }                // columns of col
  bool is_pointwise() const {                                             // a plain GEMM
    return win.kh == 1 && win.kw == 1 && win.sh == 1 && win.sw == 1 && win.pad_top == 0 &&
           win.pad_left == 0 && win.in_h == win.out_h && win.in_w == win.out_w;
  }
  double flops() const { return 2.0 * double(pixels()) * double(patch()) * double(out_c); }
};

namespace detail {

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

}  // namespace detail

}  // namespace tinycnn::kernels
