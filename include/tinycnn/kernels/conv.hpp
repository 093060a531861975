// 2-D convolution, NHWC activations and HWIO weights, as GEMMs with im2col folded into packing.
//
// With x [n, H, W, Ci], y [n, OH, OW, Co] and weights w [KH, KW, Ci, Co] (a (KH*KW*Ci) x Co
// row-major matrix), let col be the implicit im2col matrix, one row per output pixel and one
// column per (ky, kx, ci). Then
//   forward        y  = col * w                       (M = pixels,     N = Co, K = KH*KW*Ci)
//   backward-data  dx = col2im(dy * w^T)              (tiles of pixels, scattered back)
//   backward-wts   dw = col^T * dy                    (M = KH*KW*Ci,   N = Co, K = pixels)
// col is never stored: the forward reads window rows straight from x (ConvForwardDirect),
// and the other passes' packers read x while filling the GEMM's panels. A 1x1 stride-1
// unpadded convolution is a plain GEMM on x itself.
//
// Each pass is an ordered list of implementations (kernels/impl_list.hpp), the plain reference
// (kernels/conv_reference.hpp) last; the entry points at the end of this file run the first
// that accepts the shape, with the threads and workspace of the caller's Execution.
#pragma once
#include "tinycnn/core/attributes.hpp"
#include <algorithm>
#include <cstring>

#include "tinycnn/kernels/conv_reference.hpp"
#include "tinycnn/kernels/conv_shape.hpp"
#include "tinycnn/kernels/gemm.hpp"
#include "tinycnn/simd/isa_namespace.hpp"

