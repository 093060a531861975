// Batch normalisation of NHWC activations, per channel over the `rows` = n*h*w positions of a
// batch. The channel is the contiguous axis, so every loop runs over rows with SIMD across
// channels, and the per-channel statistics are sums over rows (detail::reduce_rows).
//
// Training forward, as TensorFlow's fused batch norm:
//   mean, var = batch mean and biased (divide by rows) variance, used to normalise
//   y = gamma * (x - mean) * invstd + beta,    invstd = 1 / sqrt(var + epsilon)
//   running_mean = momentum * running_mean + (1 - momentum) * mean
//   running_var  = momentum * running_var  + (1 - momentum) * var * rows / (rows - 1)
// The running variance takes the unbiased estimate (factor 1 for a single row), as TensorFlow
// does: it stands in for the population variance at inference, where the biased one would
// understate every channel's spread by (rows - 1) / rows.
//
// gamma == nullptr means gamma = 1 (Keras' scale=False, as in InceptionV3) and beta == nullptr
// means beta = 0. The backward needs x (not y: y is often overwritten by an in-place ReLU) and
// the mean and invstd that the forward saved. Each pass takes its per-channel arrays and the
// threads' partial sums from ex.workspace (batch_norm_*_workspace below), not from the heap.
#pragma once
#include "tinycnn/core/attributes.hpp"
#include <cmath>
#include <type_traits>

#include "tinycnn/core/error.hpp"
#include "tinycnn/kernels/batch_norm_config.hpp"
#include "tinycnn/kernels/bias.hpp"
#include "tinycnn/simd/isa_namespace.hpp"

