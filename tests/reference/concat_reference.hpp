// Naive double-precision channel concatenation of NHWC tensors: the oracle for kernels/concat.hpp.
#pragma once
#include <vector>

#include "tinycnn/core/shape.hpp"

namespace tinycnn::reference {

// parts[i] is rows x channels[i]; the result is rows x sum(channels), parts side by side.
template <class X>
std::vector<double> concat_channels(const std::vector<std::vector<X>>& parts, const std::vector<index_t>& channels,
                                    index_t rows) {
  index_t total = 0;
  for (index_t c : channels) total += c;
  std::vector<double> y(static_cast<std::size_t>(rows * total));
  for (index_t r = 0; r < rows; ++r) {
    index_t col = 0;
    for (std::size_t i = 0; i < parts.size(); ++i)
      for (index_t ch = 0; ch < channels[i]; ++ch, ++col)
        y[static_cast<std::size_t>(r * total + col)] = double(parts[i][static_cast<std::size_t>(r * channels[i] + ch)]);
  }
  return y;
}

// The inverse: dy (rows x sum(channels)) cut back into one rows x channels[i] block per input.
template <class D>
std::vector<std::vector<double>> split_channels(const D* dy, const std::vector<index_t>& channels, index_t rows) {
  index_t total = 0;
  for (index_t c : channels) total += c;
  std::vector<std::vector<double>> parts;
  index_t col0 = 0;
  for (index_t c : channels) {
    std::vector<double> p(static_cast<std::size_t>(rows * c));
    for (index_t r = 0; r < rows; ++r)
      for (index_t ch = 0; ch < c; ++ch) p[static_cast<std::size_t>(r * c + ch)] = double(dy[r * total + col0 + ch]);
    parts.push_back(std::move(p));
    col0 += c;
  }
  return parts;
}

}  // namespace tinycnn::reference
