// Softmax cross-entropy on logits [n, classes] with integer labels, fused with its gradient:
// the gradient of the mean loss with respect to the logits is (softmax - onehot) / n, which is
// both cheaper and better conditioned than going through the softmax's own Jacobian.
//
// Every sample's log-sum-exp subtracts the sample's largest logit first, so no exp overflows,
// and is computed in double whatever T is: the loss is what a user watches, and n * classes
// exps are nothing next to the layers before this one. For the same reason nothing here is
// threaded or vectorised.
#pragma once
#include <cmath>
#include <cstdint>
#include <string>

#include "tinycnn/core/error.hpp"
#include "tinycnn/core/shape.hpp"
#include "tinycnn/simd/isa_namespace.hpp"

namespace tinycnn::kernels::inline TINYCNN_ISA_NAMESPACE {

namespace detail {

inline void check_labels(const std::int32_t* labels, index_t n, index_t classes) {
  for (index_t i = 0; i < n; ++i)
    if (labels[i] < 0 || labels[i] >= classes)
      throw Error("label " + std::to_string(labels[i]) + " of sample " + std::to_string(i) +
                  " is outside the " + std::to_string(classes) + " classes [0, " + std::to_string(classes) + ")");
}

template <class T>
inline index_t row_argmax(const T* row, index_t classes) {
  index_t best = 0;
  for (index_t j = 1; j < classes; ++j)
    if (row[j] > row[best]) best = j;  // strict: ties go to the lowest class
  return best;
}

}  // namespace detail

// probs[i, :] = softmax(logits[i, :]). probs may be logits.
template <class T>
void softmax_forward(const T* logits, T* probs, index_t n, index_t classes) {
  for (index_t i = 0; i < n; ++i) {
    const T* z = logits + i * classes;
    T* p = probs + i * classes;
    const double top = static_cast<double>(z[detail::row_argmax(z, classes)]);
    double total = 0;
    for (index_t j = 0; j < classes; ++j) total += std::exp(static_cast<double>(z[j]) - top);
    for (index_t j = 0; j < classes; ++j) p[j] = static_cast<T>(std::exp(static_cast<double>(z[j]) - top) / total);
  }
}

// Returns mean over the batch of -log softmax(logits[i])[labels[i]]. When dlogits is not null it
// receives (softmax - onehot) / n, the gradient of that mean; it may be logits. Labels outside
// [0, classes) throw Error before anything is written.
template <class T>
double softmax_cross_entropy(const T* logits, const std::int32_t* labels, index_t n, index_t classes,
                             T* dlogits = nullptr) {
  require(n > 0 && classes > 0, "softmax cross-entropy needs at least one sample and one class");
  detail::check_labels(labels, n, classes);
  const double inv_n = 1.0 / static_cast<double>(n);
  double loss = 0;
  for (index_t i = 0; i < n; ++i) {
    const T* z = logits + i * classes;
    const double top = static_cast<double>(z[detail::row_argmax(z, classes)]);
    double total = 0;
    for (index_t j = 0; j < classes; ++j) total += std::exp(static_cast<double>(z[j]) - top);
    const double log_total = std::log(total);
    // -log(exp(z_label - top) / total), without forming a probability that could underflow.
    loss += log_total - (static_cast<double>(z[labels[i]]) - top);
    if (dlogits) {
      T* g = dlogits + i * classes;
      for (index_t j = 0; j < classes; ++j) {
        const double p = std::exp(static_cast<double>(z[j]) - top - log_total);
        g[j] = static_cast<T>((p - (j == labels[i] ? 1.0 : 0.0)) * inv_n);
      }
    }
  }
  return loss * inv_n;
}

// How many samples have their label as the (first) largest logit.
template <class T>
index_t count_correct(const T* logits, const std::int32_t* labels, index_t n, index_t classes) {
  require(classes > 0, "top-1 accuracy needs at least one class");
  detail::check_labels(labels, n, classes);
  index_t correct = 0;
  for (index_t i = 0; i < n; ++i) correct += detail::row_argmax(logits + i * classes, classes) == labels[i];
  return correct;
}

}  // namespace tinycnn::kernels::inline TINYCNN_ISA_NAMESPACE
