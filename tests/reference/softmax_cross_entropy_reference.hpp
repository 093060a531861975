// Naive double-precision softmax cross-entropy: the oracle for kernels/softmax_cross_entropy.hpp.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "tinycnn/core/shape.hpp"

namespace tinycnn::reference {

template <class Z>
std::vector<double> softmax(const Z* logits, index_t n, index_t classes) {
  std::vector<double> p(static_cast<std::size_t>(n * classes));
  for (index_t i = 0; i < n; ++i) {
    double top = double(logits[i * classes]);
    for (index_t j = 0; j < classes; ++j) top = std::max(top, double(logits[i * classes + j]));
    double total = 0;
    for (index_t j = 0; j < classes; ++j) total += std::exp(double(logits[i * classes + j]) - top);
    for (index_t j = 0; j < classes; ++j)
      p[static_cast<std::size_t>(i * classes + j)] = std::exp(double(logits[i * classes + j]) - top) / total;
  }
  return p;
}

// Mean over the batch of -log p[label] = log(sum_j exp(z_j)) - z_label, both terms taken
// relative to the row's maximum so that neither overflows nor underflows to log(0).
template <class Z>
double softmax_cross_entropy(const Z* logits, const std::int32_t* labels, index_t n, index_t classes) {
  double loss = 0;
  for (index_t i = 0; i < n; ++i) {
    const Z* z = logits + i * classes;
    double top = double(z[0]);
    for (index_t j = 0; j < classes; ++j) top = std::max(top, double(z[j]));
    double total = 0;
    for (index_t j = 0; j < classes; ++j) total += std::exp(double(z[j]) - top);
    loss += std::log(total) - (double(z[labels[i]]) - top);
  }
  return loss / double(n);
}

// d(mean loss) / d logits = (p - onehot) / n.
template <class Z>
std::vector<double> softmax_cross_entropy_grad(const Z* logits, const std::int32_t* labels, index_t n, index_t classes) {
  std::vector<double> g = softmax(logits, n, classes);
  for (index_t i = 0; i < n; ++i) g[static_cast<std::size_t>(i * classes + labels[i])] -= 1.0;
  for (double& v : g) v /= double(n);
  return g;
}

}  // namespace tinycnn::reference