namespace tinycnn::kernels::inline TINYCNN_ISA_NAMESPACE {

namespace detail {

// The window origins of pixels p, p + 1, ... in order: stepped along an output row, divided out
// only where a row (or an image) ends. at() is where tap (ky, kx) of the current window reads
// channel c, or null in the padding.
struct PixelWalk {
  const ConvShape* s;
  index_t p;
  PixelOrigin o;
  index_t ox;
  PixelWalk(const ConvShape& shape, index_t first)
      : s(&shape), p(first), o(pixel_origin(shape, first)), ox(first % shape.win.out_w) {}
  void next() {
    ++p;
    if (++ox < s->win.out_w) {
      o.x += s->win.sw;
    } else {
      o = pixel_origin(*s, p);
      ox = 0;
    }
  }
  template <class T>
  const T* at(const T* x, index_t ky, index_t kx, index_t c) const {
    const Window& g = s->win;
    const index_t iy = o.y + ky, ix = o.x + kx;
    if (iy < 0 || iy >= g.in_h || ix < 0 || ix >= g.in_w) return nullptr;
    return x + ((o.image * g.in_h + iy) * g.in_w + ix) * s->in_c + c;
  }
};

// Visits the columns [k0, k0 + count) of col's row for pixel origin o as runs of contiguous
// channels: f(offset_in_range, source_pointer_or_null_for_padding, run_length).
template <class Ptr, class F>
inline void for_each_patch_run(const ConvShape& s, Ptr x, const PixelOrigin& o, index_t k0,
                               index_t count, F&& f) {
  const Window& g = s.win;
  index_t k = k0, end = k0 + count;
  index_t tap = k / s.in_c, c = k % s.in_c;
  while (k < end) {
    index_t ky = tap / g.kw, kx = tap % g.kw;
    index_t run = std::min(s.in_c - c, end - k);
    index_t iy = o.y + ky, ix = o.x + kx;
    bool inside = iy >= 0 && iy < g.in_h && ix >= 0 && ix < g.in_w;
    f(k - k0, inside ? x + ((o.image * g.in_h + iy) * g.in_w + ix) * s.in_c + c : nullptr, run);
    k += run;
    ++tap;
    c = 0;
  }
}

}  // namespace detail

// Packs rows of col (pixels) as a GEMM's A panel: the direct forward's tiles that cannot be
// read in place (image edges under padding, tiles across row ends).
template <class T>
struct PackIm2col {
  const ConvShape* s;
  const T* x;
  void operator()(T* dst, index_t i0, int rows, index_t k0, index_t kc) const {
    constexpr int MR = GemmTile<T>::mr;
    for (int r = 0; r < MR; ++r) {
      if (r >= rows) {
        for (index_t k = 0; k < kc; ++k) dst[k * MR + r] = T(0);
        continue;
      }
      detail::for_each_patch_run(*s, x, detail::pixel_origin(*s, i0 + r), k0, kc,
                                 [&](index_t at, const T* src, index_t run) {
                                   T* d = dst + at * MR + r;
                                   if (src)
                                     for (index_t t = 0; t < run; ++t) d[t * MR] = src[t];
                                   else
                                     for (index_t t = 0; t < run; ++t) d[t * MR] = T(0);
                                 });
    }
  }
};

// Packs rows of col^T (patch positions) for the backward-weights GEMM: for each pixel the MR
// patch positions are a contiguous run of channels, so this reads x sequentially.
template <class T>
struct PackIm2colTransposed {
  const ConvShape* s;
  const T* x;
  void operator()(T* dst, index_t i0, int rows, index_t k0, index_t kc) const {
    constexpr int MR = GemmTile<T>::mr;
    const index_t c = i0 % s->in_c, tap = i0 / s->in_c;
    detail::PixelWalk walk(*s, k0);
    if (c + rows <= s->in_c) {
      // The usual case: the panel's patch positions are channels of one window tap, so each
      // pixel contributes one contiguous run.
      const index_t ky = tap / s->win.kw, kx = tap % s->win.kw;
      for (index_t k = 0; k < kc; ++k, walk.next()) {
        T* d = dst + k * MR;
        if (const T* src = walk.at(x, ky, kx, c))
          for (int r = 0; r < rows; ++r) d[r] = src[r];
        else
          for (int r = 0; r < rows; ++r) d[r] = T(0);
        for (int r = rows; r < MR; ++r) d[r] = T(0);
      }
      return;
    }
    for (index_t k = 0; k < kc; ++k, walk.next()) {
      T* d = dst + k * MR;
      detail::for_each_patch_run(*s, x, walk.o, i0, rows, [&](index_t at, const T* src, index_t run) {
        if (src)
          for (index_t t = 0; t < run; ++t) d[at + t] = src[t];
        else
          for (index_t t = 0; t < run; ++t) d[at + t] = T(0);
      });
      for (int r = rows; r < MR; ++r) d[r] = T(0);
    }
  }
};


// Packs rows of col (pixels) as the B operand of a GEMM: for each pixel, NR consecutive patch
// positions, which are runs of contiguous channels in x.
template <class T>
struct PackIm2colRows {
  const ConvShape* s;
  const T* x;
  void operator()(T* dst, index_t k0, index_t kc, index_t j0, int cols) const {
    constexpr int NR = GemmTile<T>::nr;
    constexpr int W = simd::width<T>;
    const index_t c0 = j0 % s->in_c, tap = j0 / s->in_c;
    detail::PixelWalk walk(*s, k0);
    if (cols == NR && c0 + NR <= s->in_c) {
      // The usual case: the panel is NR channels of one window tap, one vector pair per pixel.
      const index_t ky = tap / s->win.kw, kx = tap % s->win.kw;
      for (index_t k = 0; k < kc; ++k, walk.next()) {
        T* d = dst + k * NR;
        if (const T* src = walk.at(x, ky, kx, c0)) {
          simd::store(d, simd::load(src));
          simd::store(d + W, simd::load(src + W));
        } else {
          std::memset(d, 0, sizeof(T) * NR);
        }
      }
      return;
    }
    for (index_t k = 0; k < kc; ++k, walk.next()) {
      T* d = dst + k * NR;
      detail::for_each_patch_run(*s, x, walk.o, j0, cols, [&](index_t at, const T* src, index_t run) {
        if (src)
          std::memcpy(d + at, src, sizeof(T) * run);
        else
          std::memset(d + at, 0, sizeof(T) * run);
      });
      for (int j = cols; j < NR; ++j) d[j] = T(0);
    }
  }
};

namespace detail {

// Where a direct convolution writes output pixel p (Co values): at(p), with the next pixel of
// the same output row step() further on.
template <class T>
struct DenseOutput {  // y [pixels, Co]
  T* y;
  index_t co;
  static constexpr bool evenly_spaced = true;  // across output rows too
  T* at(index_t p) const { return y + p * co; }
  index_t step() const { return co; }
};
template <class T>
struct StridedOutput {  // pixel (b, oy, ox) onto (b, oy * sh, ox * sw) of s's unpadded input image
  T* dx;
  const ConvShape* s;
  static constexpr bool evenly_spaced = false;
  T* at(index_t p) const {
    const PixelOrigin o = pixel_origin(*s, p);
    return dx + ((o.image * s->win.in_h + o.y) * s->win.in_w + o.x) * s->in_c;
  }
  index_t step() const { return s->win.sw * s->in_c; }
};

// The direct convolution's workspace: the packed weights, shared by the team, and each
// thread's packed tile (for the tiles that cannot be read in place).
template <class T>
struct DirectBuffers {
  T* weights;
  parallel::Workspace::Parts tiles;
  static DirectBuffers carve(const ConvShape& s, int threads, parallel::Workspace& ws) {
    constexpr int MR = GemmTile<T>::mr;
    constexpr int NR = GemmTile<T>::nr;
    const index_t panels = (s.out_c + NR - 1) / NR;
    T* weights = ws.take<T>(panels * s.patch() * NR);
    return {weights, ws.take_parts(threads, sizeof(T) * std::size_t(align_count<T>(s.patch() * MR)))};
  }
};

// A convolution without packing the image: the micro-kernel reads each tile's window rows straight
// from x. In NHWC one window row of one pixel (KW taps x Ci channels) is a contiguous run, and
// the next pixel's starts sw * Ci further on, so MR pixels of one output row form the tile
// A(k, r) = x[row_start + r * sw * Ci + k], one run per window row. Packing im2col panels cost
// as much as the FMAs when few output channels reuse each panel (InceptionV3's stem: 32, 64
// and 192 channels at 147x147 and 71x71); here the only packing is the weights, once.
// Tiles that are not MR pixels of one row with their windows inside the image horizontally
// (the image edges under padding, row ends) are packed by PackIm2col; window rows above or
// below the image are skipped.
template <class T, class Out>
void conv_direct(const ConvShape& s, const T* x, const T* w, const Out& out, T beta, const parallel::Execution& ex) {
  constexpr int MR = GemmTile<T>::mr;
  constexpr int NR = GemmTile<T>::nr;
  const Window& g = s.win;
  const index_t K = s.patch(), row_run = g.kw * s.in_c, pixel_step = g.sw * s.in_c;
  const index_t panels = (s.out_c + NR - 1) / NR, pixels = s.pixels();
  const index_t tiles = (pixels + MR - 1) / MR;
  parallel::Workspace ws = ex.workspace;
  const DirectBuffers<T> buffers = DirectBuffers<T>::carve(s, ex.intra, ws);
  T* wpack = buffers.weights;
  const PackStridedB<T> pack_w{w, s.out_c, false};
  const PackIm2col<T> pack_x{&s, x};
#pragma omp parallel num_threads(ex.intra)
  {
    ex.joined_team();
#pragma omp for schedule(static)
    for (index_t j = 0; j < panels; ++j)
      pack_w(wpack + j * K * NR, 0, K, j * NR, int(std::min<index_t>(NR, s.out_c - j * NR)));
    T* packed_tile = buffers.tiles.template at<T>(omp_get_thread_num());
#pragma omp for schedule(static)
    for (index_t t = 0; t < tiles; ++t) {
      const index_t p0 = t * MR;
      const int rows = int(std::min<index_t>(MR, pixels - p0));
      const PixelOrigin o = pixel_origin(s, p0);
      const bool one_row = p0 % g.out_w + rows <= g.out_w;
      const bool direct = rows == MR && one_row && o.x >= 0 && o.x + (MR - 1) * g.sw + g.kw <= g.in_w;
      if (!direct) pack_x(packed_tile, p0, rows, 0, K);
      for (index_t j = 0; j < panels; ++j) {
        const T* wp = wpack + j * K * NR;
        Accumulators<T> acc;
        if (direct) {
          for (index_t ky = 0; ky < g.kh; ++ky) {
            const index_t iy = o.y + ky;
            if (iy < 0 || iy >= g.in_h) continue;  // zero padding contributes nothing
            const T* a = x + ((o.image * g.in_h + iy) * g.in_w + o.x) * s.in_c;
            accumulate<T, ARead::Direct>(acc, row_run, a, pixel_step, wp + ky * row_run * NR);
          }
        } else {
          accumulate<T, ARead::Packed>(acc, K, packed_tile, 1, wp);
        }
        const int cols = int(std::min<index_t>(NR, s.out_c - j * NR));
        if (Out::evenly_spaced || one_row) {
          store_tile(acc, out.at(p0) + j * NR, out.step(), beta, rows, cols);
        } else {  // a tile across output rows whose outputs are not evenly spaced: row by row
          alignas(64) T tile[MR * NR];
          store_tile(acc, tile, NR, T(0), rows, cols);
          for (int r = 0; r < rows; ++r) {
            T* dst = out.at(p0 + r) + j * NR;
            for (int c = 0; c < cols; ++c) dst[c] = tile[r * NR + c] + (beta == T(0) ? T(0) : beta * dst[c]);
          }
        }
      }
    }
  }
}

template <class T>
std::size_t direct_workspace(const ConvShape& s, int threads) {
  return parallel::workspace_bytes([&](parallel::Workspace& ws) { DirectBuffers<T>::carve(s, threads, ws); });
}

// Bytes of one double per element of n: the reference implementations' accumulators.
inline std::size_t reference_workspace(index_t n) {
  return parallel::workspace_bytes([&](parallel::Workspace& ws) { ws.take<double>(n); });
}

// rotated[ky, kx, co, ci] = w[kh-1-ky, kw-1-kx, ci, co]: the weights of backward-data as a
// convolution of dy (for 1x1, the transpose). One Ci x Co transpose per tap, in blocks that
// stay in L1.
template <class T>
const T* rotate_weights(const ConvShape& s, const T* w, T* rotated, int threads) {
  const index_t taps = s.win.kh * s.win.kw, ci_n = s.in_c, co_n = s.out_c;
  constexpr index_t B = 16;
#pragma omp parallel for collapse(2) num_threads(threads) if (taps * ci_n * co_n > (1 << 16))
  for (index_t tap = 0; tap < taps; ++tap)
    for (index_t c0 = 0; c0 < co_n; c0 += B) {
      const T* src = w + (taps - 1 - tap) * ci_n * co_n;
      T* dst = rotated + tap * co_n * ci_n;
      for (index_t i0 = 0; i0 < ci_n; i0 += B)
        for (index_t co = c0; co < std::min(c0 + B, co_n); ++co)
          for (index_t ci = i0; ci < std::min(i0 + B, ci_n); ++ci) dst[co * ci_n + ci] = src[ci * co_n + co];
    }
  return rotated;
}

// The 1x1 convolution over dy's pixels (Co -> Ci channels) that strided 1x1 backward-data runs on.
inline ConvShape pointwise_over_output(const ConvShape& s) {
  return {s.batch, s.out_c, s.in_c, make_window(s.win.out_h, s.win.out_w, 1, 1, 1, 1, Padding::Valid)};
}

// With stride 1, backward-data is itself a convolution: of dy with the weights rotated by 180
// degrees and with input and output channels swapped, padded by k - 1 - pad.
inline ConvShape transposed_stride1(const ConvShape& s) {
  const Window& g = s.win;
  ConvShape t;
  t.batch = s.batch;
  t.in_c = s.out_c;
  t.out_c = s.in_c;
  t.win.kh = g.kh;
  t.win.kw = g.kw;
  t.win.in_h = g.out_h;
  t.win.in_w = g.out_w;
  t.win.out_h = g.in_h;
  t.win.out_w = g.in_w;
  t.win.pad_top = g.kh - 1 - g.pad_top;
  t.win.pad_left = g.kw - 1 - g.pad_left;
  return t;
}

// Rows of column gradients a strided backward-data tile holds. Each tile's GEMM packs all of
// w^T again, so tiles must be large: up to a whole image, within 4 MiB of column gradients (a
// 256 KiB tile repacked 1 M weights for every 25 pixels of InceptionV3's 3x3/2 288->384).
template <class T>
index_t col2im_tile_rows(const ConvShape& s) {
  return std::clamp<index_t>((index_t(1) << 22) / index_t(sizeof(T)) / s.patch(), GemmTile<T>::mr,
                             std::max<index_t>(s.win.out_h * s.win.out_w, GemmTile<T>::mr));
}

// Whole images per thread when there are enough of them: their scatters never overlap, and
// each tile's GEMM runs single-threaded.
inline bool col2im_images_per_thread(const ConvShape& s, int threads) { return s.batch >= threads && threads > 1; }

// Adds a tile of col-gradients (rows = pixels p0.., patch columns) back onto dx.
template <class T>
void col2im_add(const ConvShape& s, const T* dcol, index_t p0, index_t rows, T* dx) {
  const index_t patch = s.patch();
  for (index_t r = 0; r < rows; ++r) {
    const T* src_row = dcol + r * patch;
    for_each_patch_run(s, dx, pixel_origin(s, p0 + r), 0, patch,
                       [&](index_t at, T* d, index_t run) {
                         if (!d) return;  // gradient of padding is dropped
                         const T* from = src_row + at;
                         for (index_t t = 0; t < run; ++t) d[t] += from[t];
                       });
  }
}

// One tile's column gradients and its GEMM's panels, per thread or for the whole team.
template <class T>
std::size_t col2im_part(const ConvShape& s, int gemm_threads) {
  const index_t rows = col2im_tile_rows<T>(s);
  return sizeof(T) * std::size_t(align_count<T>(rows * s.patch())) +
         gemm_workspace<T>({rows, s.patch(), s.out_c}, gemm_threads);
}

}  // namespace detail

// ---- The implementation lists ------------------------------------------------------------
//
// Forward: y = conv(x, w) + beta * y. Backward-data: dx = d(loss)/dx, overwritten.
// Backward-weights: dw = d(loss)/dw + beta * dw. Each entry: name, accepts(shape), the bytes
// of workspace it takes at a thread count, run.

// 1x1 stride-1 unpadded convolutions to many channels: x is a plain matrix whose packed panels
// serve so many weight panels that the blocked GEMM beats the direct path (docs/performance.md).
struct ConvForwardPointwiseGemm {
  static constexpr const char* name = "fwd_pointwise_gemm";
  static bool accepts(const ConvShape& s) { return s.is_pointwise() && s.out_c > 256; }
  template <class T>
  static std::size_t workspace(const ConvShape& s, int threads) {
    return gemm_workspace<T>({s.pixels(), s.out_c, s.in_c}, threads);
  }
  template <class T>
  static void run(const ConvShape& s, const T* x, const T* w, T* y, T beta, const parallel::Execution& ex) {
    gemm_packed<T>(s.pixels(), s.out_c, s.in_c, PackStridedA<T>{x, s.in_c, false, T(1)},
                   PackStridedB<T>{w, s.out_c, false}, beta, y, s.out_c, ex);
  }
};

// Every other shape: the direct path (measured faster than packed im2col panels on every other
// convolution of the five models, 7x7 images included).
struct ConvForwardDirect {
  static constexpr const char* name = "fwd_direct";
  static bool accepts(const ConvShape&) { return true; }
  template <class T>
  static std::size_t workspace(const ConvShape& s, int threads) {
    return detail::direct_workspace<T>(s, threads);
  }
  template <class T>
  static void run(const ConvShape& s, const T* x, const T* w, T* y, T beta, const parallel::Execution& ex) {
    detail::conv_direct(s, x, w, detail::DenseOutput<T>{y, s.out_c}, beta, ex);
  }
};

struct ConvForwardReference {
  static constexpr const char* name = "fwd_reference";
  static bool accepts(const ConvShape&) { return true; }
  template <class T>
  static std::size_t workspace(const ConvShape& s, int) {
    return detail::reference_workspace(s.pixels() * s.out_c);
  }
  template <class T>
  static void run(const ConvShape& s, const T* x, const T* w, T* y, T beta, const parallel::Execution& ex) {
    parallel::Workspace ws = ex.workspace;
    reference::conv_forward(s, x, w, y, beta, ws.take<double>(s.pixels() * s.out_c));
  }
};

using ConvForwardImpls = ImplList<ConvForwardPointwiseGemm, ConvForwardDirect, ConvForwardReference>;

// A 1x1 stride-1 convolution from many channels: the plain GEMM dy * w^T. From up to 256 (few
// output columns) the direct path wins, as in the forward.
struct ConvBackwardDataPointwiseGemm {
  static constexpr const char* name = "bwd_data_pointwise_gemm";
  static bool accepts(const ConvShape& s) { return s.is_pointwise() && s.in_c > 256; }
  template <class T>
  static std::size_t workspace(const ConvShape& s, int threads) {
    return gemm_workspace<T>({s.pixels(), s.in_c, s.out_c}, threads);
  }
  template <class T>
  static void run(const ConvShape& s, const T* dy, const T* w, T* dx, const parallel::Execution& ex) {
    gemm_packed<T>(s.pixels(), s.in_c, s.out_c, PackStridedA<T>{dy, s.out_c, false, T(1)},
                   PackStridedB<T>{w, s.out_c, true}, T(0), dx, s.in_c, ex);
  }
};

template <class T>
std::size_t conv_forward_workspace(const ConvShape& s, int threads, std::string_view impl = {});
template <class T>
void conv_forward(const ConvShape& s, const T* x, const T* w, T* y, T beta, const parallel::Execution& ex,
                  std::string_view impl = {});

// Stride 1: backward-data is the forward convolution of dy with the rotated weights (see
// detail::transposed_stride1), over all pixels at once, with no scatter.
struct ConvBackwardDataStride1 {
  static constexpr const char* name = "bwd_data_stride1_as_forward";
  static bool accepts(const ConvShape& s) { return s.win.sh == 1 && s.win.sw == 1; }
  template <class T>
  static std::size_t workspace(const ConvShape& s, int threads) {
    return parallel::workspace_bytes([&](parallel::Workspace& ws) {
      ws.take<T>(s.win.kh * s.win.kw * s.in_c * s.out_c);
      ws.take_view(conv_forward_workspace<T>(detail::transposed_stride1(s), threads));
    });
  }
  template <class T>
  static void run(const ConvShape& s, const T* dy, const T* w, T* dx, const parallel::Execution& ex) {
    parallel::Workspace ws = ex.workspace;
    T* rotated = ws.take<T>(s.win.kh * s.win.kw * s.in_c * s.out_c);
    detail::rotate_weights(s, w, rotated, ex.intra);
    conv_forward(detail::transposed_stride1(s), dy, static_cast<const T*>(rotated), dx, T(0), ex.with_workspace(ws));
  }
};

// A strided, unpadded 1x1 convolution (ResNet v1's downsampling) reads every sw-th pixel of
// every sh-th row: its backward-data is dy * w^T written onto those pixels, zero elsewhere. The
// direct path writes each tile straight to its place, with no column buffer and no scatter-add.
struct ConvBackwardDataPointwiseStrided {
  static constexpr const char* name = "bwd_data_pointwise_strided";
  static bool accepts(const ConvShape& s) {
    return s.win.kh == 1 && s.win.kw == 1 && s.win.pad_top == 0 && s.win.pad_left == 0;
  }
  template <class T>
  static std::size_t workspace(const ConvShape& s, int threads) {
    return parallel::workspace_bytes([&](parallel::Workspace& ws) {
      ws.take<T>(s.in_c * s.out_c);
      detail::DirectBuffers<T>::carve(detail::pointwise_over_output(s), threads, ws);
    });
  }
  template <class T>
  static void run(const ConvShape& s, const T* dy, const T* w, T* dx, const parallel::Execution& ex) {
    const Window& g = s.win;
    const index_t ci_n = s.in_c;
#pragma omp parallel for num_threads(ex.intra)
    for (index_t row = 0; row < s.batch * g.in_h; ++row) {  // zero what the strided pixels skip
      T* d = dx + row * g.in_w * ci_n;
      if ((row % g.in_h) % g.sh != 0 || (row % g.in_h) >= g.out_h * g.sh) {
        std::memset(d, 0, sizeof(T) * g.in_w * ci_n);
        continue;
      }
      for (index_t ix = 0; ix < g.in_w; ++ix)
        if (ix % g.sw != 0 || ix >= g.out_w * g.sw) std::memset(d + ix * ci_n, 0, sizeof(T) * ci_n);
    }
    parallel::Workspace ws = ex.workspace;
    T* rotated = ws.take<T>(s.in_c * s.out_c);
    detail::rotate_weights(s, w, rotated, ex.intra);
    detail::conv_direct(detail::pointwise_over_output(s), dy, static_cast<const T*>(rotated),
                        detail::StridedOutput<T>{dx, &s}, T(0), ex.with_workspace(ws));
  }
};

// Any other stride: tiles of column gradients (dy * w^T), scattered back onto dx.
struct ConvBackwardDataCol2im {
  static constexpr const char* name = "bwd_data_col2im";
  static bool accepts(const ConvShape&) { return true; }
  template <class T>
  static std::size_t workspace(const ConvShape& s, int threads) {
    return parallel::workspace_bytes([&](parallel::Workspace& ws) {
      if (detail::col2im_images_per_thread(s, threads))
        ws.take_parts(threads, detail::col2im_part<T>(s, 1));
      else
        ws.take_view(detail::col2im_part<T>(s, threads));
    });
  }
  template <class T>
  static void run(const ConvShape& s, const T* dy, const T* w, T* dx, const parallel::Execution& ex) {
    const Window& g = s.win;
    const PackStridedB<T> pack_wt{w, s.out_c, true};  // w^T: (Co x patch)
    std::fill(dx, dx + s.batch * g.in_h * g.in_w * s.in_c, T(0));
    const index_t patch = s.patch(), image_pixels = g.out_h * g.out_w;
    const index_t tile_rows = detail::col2im_tile_rows<T>(s);
    const int threads = ex.intra;
    parallel::Workspace ws = ex.workspace;
    if (detail::col2im_images_per_thread(s, threads)) {
      const auto parts = ws.take_parts(threads, detail::col2im_part<T>(s, 1));
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
      for (index_t b = 0; b < s.batch; ++b) {
        ex.joined_team();
        parallel::Workspace own = parts.part(omp_get_thread_num());
        T* dcol = own.take<T>(tile_rows * patch);
        for (index_t p = b * image_pixels; p < (b + 1) * image_pixels; p += tile_rows) {
          index_t rows = std::min(tile_rows, (b + 1) * image_pixels - p);
          gemm_packed<T>(rows, patch, s.out_c, PackStridedA<T>{dy + p * s.out_c, s.out_c, false, T(1)}, pack_wt,
                         T(0), dcol, patch, parallel::Execution::serial(own));
          detail::col2im_add(s, dcol, p, rows, dx);
        }
      }
    } else {
      parallel::Workspace own = ws.take_view(detail::col2im_part<T>(s, threads));
      T* dcol = own.take<T>(tile_rows * patch);
      for (index_t p = 0; p < s.pixels(); p += tile_rows) {
        index_t rows = std::min(tile_rows, s.pixels() - p);
        gemm_packed<T>(rows, patch, s.out_c, PackStridedA<T>{dy + p * s.out_c, s.out_c, false, T(1)}, pack_wt,
                       T(0), dcol, patch, ex.with_workspace(own));
        detail::col2im_add(s, dcol, p, rows, dx);
      }
    }
  }
};

struct ConvBackwardDataReference {
  static constexpr const char* name = "bwd_data_reference";
  static bool accepts(const ConvShape&) { return true; }
  template <class T>
  static std::size_t workspace(const ConvShape& s, int) {
    return detail::reference_workspace(s.batch * s.win.in_h * s.win.in_w * s.in_c);
  }
  template <class T>
  static void run(const ConvShape& s, const T* dy, const T* w, T* dx, const parallel::Execution& ex) {
    parallel::Workspace ws = ex.workspace;
    reference::conv_backward_data(s, dy, w, dx, ws.take<double>(s.batch * s.win.in_h * s.win.in_w * s.in_c));
  }
};

using ConvBackwardDataImpls = ImplList<ConvBackwardDataPointwiseGemm, ConvBackwardDataStride1,
                                       ConvBackwardDataPointwiseStrided, ConvBackwardDataCol2im,
                                       ConvBackwardDataReference>;

// dw^T = dy^T * col (M = Co, N = patch) into a buffer, then transposed onto dw. With few
// output channels this packs the image in NR-wide contiguous copies rather than MR-wide scalar
// ones, and each packed image panel serves all Co rows (up to 2x on InceptionV3's 1x1 192->48).
struct ConvBackwardWeightsChannelRows {
  static constexpr const char* name = "bwd_weights_channel_rows";
  static bool accepts(const ConvShape& s) { return s.out_c <= 256 && s.out_c <= s.patch(); }
  template <class T>
  static std::size_t workspace(const ConvShape& s, int threads) {
    return parallel::workspace_bytes([&](parallel::Workspace& ws) {
      ws.take<T>(s.out_c * s.patch());
      ws.take_view(gemm_workspace<T>({s.out_c, s.patch(), s.pixels()}, threads));
    });
  }
  template <class T>
  static void run(const ConvShape& s, const T* x, const T* dy, T* dw, T beta, const parallel::Execution& ex) {
    const index_t patch = s.patch(), co_n = s.out_c;
    parallel::Workspace ws = ex.workspace;
    T* dwt = ws.take<T>(co_n * patch);
    gemm_packed<T>(co_n, patch, s.pixels(), PackStridedA<T>{dy, co_n, true, T(1)}, PackIm2colRows<T>{&s, x}, T(0),
                   dwt, patch, ex.with_workspace(ws));
    for (index_t k = 0; k < patch; ++k)
      for (index_t co = 0; co < co_n; ++co) {
        T& out = dw[k * co_n + co];
        out = beta == T(0) ? dwt[co * patch + k] : beta * out + dwt[co * patch + k];
      }
  }
};

// dw = col(x)^T * dy as the GEMM over patch rows (M = patch, N = Co): where output channels
// outnumber the patch (ResNet's 1x1 64->256, the 3-channel stems) or both are large (the
// Co x patch buffer of 3x3 512->512 made channel rows 0.68x as fast).
struct ConvBackwardWeightsPatchRows {
  static constexpr const char* name = "bwd_weights_patch_rows";
  static bool accepts(const ConvShape&) { return true; }
  template <class T>
  static std::size_t workspace(const ConvShape& s, int threads) {
    return gemm_workspace<T>({s.patch(), s.out_c, s.pixels()}, threads);
  }
  template <class T>
  static void run(const ConvShape& s, const T* x, const T* dy, T* dw, T beta, const parallel::Execution& ex) {
    const PackStridedB<T> pack_dy{dy, s.out_c, false};
    if (s.is_pointwise())  // x itself is col: a strided transposed read
      gemm_packed<T>(s.in_c, s.out_c, s.pixels(), PackStridedA<T>{x, s.in_c, true, T(1)}, pack_dy, beta, dw,
                     s.out_c, ex);
    else
      gemm_packed<T>(s.patch(), s.out_c, s.pixels(), PackIm2colTransposed<T>{&s, x}, pack_dy, beta, dw, s.out_c, ex);
  }
};

struct ConvBackwardWeightsReference {
  static constexpr const char* name = "bwd_weights_reference";
  static bool accepts(const ConvShape&) { return true; }
  template <class T>
  static std::size_t workspace(const ConvShape& s, int) {
    return detail::reference_workspace(s.patch() * s.out_c);
  }
  template <class T>
  static void run(const ConvShape& s, const T* x, const T* dy, T* dw, T beta, const parallel::Execution& ex) {
    parallel::Workspace ws = ex.workspace;
    reference::conv_backward_weights(s, x, dy, dw, beta, ws.take<double>(s.patch() * s.out_c));
  }
};

using ConvBackwardWeightsImpls =
    ImplList<ConvBackwardWeightsChannelRows, ConvBackwardWeightsPatchRows, ConvBackwardWeightsReference>;

// ---- The entry points: the first implementation that accepts, or the one named -------------

namespace detail {
template <class List, class T>
std::size_t conv_workspace(const ConvShape& s, int threads, std::string_view impl) {
  std::size_t bytes = 0;
  List::pick(impl, [&](auto i) { return decltype(i)::accepts(s); },
             [&](auto i) { bytes = decltype(i)::template workspace<T>(s, threads); });
  return bytes;
}
template <class List>
const char* conv_choice(const ConvShape& s) {
  return List::first_name([&](auto i) { return decltype(i)::accepts(s); });
}
}  // namespace detail

template <class T>
std::size_t conv_forward_workspace(const ConvShape& s, int threads, std::string_view impl) {
  return detail::conv_workspace<ConvForwardImpls, T>(s, threads, impl);
}
template <class T>
std::size_t conv_backward_data_workspace(const ConvShape& s, int threads, std::string_view impl = {}) {
  return detail::conv_workspace<ConvBackwardDataImpls, T>(s, threads, impl);
}
template <class T>
std::size_t conv_backward_weights_workspace(const ConvShape& s, int threads, std::string_view impl = {}) {
  return detail::conv_workspace<ConvBackwardWeightsImpls, T>(s, threads, impl);
}
inline const char* conv_forward_choice(const ConvShape& s) { return detail::conv_choice<ConvForwardImpls>(s); }
inline const char* conv_backward_data_choice(const ConvShape& s) { return detail::conv_choice<ConvBackwardDataImpls>(s); }
inline const char* conv_backward_weights_choice(const ConvShape& s) {
  return detail::conv_choice<ConvBackwardWeightsImpls>(s);
}

// y = conv(x, w) + beta * y.
template <class T>
TINYCNN_KERNEL void conv_forward(const ConvShape& s, const T* x, const T* w, T* y, T beta,
                                 const parallel::Execution& ex, std::string_view impl) {
  ConvForwardImpls::pick(impl, [&](auto i) { return decltype(i)::accepts(s); },
                         [&](auto i) { decltype(i)::template run<T>(s, x, w, y, beta, ex); });
}

// dx = d(loss)/dx given dy; overwrites dx.
template <class T>
TINYCNN_KERNEL void conv_backward_data(const ConvShape& s, const T* dy, const T* w, T* dx,
                                       const parallel::Execution& ex, std::string_view impl = {}) {
  ConvBackwardDataImpls::pick(impl, [&](auto i) { return decltype(i)::accepts(s); },
                              [&](auto i) { decltype(i)::template run<T>(s, dy, w, dx, ex); });
}

// dw = col(x)^T * dy + beta * dw.
template <class T>
TINYCNN_KERNEL void conv_backward_weights(const ConvShape& s, const T* x, const T* dy, T* dw, T beta,
                                          const parallel::Execution& ex, std::string_view impl = {}) {
  ConvBackwardWeightsImpls::pick(impl, [&](auto i) { return decltype(i)::accepts(s); },
                                 [&](auto i) { decltype(i)::template run<T>(s, x, dy, dw, beta, ex); });
}

}  // namespace tinycnn::kernels::inline TINYCNN_ISA_NAMESPACE
