// The oracles' own window geometry, written from TensorFlow's documentation of its padding
// (tf.nn.convolution, "SAME" and "VALID") and not from kernels/window.hpp: a window's rule and
// sizes go in, the output size and the padding before come out. The references read only the
// inputs of a library Window (sizes, kernel, stride, rule), so a library that padded on the
// wrong side, or sized the output wrongly, disagrees with them.
#pragma once
#include <doctest/doctest.h>

#include <algorithm>

#include "tinycnn/kernels/window.hpp"

namespace tinycnn::reference {

struct AxisGeometry {
  index_t out = 0, pad_before = 0, pad_after = 0;
};

// One spatial axis. VALID: out = ceil((in - k + 1) / s), no padding. SAME: out = ceil(in / s),
// pad_along = max(k - (in % s == 0 ? s : in % s), 0), pad_before = floor(pad_along / 2), the rest
// after. Explicit: p on each side, out = floor((in + 2p - k) / s) + 1.
inline AxisGeometry axis_geometry(index_t in, index_t k, index_t s, Padding rule, index_t p) {
  AxisGeometry a;
  switch (rule) {
    case Padding::Valid:
      a.out = in - k + 1 > 0 ? (in - k + 1 + s - 1) / s : 0;
      break;
    case Padding::Same: {
      a.out = (in + s - 1) / s;
      const index_t along = std::max<index_t>(k - (in % s == 0 ? s : in % s), 0);
      a.pad_before = along / 2;
      a.pad_after = along - a.pad_before;
      break;
    }
    case Padding::Explicit:
      a.out = in + 2 * p >= k ? (in + 2 * p - k) / s + 1 : 0;
      a.pad_before = a.pad_after = p;
      break;
  }
  return a;
}

struct Geometry {
  index_t in_h = 0, in_w = 0, kh = 1, kw = 1, sh = 1, sw = 1;
  index_t out_h = 0, out_w = 0, pad_top = 0, pad_left = 0;
};

// Recomputes everything derived from the window's rule; keeps only what it was made from. The
// caller's buffers are sized by the library's output size, so a different one stops the test
// here rather than reading past them.
inline Geometry geometry(const Window& w) {
  const AxisGeometry v = axis_geometry(w.in_h, w.kh, w.sh, w.padding, w.pad_h);
  const AxisGeometry h = axis_geometry(w.in_w, w.kw, w.sw, w.padding, w.pad_w);
  REQUIRE_MESSAGE((v.out == w.out_h && h.out == w.out_w),
                  "the library's window gives " << w.out_h << "x" << w.out_w << " outputs, TensorFlow's rule "
                                                << v.out << "x" << h.out);
  return {w.in_h, w.in_w, w.kh, w.kw, w.sh, w.sw, v.out, h.out, v.pad_before, h.pad_before};
}

}  // namespace tinycnn::reference
