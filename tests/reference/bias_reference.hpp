// Naive double-precision per-channel bias on NHWC rows: the oracle for kernels/bias.hpp.
#pragma once
#include <vector>

#include "tinycnn/core/shape.hpp"

namespace tinycnn::reference {

// x is rows x c (rows = n*h*w); y[r, ch] = x[r, ch] + bias[ch].
template <class X, class B>
std::vector<double> bias_add(const X* x, const B* bias, index_t rows, index_t c) {
  std::vector<double> y(static_cast<std::size_t>(rows * c));
  for (index_t r = 0; r < rows; ++r)
    for (index_t ch = 0; ch < c; ++ch)
      y[static_cast<std::size_t>(r * c + ch)] = double(x[r * c + ch]) + double(bias[ch]);
  return y;
}

// dbias[ch] = sum over rows of dy[r, ch].
template <class D>
std::vector<double> bias_add_backward(const D* dy, index_t rows, index_t c) {
  std::vector<double> db(static_cast<std::size_t>(c), 0.0);
  for (index_t ch = 0; ch < c; ++ch)
    for (index_t r = 0; r < rows; ++r) db[static_cast<std::size_t>(ch)] += double(dy[r * c + ch]);
  return db;
}

}  // namespace tinycnn::reference
