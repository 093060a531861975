// Shapes. Activations are NHWC (batch, height, width, channels): the channel is the innermost,
// contiguous axis, so a 1x1 convolution is a plain GEMM and the im2col rows of a KxK
// convolution are runs of contiguous channels (see docs/architecture.md for the measurement).
//
// Dims<H, W, C> is the per-image shape known at compile time; the batch is a run-time number.
#pragma once
#include <cstddef>
#include <string>

namespace tinycnn {

using index_t = std::ptrdiff_t;

template <index_t H, index_t W, index_t C>
struct Dims {
  static_assert(H > 0 && W > 0 && C > 0, "tinycnn: every dimension of a shape must be positive");
  static constexpr index_t height = H;
  static constexpr index_t width = W;
  static constexpr index_t channels = C;
  static constexpr index_t size = H * W * C;  // elements per image
};

// A user names the input of a model with Input<H, W, C>{}.
template <index_t H, index_t W, index_t C>
struct Input {
  using dims = Dims<H, W, C>;
};

// The run-time shape of a batch of activations.
struct Shape {
  index_t n = 0, h = 0, w = 0, c = 0;
  constexpr index_t size() const { return n * h * w * c; }
  constexpr index_t image_size() const { return h * w * c; }
  friend constexpr bool operator==(const Shape&, const Shape&) = default;
};

template <class D>
constexpr Shape shape_of(index_t batch) {
  return Shape{batch, D::height, D::width, D::channels};
}

inline std::string to_string(const Shape& s) {
  return "[" + std::to_string(s.n) + ", " + std::to_string(s.h) + ", " + std::to_string(s.w) +
         ", " + std::to_string(s.c) + "]";
}

}  // namespace tinycnn
