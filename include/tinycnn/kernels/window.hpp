// The geometry of a sliding window (convolution or pooling) along both spatial axes, with
// TensorFlow's padding rules: VALID has no padding, out = floor((in - k) / s) + 1; SAME gives
// out = ceil(in / s) and pads (out - 1) * s + k - in in total, the smaller half before.
#pragma once
#include <algorithm>
#include <string>

#include "tinycnn/core/error.hpp"
#include "tinycnn/core/shape.hpp"

namespace tinycnn {

enum class Padding { Valid, Same, Explicit };

struct Window {
  index_t kh = 1, kw = 1;        // window size
  index_t sh = 1, sw = 1;        // stride
  index_t pad_top = 0, pad_left = 0;
  index_t in_h = 0, in_w = 0;
  index_t out_h = 0, out_w = 0;
  // The rule the window was made with, and Explicit's padding on each side: what a report or an
  // independent oracle needs to recompute the geometry above. Windows derived inside a kernel
  // (a transposed convolution's) are Explicit.
  Padding padding = Padding::Explicit;
  index_t pad_h = 0, pad_w = 0;
};

constexpr index_t window_out_size(index_t in, index_t k, index_t s, Padding p, index_t pad_each = 0) {
  switch (p) {
    case Padding::Valid: return in >= k ? (in - k) / s + 1 : 0;
    case Padding::Same: return (in + s - 1) / s;
    case Padding::Explicit: return in + 2 * pad_each >= k ? (in + 2 * pad_each - k) / s + 1 : 0;
  }
  return 0;
}

constexpr index_t window_pad_before(index_t in, index_t k, index_t s, Padding p, index_t pad_each = 0) {
  switch (p) {
    case Padding::Valid: return 0;
    case Padding::Same: {
      index_t out = (in + s - 1) / s;
      index_t total = std::max<index_t>((out - 1) * s + k - in, 0);
      return total / 2;
    }
    case Padding::Explicit: return pad_each;
  }
  return 0;
}

// pad_h / pad_w are used only for Padding::Explicit (symmetric padding on each side).
constexpr Window make_window(index_t in_h, index_t in_w, index_t kh, index_t kw, index_t sh, index_t sw,
                             Padding p, index_t pad_h = 0, index_t pad_w = 0) {
  Window g;
  g.kh = kh; g.kw = kw; g.sh = sh; g.sw = sw;
  g.in_h = in_h; g.in_w = in_w;
  g.out_h = window_out_size(in_h, kh, sh, p, pad_h);
  g.out_w = window_out_size(in_w, kw, sw, p, pad_w);
  g.pad_top = window_pad_before(in_h, kh, sh, p, pad_h);
  g.pad_left = window_pad_before(in_w, kw, sw, p, pad_w);
  g.padding = p;
  g.pad_h = pad_h;
  g.pad_w = pad_w;
  return g;
}

}  // namespace tinycnn
