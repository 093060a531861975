// Naive double-precision dropout with a given keep-mask: the oracle for kernels/dropout.hpp.
#pragma once
#include <cstdint>
#include <vector>

#include "tinycnn/core/shape.hpp"

namespace tinycnn::reference {

// y = x * mask / keep_prob; the backward is the same map applied to dy.
template <class X>
std::vector<double> dropout_apply(const X* x, const std::uint8_t* mask, index_t n, double keep_prob) {
  std::vector<double> y(static_cast<std::size_t>(n));
  for (index_t i = 0; i < n; ++i) y[static_cast<std::size_t>(i)] = double(x[i]) * double(mask[i]) / keep_prob;
  return y;
}

}  // namespace tinycnn::reference
