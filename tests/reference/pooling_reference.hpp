// Naive double-precision pooling: the oracle for kernels/pooling.hpp. Every window position is
// visited in row-major order and positions outside the image are skipped, straight from
// TensorFlow's definition.
#pragma once
#include <vector>

#include "reference/window_reference.hpp"

namespace tinycnn::reference {

namespace pooling_detail {
inline std::size_t at(index_t b, index_t y, index_t x, index_t ch, index_t h, index_t w, index_t c) {
  return static_cast<std::size_t>(((b * h + y) * w + x) * c + ch);
}
inline bool inside(const Geometry& g, index_t y, index_t x) { return y >= 0 && y < g.in_h && x >= 0 && x < g.in_w; }
}  // namespace pooling_detail

// x [n, in_h, in_w, c] -> [n, out_h, out_w, c], maximum over the real elements of each window.
template <class X>
std::vector<double> max_pool(const X* x, index_t n, index_t c, const Window& window) {
  const Geometry g = geometry(window);
    using namespace pooling_detail;
  std::vector<double> y(static_cast<std::size_t>(n * g.out_h * g.out_w * c));
  for (index_t b = 0; b < n; ++b)
    for (index_t oy = 0; oy < g.out_h; ++oy)
      for (index_t ox = 0; ox < g.out_w; ++ox)
        for (index_t ch = 0; ch < c; ++ch) {
          bool any = false;
          double best = 0;
          for (index_t ky = 0; ky < g.kh; ++ky)
            for (index_t kx = 0; kx < g.kw; ++kx) {
              index_t iy = oy * g.sh - g.pad_top + ky, ix = ox * g.sw - g.pad_left + kx;
              if (!inside(g, iy, ix)) continue;
              double v = double(x[at(b, iy, ix, ch, g.in_h, g.in_w, c)]);
              if (!any || v > best) best = v;
              any = true;
            }
          y[at(b, oy, ox, ch, g.out_h, g.out_w, c)] = best;
        }
  return y;
}

// Each dy goes to the first maximum of its window (row-major window order).
template <class X, class D>
std::vector<double> max_pool_backward(const X* x, const D* dy, index_t n, index_t c, const Window& window) {
  const Geometry g = geometry(window);
    using namespace pooling_detail;
  std::vector<double> dx(static_cast<std::size_t>(n * g.in_h * g.in_w * c), 0.0);
  for (index_t b = 0; b < n; ++b)
    for (index_t oy = 0; oy < g.out_h; ++oy)
      for (index_t ox = 0; ox < g.out_w; ++ox)
        for (index_t ch = 0; ch < c; ++ch) {
          std::size_t arg = 0;
          bool any = false;
          double best = 0;
          for (index_t ky = 0; ky < g.kh; ++ky)
            for (index_t kx = 0; kx < g.kw; ++kx) {
              index_t iy = oy * g.sh - g.pad_top + ky, ix = ox * g.sw - g.pad_left + kx;
              if (!inside(g, iy, ix)) continue;
              std::size_t i = at(b, iy, ix, ch, g.in_h, g.in_w, c);
              if (!any || double(x[i]) > best) {
                best = double(x[i]);
                arg = i;
              }
              any = true;
            }
          dx[arg] += double(dy[at(b, oy, ox, ch, g.out_h, g.out_w, c)]);
        }
  return dx;
}

// Mean over the real elements of each window.
template <class X>
std::vector<double> avg_pool(const X* x, index_t n, index_t c, const Window& window) {
  const Geometry g = geometry(window);
    using namespace pooling_detail;
  std::vector<double> y(static_cast<std::size_t>(n * g.out_h * g.out_w * c));
  for (index_t b = 0; b < n; ++b)
    for (index_t oy = 0; oy < g.out_h; ++oy)
      for (index_t ox = 0; ox < g.out_w; ++ox)
        for (index_t ch = 0; ch < c; ++ch) {
          double sum = 0;
          int count = 0;
          for (index_t ky = 0; ky < g.kh; ++ky)
            for (index_t kx = 0; kx < g.kw; ++kx) {
              index_t iy = oy * g.sh - g.pad_top + ky, ix = ox * g.sw - g.pad_left + kx;
              if (!inside(g, iy, ix)) continue;
              sum += double(x[at(b, iy, ix, ch, g.in_h, g.in_w, c)]);
              ++count;
            }
          y[at(b, oy, ox, ch, g.out_h, g.out_w, c)] = sum / count;
        }
  return y;
}

template <class D>
std::vector<double> avg_pool_backward(const D* dy, index_t n, index_t c, const Window& window) {
  const Geometry g = geometry(window);
    using namespace pooling_detail;
  std::vector<double> dx(static_cast<std::size_t>(n * g.in_h * g.in_w * c), 0.0);
  for (index_t b = 0; b < n; ++b)
    for (index_t oy = 0; oy < g.out_h; ++oy)
      for (index_t ox = 0; ox < g.out_w; ++ox)
        for (index_t ch = 0; ch < c; ++ch) {
          int count = 0;
          for (index_t ky = 0; ky < g.kh; ++ky)
            for (index_t kx = 0; kx < g.kw; ++kx)
              count += inside(g, oy * g.sh - g.pad_top + ky, ox * g.sw - g.pad_left + kx);
          double d = double(dy[at(b, oy, ox, ch, g.out_h, g.out_w, c)]) / count;
          for (index_t ky = 0; ky < g.kh; ++ky)
            for (index_t kx = 0; kx < g.kw; ++kx) {
              index_t iy = oy * g.sh - g.pad_top + ky, ix = ox * g.sw - g.pad_left + kx;
              if (inside(g, iy, ix)) dx[at(b, iy, ix, ch, g.in_h, g.in_w, c)] += d;
            }
        }
  return dx;
}

// [n, h, w, c] -> [n, c]
template <class X>
std::vector<double> global_avg_pool(const X* x, index_t n, index_t h, index_t w, index_t c) {
  std::vector<double> y(static_cast<std::size_t>(n * c), 0.0);
  for (index_t b = 0; b < n; ++b)
    for (index_t ch = 0; ch < c; ++ch) {
      double sum = 0;
      for (index_t p = 0; p < h * w; ++p) sum += double(x[(b * h * w + p) * c + ch]);
      y[static_cast<std::size_t>(b * c + ch)] = sum / double(h * w);
    }
  return y;
}

template <class D>
std::vector<double> global_avg_pool_backward(const D* dy, index_t n, index_t h, index_t w, index_t c) {
  std::vector<double> dx(static_cast<std::size_t>(n * h * w * c));
  for (index_t b = 0; b < n; ++b)
    for (index_t p = 0; p < h * w; ++p)
      for (index_t ch = 0; ch < c; ++ch)
        dx[static_cast<std::size_t>((b * h * w + p) * c + ch)] = double(dy[b * c + ch]) / double(h * w);
  return dx;
}

}  // namespace tinycnn::reference
