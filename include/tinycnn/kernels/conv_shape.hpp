// The problem every convolution implementation solves (one type for every instruction set): a batch of NHWC images, a Window
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

}  // namespace tinycnn::kernels
