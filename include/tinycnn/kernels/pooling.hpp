// Max and average pooling of NHWC activations over a Window ([n, in_h, in_w, c] ->
// [n, out_h, out_w, c]), and global average pooling ([n, h, w, c] -> [n, c]).
//
// TensorFlow's semantics: a window is clipped to the image, so padded positions never win a
// max and an average divides by the number of real elements under the window. Windows that
// hold no real element at all (only possible with explicit padding of a kernel size or more)
// are refused.
//
// The loops run over output positions with SIMD across channels, the contiguous axis; images
// are independent, so threads split the batch (and, in the forwards, output rows too).
//
// Max-pool backward recomputes the arg-max from x instead of reading indices saved by the
// forward: the layer keeps x anyway (it is the previous layer's output), an index workspace
// would be one int32 per output element of every pooling layer, and the recomputation is a
// vectorised scan of a few elements per output. It needs only x, not y, so an in-place op on
// the pooled output cannot disturb it. Ties go to the first maximum in row-major window order.
// Backwards overwrite dx.
#pragma once
#include "tinycnn/core/attributes.hpp"
#include <algorithm>
#include <cstring>

#include "tinycnn/core/error.hpp"
#include "tinycnn/kernels/elementwise.hpp"
#include "tinycnn/kernels/window.hpp"
#include "tinycnn/simd/isa_namespace.hpp"

