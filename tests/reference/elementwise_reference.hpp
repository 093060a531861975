// Naive double-precision elementwise arithmetic: the oracle for kernels/elementwise.hpp.
#pragma once
#include <vector>

#include "tinycnn/core/shape.hpp"

namespace tinycnn::reference {

template <class A, class B>
std::vector<double> add(const A* a, const B* b, index_t n) {
  std::vector<double> y(static_cast<std::size_t>(n));
  for (index_t i = 0; i < n; ++i) y[static_cast<std::size_t>(i)] = double(a[i]) + double(b[i]);
  return y;
}

// alpha * x + y
template <class X, class Y>
std::vector<double> axpy(double alpha, const X* x, const Y* y, index_t n) {
  std::vector<double> out(static_cast<std::size_t>(n));
  for (index_t i = 0; i < n; ++i) out[static_cast<std::size_t>(i)] = alpha * double(x[i]) + double(y[i]);
  return out;
}

template <class X>
std::vector<double> scale(const X* x, double alpha, index_t n) {
  std::vector<double> out(static_cast<std::size_t>(n));
  for (index_t i = 0; i < n; ++i) out[static_cast<std::size_t>(i)] = alpha * double(x[i]);
  return out;
}

}  // namespace tinycnn::reference
