// Inverted dropout on flat arrays: training keeps each element with probability keep_prob and
// scales the survivors by 1 / keep_prob, so inference is the identity and needs no rescaling.
//
// The mask is one byte per element (a quarter of a float mask) in a caller buffer that lives
// from the forward to the backward. It is drawn serially from the caller's Rng, element i from
// the i-th 32-bit draw, so a seed fixes the mask whatever the thread count. The drawing, not the
// arithmetic, is the cost, and dropout in the models here sits after global pooling on a few
// thousand values per batch: nothing here is threaded.
#pragma once
#include <algorithm>
#include <cstdint>

#include "tinycnn/core/error.hpp"
#include "tinycnn/core/random.hpp"
#include "tinycnn/kernels/elementwise.hpp"
#include "tinycnn/simd/isa_namespace.hpp"

namespace tinycnn::kernels::inline TINYCNN_ISA_NAMESPACE {

namespace detail {

inline void check_keep_prob(double keep_prob) {
  require(keep_prob > 0.0 && keep_prob <= 1.0,
          "dropout keep probability must be in (0, 1], got " + std::to_string(keep_prob));
}

}  // namespace detail

// mask[i] = 1 with probability keep_prob, else 0; y = x * mask / keep_prob. y may be x.
template <class T>
void dropout_forward_training(const T* x, T* y, std::uint8_t* mask, index_t n, double keep_prob, Rng& rng) {
  detail::check_keep_prob(keep_prob);
  // Two 32-bit draws per 64-bit engine output; u < keep_prob * 2^32 has probability keep_prob
  // (to 2^-32), and keep_prob = 1 keeps everything since the threshold is then 2^32.
  const auto threshold = static_cast<std::uint64_t>(keep_prob * 4294967296.0);
  std::uint64_t bits = 0;
  for (index_t i = 0; i < n; ++i) {
    std::uint64_t u;
    if (i % 2 == 0) {
      bits = rng.next();
      u = bits & 0xffffffffu;
    } else {
      u = bits >> 32;
    }
    mask[i] = u < threshold ? 1 : 0;
  }
  const T s = static_cast<T>(1.0 / keep_prob);
  for (index_t i = 0; i < n; ++i) y[i] = mask[i] ? x[i] * s : T(0);
}

// dx = dy * mask / keep_prob, with the mask of the forward. dx may be dy.
template <class T>
void dropout_backward(const T* dy, T* dx, const std::uint8_t* mask, index_t n, double keep_prob) {
  detail::check_keep_prob(keep_prob);
  const T s = static_cast<T>(1.0 / keep_prob);
  for (index_t i = 0; i < n; ++i) dx[i] = mask[i] ? dy[i] * s : T(0);
}

// Inference: y = x.
template <class T>
void dropout_forward_inference(const T* x, T* y, index_t n) {
  if (x != y) std::copy(x, x + n, y);
}

}  // namespace tinycnn::kernels::inline TINYCNN_ISA_NAMESPACE
