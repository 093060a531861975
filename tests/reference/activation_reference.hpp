// Naive double-precision ReLU: the oracle for kernels/activation.hpp.
#pragma once
#include <vector>

#include "tinycnn/core/shape.hpp"

namespace tinycnn::reference {

template <class X>
std::vector<double> relu(const X* x, index_t n) {
  std::vector<double> y(static_cast<std::size_t>(n));
  for (index_t i = 0; i < n; ++i) y[static_cast<std::size_t>(i)] = double(x[i]) > 0.0 ? double(x[i]) : 0.0;
  return y;
}

// The gradient flows where the output is positive.
template <class Y, class D>
std::vector<double> relu_backward(const Y* y, const D* dy, index_t n) {
  std::vector<double> dx(static_cast<std::size_t>(n));
  for (index_t i = 0; i < n; ++i) dx[static_cast<std::size_t>(i)] = double(y[i]) > 0.0 ? double(dy[i]) : 0.0;
  return dx;
}

}  // namespace tinycnn::reference
