// Concatenation along the channel axis of NHWC tensors, as the branches of an Inception block
// are joined: every input is [n, h, w, c_i] and the output is [n, h, w, sum c_i], so each of
// the `rows` = n*h*w output rows is the inputs' rows laid side by side. The backward is the
// same copy in reverse.
#pragma once
#include "tinycnn/core/attributes.hpp"
#include <cstring>
#include <span>
#include <type_traits>

#include "tinycnn/core/error.hpp"
#include "tinycnn/kernels/elementwise.hpp"
#include "tinycnn/simd/isa_namespace.hpp"

namespace tinycnn::kernels::inline TINYCNN_ISA_NAMESPACE {

namespace detail {

inline index_t concat_total_channels(std::size_t parts, std::span<const index_t> channels) {
  require(parts == channels.size(), "channel concat: " + std::to_string(parts) + " tensors but " +
                                        std::to_string(channels.size()) + " channel counts");
  index_t total = 0;
  for (index_t c : channels) {
    require(c >= 0, "channel concat: negative channel count");
    total += c;
  }
  return total;
}

}  // namespace detail

// y[r, offset_i + ch] = inputs[i][r, ch], offset_i = channels[0] + ... + channels[i - 1].
template <class T>
TINYCNN_KERNEL void concat_channels_forward(std::span<const std::type_identity_t<T>* const> inputs, std::span<const index_t> channels,
                             T* y, index_t rows, const parallel::Execution& ex) {
  const index_t total = detail::concat_total_channels(inputs.size(), channels);
  detail::parallel_ranges(ex.intra, rows, [=](index_t begin, index_t end) {
    index_t offset = 0;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const index_t c = channels[i];
      const std::size_t bytes = static_cast<std::size_t>(c) * sizeof(T);
      if (c > 0)  // an empty input may have no storage at all (memcpy from null is undefined)
        for (index_t r = begin; r < end; ++r) std::memcpy(y + r * total + offset, inputs[i] + r * c, bytes);
      offset += c;
    }
  }, total);
}

// grads[i][r, ch] = dy[r, offset_i + ch]; a null grads[i] is skipped (an input that needs no
// gradient). The gradients are overwritten.
template <class T>
TINYCNN_KERNEL void concat_channels_backward(const T* dy, index_t rows, std::span<const index_t> channels,
                              std::span<std::type_identity_t<T>* const> grads, const parallel::Execution& ex) {
  const index_t total = detail::concat_total_channels(grads.size(), channels);
  detail::parallel_ranges(ex.intra, rows, [=](index_t begin, index_t end) {
    index_t offset = 0;
    for (std::size_t i = 0; i < grads.size(); ++i) {
      const index_t c = channels[i];
      const std::size_t bytes = static_cast<std::size_t>(c) * sizeof(T);
      if (grads[i] && c > 0)
        for (index_t r = begin; r < end; ++r) std::memcpy(grads[i] + r * c, dy + r * total + offset, bytes);
      offset += c;
    }
  }, total);
}

}  // namespace tinycnn::kernels::inline TINYCNN_ISA_NAMESPACE