namespace tinycnn::kernels::inline TINYCNN_ISA_NAMESPACE {

namespace detail {

// The per-channel arrays take their element type from x, so a literal nullptr can be passed
// for those that may be null.
template <class T>
using param_t = std::type_identity_t<T>;

// y = x * scale[ch] + shift[ch], the one affine pass that every forward ends with; with Relu,
// max(that, 0) as kernels::relu_forward computes it, so that fusing the ReLU changes no bit.
template <bool Relu = false, class T>
void channel_affine(const parallel::Execution& ex, const T* x, T* y, index_t rows, index_t c, const T* scale, const T* shift) {
  parallel_ranges(ex.intra, rows, [=](index_t begin, index_t end) {
    const simd::batch<T> zero = simd::splat(T(0));
    for (index_t r = begin; r < end; ++r) {
      const T* xr = x + r * c;
      T* yr = y + r * c;
      simd_range<T>(
          0, c,
          [=](index_t ch) {
            simd::batch<T> v = simd::fma(simd::load(xr + ch), simd::load(scale + ch), simd::load(shift + ch));
            if constexpr (Relu) v = simd::select(v > zero, v, zero);
            simd::store(yr + ch, v);
          },
          [=](index_t ch) {
            T v = xr[ch] * scale[ch] + shift[ch];
            if constexpr (Relu) v = v > T(0) ? v : T(0);
            yr[ch] = v;
          });
    }
  }, c);
}
template <class T>
void channel_affine(const parallel::Execution& ex, const T* x, T* y, index_t rows, index_t c, const T* scale,
                    const T* shift, bool relu) {
  if (relu)
    channel_affine<true>(ex, x, y, rows, c, scale, shift);
  else
    channel_affine<false>(ex, x, y, rows, c, scale, shift);
}

// Each pass's per-channel arrays, carved from the caller's workspace; the same carving sizes
// the *_workspace functions below.
template <class T>
struct BatchNormTrainingBuffers {
  T* shift;
  double* sums;  // sum(x - shift), sum((x - shift)^2)
  RowSums<T, 2> row_sums;
  T* scale;
  T* offset;
  static BatchNormTrainingBuffers carve(parallel::Workspace& ws, index_t rows, index_t c, int threads) {
    return {ws.take<T>(c), ws.take<double>(2 * c), RowSums<T, 2>::carve(ws, rows, c, threads), ws.take<T>(c),
            ws.take<T>(c)};
  }
};

template <class T>
struct BatchNormInferenceBuffers {
  T* scale;
  T* offset;
  static BatchNormInferenceBuffers carve(parallel::Workspace& ws, index_t c) { return {ws.take<T>(c), ws.take<T>(c)}; }
};

template <class T>
struct BatchNormBackwardBuffers {
  double* sums;  // sum(dy), sum(dy * (x - mean))
  RowSums<T, 2> row_sums;
  T* a;
  T* b;
  T* k;
  static BatchNormBackwardBuffers carve(parallel::Workspace& ws, index_t rows, index_t c, int threads) {
    return {ws.take<double>(2 * c), RowSums<T, 2>::carve(ws, rows, c, threads), ws.take<T>(c), ws.take<T>(c),
            ws.take<T>(c)};
  }
};

}  // namespace detail

// Workspace bytes of the three passes (each kernel takes its own from ex.workspace).
template <class T>
std::size_t batch_norm_training_workspace(index_t rows, index_t c, int threads) {
  return parallel::workspace_bytes(
      [&](parallel::Workspace& ws) { detail::BatchNormTrainingBuffers<T>::carve(ws, rows, c, threads); });
}
template <class T>
std::size_t batch_norm_inference_workspace(index_t c) {
  return parallel::workspace_bytes([&](parallel::Workspace& ws) { detail::BatchNormInferenceBuffers<T>::carve(ws, c); });
}
template <class T>
std::size_t batch_norm_backward_workspace(index_t rows, index_t c, int threads) {
  return parallel::workspace_bytes(
      [&](parallel::Workspace& ws) { detail::BatchNormBackwardBuffers<T>::carve(ws, rows, c, threads); });
}

// save_mean and save_invstd receive c values each, for the backward. save_scale and
// save_offset, when not null, receive the c-value affine map y = x * scale + offset that was
// applied, so that batch_norm_apply can recompute y bit for bit later. running_mean and
// running_var are updated in place; pass nullptr for both to leave them out.
template <class T>
TINYCNN_KERNEL void batch_norm_forward_training(const T* x, T* y, index_t rows, index_t c, const detail::param_t<T>* gamma,
                                 const detail::param_t<T>* beta, const BatchNormConfig& config, detail::param_t<T>* save_mean,
                                 detail::param_t<T>* save_invstd, detail::param_t<T>* save_scale, detail::param_t<T>* save_offset,
                                 detail::param_t<T>* running_mean, detail::param_t<T>* running_var, const parallel::Execution& ex) {
  require(rows > 0, "batch norm over an empty batch");
  // One pass for both moments, on x - shift: with shift near the mean, sum((x - shift)^2) does
  // not cancel the way sum(x^2) - rows * mean^2 does when |mean| >> stddev. The mean of the
  // first rows is a cheap shift close enough to the batch mean.
  const index_t head = std::min(rows, detail::kReduceBlockRows);
  parallel::Workspace ws = ex.workspace;
  const auto buf = detail::BatchNormTrainingBuffers<T>::carve(ws, rows, c, ex.intra);
  T* const shift = buf.shift;
  double* const sums = buf.sums;
  for (index_t ch = 0; ch < c; ++ch) {
    double s = 0;
    for (index_t r = 0; r < head; ++r) s += static_cast<double>(x[r * c + ch]);
    shift[ch] = static_cast<T>(s / static_cast<double>(head));
  }
  const T* k = shift;
  detail::reduce_rows<T, 2>(buf.row_sums, rows, c, sums, [=](index_t r0, index_t r1, T* acc) {
    T* acc2 = acc + c;
    for (index_t r = r0; r < r1; ++r) {
      const T* xr = x + r * c;
      detail::simd_range<T>(
          0, c,
          [=](index_t ch) {
            const simd::batch<T> d = simd::load(xr + ch) - simd::load(k + ch);
            simd::store(acc + ch, simd::load(acc + ch) + d);
            simd::store(acc2 + ch, simd::fma(d, d, simd::load(acc2 + ch)));
          },
          [=](index_t ch) {
            const T d = xr[ch] - k[ch];
            acc[ch] += d;
            acc2[ch] += d * d;
          });
    }
  });

  const double n = static_cast<double>(rows);
  const double unbias = rows > 1 ? n / (n - 1.0) : 1.0;
  const double m = config.momentum;
  T* const scale = buf.scale;
  T* const offset = buf.offset;
  for (index_t ch = 0; ch < c; ++ch) {
    const double s1 = sums[ch] / n;  // mean of x - shift
    const double var = std::max(sums[c + ch] / n - s1 * s1, 0.0);
    const double mean = static_cast<double>(shift[ch]) + s1;
    const double invstd = 1.0 / std::sqrt(var + config.epsilon);
    const double g = gamma ? static_cast<double>(gamma[ch]) : 1.0;
    const double b = beta ? static_cast<double>(beta[ch]) : 0.0;
    scale[ch] = static_cast<T>(g * invstd);
    offset[ch] = static_cast<T>(b - mean * g * invstd);
    save_mean[ch] = static_cast<T>(mean);
    save_invstd[ch] = static_cast<T>(invstd);
    if (running_mean) running_mean[ch] = static_cast<T>(m * running_mean[ch] + (1.0 - m) * mean);
    if (running_var) running_var[ch] = static_cast<T>(m * running_var[ch] + (1.0 - m) * var * unbias);
    if (save_scale) save_scale[ch] = scale[ch];
    if (save_offset) save_offset[ch] = offset[ch];
  }
  detail::channel_affine(ex, x, y, rows, c, scale, offset, config.relu);
}

// y = x * scale + offset per channel (max(that, 0) with relu), with the map a training forward
// saved: the same output, bit for bit, as that forward wrote (a layer recomputing its output
// in backward instead of keeping it). y may be x.
template <class T>
TINYCNN_KERNEL void batch_norm_apply(const T* x, T* y, index_t rows, index_t c, const detail::param_t<T>* scale,
                                     const detail::param_t<T>* offset, bool relu, const parallel::Execution& ex) {
  detail::channel_affine(ex, x, y, rows, c, scale, offset, relu);
}

// y = gamma * (x - running_mean) / sqrt(running_var + epsilon) + beta; max(that, 0) with relu.
// y may be x.
template <class T>
TINYCNN_KERNEL void batch_norm_forward_inference(const T* x, T* y, index_t rows, index_t c, const detail::param_t<T>* gamma,
                                  const detail::param_t<T>* beta, const detail::param_t<T>* running_mean, const detail::param_t<T>* running_var,
                                  double epsilon, bool relu, const parallel::Execution& ex) {
  parallel::Workspace ws = ex.workspace;
  const auto buf = detail::BatchNormInferenceBuffers<T>::carve(ws, c);
  T* const scale = buf.scale;
  T* const offset = buf.offset;
  for (index_t ch = 0; ch < c; ++ch) {
    const double s = (gamma ? static_cast<double>(gamma[ch]) : 1.0) /
                     std::sqrt(static_cast<double>(running_var[ch]) + epsilon);
    scale[ch] = static_cast<T>(s);
    offset[ch] = static_cast<T>((beta ? static_cast<double>(beta[ch]) : 0.0) -
                                static_cast<double>(running_mean[ch]) * s);
  }
  detail::channel_affine(ex, x, y, rows, c, scale, offset, relu);
}

// Gradients of the training forward, with xhat = (x - mean) * invstd:
//   dbeta = sum(dy), dgamma = sum(dy * xhat)
//   dx = gamma * invstd * (dy - dbeta / rows - xhat * dgamma / rows)
// dgamma is skipped when gamma is nullptr; dbeta may be nullptr too. dx may be dy. The
// parameter gradients are overwritten, not accumulated.
template <class T>
TINYCNN_KERNEL void batch_norm_backward(const T* x, const T* dy, T* dx, index_t rows, index_t c, const detail::param_t<T>* gamma,
                         const detail::param_t<T>* save_mean, const detail::param_t<T>* save_invstd, detail::param_t<T>* dgamma, detail::param_t<T>* dbeta, const parallel::Execution& ex) {
  require(rows > 0, "batch norm over an empty batch");
  parallel::Workspace ws = ex.workspace;
  const auto buf = detail::BatchNormBackwardBuffers<T>::carve(ws, rows, c, ex.intra);
  double* const sums = buf.sums;
  detail::reduce_rows<T, 2>(buf.row_sums, rows, c, sums, [=](index_t r0, index_t r1, T* acc) {
    T* acc2 = acc + c;
    for (index_t r = r0; r < r1; ++r) {
      const T* xr = x + r * c;
      const T* dr = dy + r * c;
      detail::simd_range<T>(
          0, c,
          [=](index_t ch) {
            const simd::batch<T> d = simd::load(dr + ch);
            simd::store(acc + ch, simd::load(acc + ch) + d);
            simd::store(acc2 + ch, simd::fma(d, simd::load(xr + ch) - simd::load(save_mean + ch), simd::load(acc2 + ch)));
          },
          [=](index_t ch) {
            acc[ch] += dr[ch];
            acc2[ch] += dr[ch] * (xr[ch] - save_mean[ch]);
          });
    }
  });

  // dx = a * dy + b + k * (x - mean), per channel constants:
  const double n = static_cast<double>(rows);
  T* const a = buf.a;
  T* const b = buf.b;
  T* const k = buf.k;
  for (index_t ch = 0; ch < c; ++ch) {
    const double invstd = static_cast<double>(save_invstd[ch]);
    const double g = gamma ? static_cast<double>(gamma[ch]) : 1.0;
    const double sum_dy = sums[ch];
    const double sum_dy_xhat = sums[c + ch] * invstd;
    if (dbeta) dbeta[ch] = static_cast<T>(sum_dy);
    if (gamma && dgamma) dgamma[ch] = static_cast<T>(sum_dy_xhat);
    a[ch] = static_cast<T>(g * invstd);
    b[ch] = static_cast<T>(-g * invstd * sum_dy / n);
    k[ch] = static_cast<T>(-g * invstd * invstd * sum_dy_xhat / n);
  }
  const T* pa = a;
  const T* pb = b;
  const T* pk = k;
  detail::parallel_ranges(ex.intra, rows, [=](index_t begin, index_t end) {
    for (index_t r = begin; r < end; ++r) {
      const T* xr = x + r * c;
      const T* dr = dy + r * c;
      T* out = dx + r * c;
      detail::simd_range<T>(
          0, c,
          [=](index_t ch) {
            const simd::batch<T> base = simd::fma(simd::load(pa + ch), simd::load(dr + ch), simd::load(pb + ch));
            simd::store(out + ch, simd::fma(simd::load(pk + ch), simd::load(xr + ch) - simd::load(save_mean + ch), base));
          },
          [=](index_t ch) { out[ch] = pk[ch] * (xr[ch] - save_mean[ch]) + (pa[ch] * dr[ch] + pb[ch]); });
    }
  }, c);
}

}  // namespace tinycnn::kernels::inline TINYCNN_ISA_NAMESPACE