namespace tinycnn::kernels::inline TINYCNN_ISA_NAMESPACE {

namespace detail {

// The window of output (oy, ox) clipped to the image: rows [y0, y1), columns [x0, x1).
struct PoolSpan {
  index_t y0, y1, x0, x1;
  index_t count() const { return (y1 - y0) * (x1 - x0); }
};

inline PoolSpan pool_span(const Window& w, index_t oy, index_t ox) {
  const index_t ys = oy * w.sh - w.pad_top, xs = ox * w.sw - w.pad_left;
  return {std::max<index_t>(ys, 0), std::min(ys + w.kh, w.in_h), std::max<index_t>(xs, 0),
          std::min(xs + w.kw, w.in_w)};
}

// Window starts grow with the output index, so only the first and last windows along each
// axis can fall entirely into the padding.
inline void check_pool_window(const Window& w) {
  require(w.kh > 0 && w.kw > 0 && w.sh > 0 && w.sw > 0, "pooling window and stride must be positive");
  if (w.out_h <= 0 || w.out_w <= 0) return;
  const PoolSpan first = pool_span(w, 0, 0), last = pool_span(w, w.out_h - 1, w.out_w - 1);
  require(first.y1 > first.y0 && first.x1 > first.x0 && last.y1 > last.y0 && last.x1 > last.x0,
          "pooling window lies entirely in the padding: padding must be smaller than the window");
}

// The max-pool scan of one window for channels [ch, ch + W): returns the maximum and, in
// `which`, the window-order position of its first occurrence (positions as T: they are small
// integers, exact in float, and so share the lane layout of the values).
template <class T>
inline simd::batch<T> window_max(const T* img, index_t in_w, index_t c, const PoolSpan& s, index_t ch,
                                 simd::batch<T>& which) {
  simd::batch<T> best = simd::load(img + (s.y0 * in_w + s.x0) * c + ch);
  which = simd::splat(T(0));
  T pos = T(0);
  for (index_t iy = s.y0; iy < s.y1; ++iy)
    for (index_t ix = s.x0; ix < s.x1; ++ix, pos += T(1)) {
      const simd::batch<T> v = simd::load(img + (iy * in_w + ix) * c + ch);
      const auto better = v > best;  // strict: the first maximum stays
      best = simd::select(better, v, best);
      which = simd::select(better, simd::splat(pos), which);
    }
  return best;
}

// The same for one channel; `which` is the input offset (iy * in_w + ix) of the winner.
template <class T>
inline T window_max_one(const T* img, index_t in_w, index_t c, const PoolSpan& s, index_t ch, index_t& which) {
  which = s.y0 * in_w + s.x0;
  T best = img[which * c + ch];
  for (index_t iy = s.y0; iy < s.y1; ++iy)
    for (index_t ix = s.x0; ix < s.x1; ++ix) {
      const T v = img[(iy * in_w + ix) * c + ch];
      if (v > best) {
        best = v;
        which = iy * in_w + ix;
      }
    }
  return best;
}

// Threads over (image, output row) pairs: enough parallelism for a batch of one.
template <class Body>
void for_each_output_row(const parallel::Execution& ex, index_t n, const Window& w, index_t c, const Body& body) {
  const index_t jobs = n * w.out_h;
  const int nt = static_cast<int>(
      std::min<index_t>(threads_for(ex.intra, jobs * w.out_w * c * w.kh * w.kw), std::max<index_t>(jobs, 1)));
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (index_t j = 0; j < jobs; ++j) body(j / w.out_h, j % w.out_h);
}

// Threads over images only: in a backward, windows of neighbouring output rows overlap in dx.
template <class Body>
void for_each_image(const parallel::Execution& ex, index_t n, index_t work_per_image, const Body& body) {
  const int nt = static_cast<int>(std::min<index_t>(threads_for(ex.intra, n * work_per_image), std::max<index_t>(n, 1)));
#pragma omp parallel for num_threads(nt) schedule(static) if (nt > 1)
  for (index_t b = 0; b < n; ++b) body(b);
}

}  // namespace detail

template <class T>
TINYCNN_KERNEL void max_pool_forward(const T* x, T* y, index_t n, index_t c, const Window& w, const parallel::Execution& ex) {
  detail::check_pool_window(w);
  constexpr index_t W = simd::width<T>;
  detail::for_each_output_row(ex, n, w, c, [=](index_t b, index_t oy) {
    const T* img = x + b * w.in_h * w.in_w * c;
    for (index_t ox = 0; ox < w.out_w; ++ox) {
      const detail::PoolSpan s = detail::pool_span(w, oy, ox);
      T* out = y + ((b * w.out_h + oy) * w.out_w + ox) * c;
      index_t ch = 0;
      for (; ch + W <= c; ch += W) {
        simd::batch<T> which;
        simd::store(out + ch, detail::window_max(img, w.in_w, c, s, ch, which));
      }
      for (index_t which; ch < c; ++ch) out[ch] = detail::window_max_one(img, w.in_w, c, s, ch, which);
    }
  });
}

// dx[arg-max of each window] += dy; every other element of dx is 0.
template <class T>
TINYCNN_KERNEL void max_pool_backward(const T* x, const T* dy, T* dx, index_t n, index_t c, const Window& w, const parallel::Execution& ex) {
  detail::check_pool_window(w);
  constexpr index_t W = simd::width<T>;
  const index_t image = w.in_h * w.in_w * c;
  detail::for_each_image(ex, n, image + w.out_h * w.out_w * c * w.kh * w.kw, [=](index_t b) {
    const T* img = x + b * image;
    T* grad = dx + b * image;
    std::fill(grad, grad + image, T(0));
    for (index_t oy = 0; oy < w.out_h; ++oy)
      for (index_t ox = 0; ox < w.out_w; ++ox) {
        const detail::PoolSpan s = detail::pool_span(w, oy, ox);
        const T* d = dy + ((b * w.out_h + oy) * w.out_w + ox) * c;
        index_t ch = 0;
        for (; ch + W <= c; ch += W) {
          simd::batch<T> which;
          detail::window_max(img, w.in_w, c, s, ch, which);
          const simd::batch<T> g = simd::load(d + ch), zero = simd::splat(T(0));
          // A second walk in the same order hands g to the lanes whose winner is here.
          T pos = T(0);
          for (index_t iy = s.y0; iy < s.y1; ++iy)
            for (index_t ix = s.x0; ix < s.x1; ++ix, pos += T(1)) {
              T* p = grad + (iy * w.in_w + ix) * c + ch;
              simd::store(p, simd::load(p) + simd::select(which == simd::splat(pos), g, zero));
            }
        }
        for (index_t which; ch < c; ++ch) {
          detail::window_max_one(img, w.in_w, c, s, ch, which);
          grad[which * c + ch] += d[ch];
        }
      }
  });
}

template <class T>
TINYCNN_KERNEL void avg_pool_forward(const T* x, T* y, index_t n, index_t c, const Window& w, const parallel::Execution& ex) {
  detail::check_pool_window(w);
  constexpr index_t W = simd::width<T>;
  detail::for_each_output_row(ex, n, w, c, [=](index_t b, index_t oy) {
    const T* img = x + b * w.in_h * w.in_w * c;
    for (index_t ox = 0; ox < w.out_w; ++ox) {
      const detail::PoolSpan s = detail::pool_span(w, oy, ox);
      const T inv = T(1) / static_cast<T>(s.count());
      T* out = y + ((b * w.out_h + oy) * w.out_w + ox) * c;
      index_t ch = 0;
      for (; ch + W <= c; ch += W) {
        simd::batch<T> acc = simd::splat(T(0));
        for (index_t iy = s.y0; iy < s.y1; ++iy)
          for (index_t ix = s.x0; ix < s.x1; ++ix) acc = acc + simd::load(img + (iy * w.in_w + ix) * c + ch);
        simd::store(out + ch, acc * simd::splat(inv));
      }
      for (; ch < c; ++ch) {
        T acc = T(0);
        for (index_t iy = s.y0; iy < s.y1; ++iy)
          for (index_t ix = s.x0; ix < s.x1; ++ix) acc += img[(iy * w.in_w + ix) * c + ch];
        out[ch] = acc * inv;
      }
    }
  });
}

// dx[i] = sum over the windows holding i of dy / (that window's count of real elements).
template <class T>
TINYCNN_KERNEL void avg_pool_backward(const T* dy, T* dx, index_t n, index_t c, const Window& w, const parallel::Execution& ex) {
  detail::check_pool_window(w);
  constexpr index_t W = simd::width<T>;
  const index_t image = w.in_h * w.in_w * c;
  detail::for_each_image(ex, n, image + w.out_h * w.out_w * c * w.kh * w.kw, [=](index_t b) {
    T* grad = dx + b * image;
    std::fill(grad, grad + image, T(0));
    for (index_t oy = 0; oy < w.out_h; ++oy)
      for (index_t ox = 0; ox < w.out_w; ++ox) {
        const detail::PoolSpan s = detail::pool_span(w, oy, ox);
        const T inv = T(1) / static_cast<T>(s.count());
        const T* d = dy + ((b * w.out_h + oy) * w.out_w + ox) * c;
        index_t ch = 0;
        for (; ch + W <= c; ch += W) {
          const simd::batch<T> g = simd::load(d + ch) * simd::splat(inv);
          for (index_t iy = s.y0; iy < s.y1; ++iy)
            for (index_t ix = s.x0; ix < s.x1; ++ix) {
              T* p = grad + (iy * w.in_w + ix) * c + ch;
              simd::store(p, simd::load(p) + g);
            }
        }
        for (; ch < c; ++ch) {
          const T g = d[ch] * inv;
          for (index_t iy = s.y0; iy < s.y1; ++iy)
            for (index_t ix = s.x0; ix < s.x1; ++ix) grad[(iy * w.in_w + ix) * c + ch] += g;
        }
      }
  });
}

// y[b, ch] = mean over the h * w positions of x[b, :, :, ch].
template <class T>
TINYCNN_KERNEL void global_avg_pool_forward(const T* x, T* y, index_t n, index_t h, index_t w, index_t c, const parallel::Execution& ex) {
  const index_t hw = h * w;
  require(hw > 0, "global average pooling over an empty image");
  const T inv = T(1) / static_cast<T>(hw);
  detail::for_each_image(ex, n, hw * c, [=](index_t b) {
    const T* img = x + b * hw * c;
    T* out = y + b * c;
    std::fill(out, out + c, T(0));
    for (index_t p = 0; p < hw; ++p) {
      const T* px = img + p * c;
      detail::simd_range<T>(
          0, c, [=](index_t ch) { simd::store(out + ch, simd::load(out + ch) + simd::load(px + ch)); },
          [=](index_t ch) { out[ch] += px[ch]; });
    }
    detail::simd_range<T>(
        0, c, [=](index_t ch) { simd::store(out + ch, simd::load(out + ch) * simd::splat(inv)); },
        [=](index_t ch) { out[ch] *= inv; });
  });
}

// dx[b, p, ch] = dy[b, ch] / (h * w).
template <class T>
TINYCNN_KERNEL void global_avg_pool_backward(const T* dy, T* dx, index_t n, index_t h, index_t w, index_t c, const parallel::Execution& ex) {
  const index_t hw = h * w;
  require(hw > 0, "global average pooling over an empty image");
  const T inv = T(1) / static_cast<T>(hw);
  detail::for_each_image(ex, n, hw * c, [=](index_t b) {
    const T* d = dy + b * c;
    T* grad = dx + b * hw * c;
    for (index_t p = 0; p < hw; ++p) {
      T* px = grad + p * c;
      detail::simd_range<T>(
          0, c, [=](index_t ch) { simd::store(px + ch, simd::load(d + ch) * simd::splat(inv)); },
          [=](index_t ch) { px[ch] = d[ch] * inv; });
    }
  });
}

}  // namespace tinycnn::kernels::inline TINYCNN_ISA_NAMESPACE
