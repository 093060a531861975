// A dataset in memory, and the walk over it in batches that a training loop needs: an epoch's
// visiting order (shuffled from a seed, so that one seed gives the same order everywhere) and the
// gathering of the examples of one batch into contiguous buffers.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "tinycnn/core/error.hpp"
#include "tinycnn/core/random.hpp"
#include "tinycnn/core/shape.hpp"
#include "tinycnn/core/tensor.hpp"

namespace tinycnn {

// Images as NHWC floats, [n, rows, cols, channels], and one integer label per image.
struct Dataset {
  Tensor<float> images;
  std::vector<std::int32_t> labels;

  index_t size() const { return static_cast<index_t>(labels.size()); }
  Shape image_shape() const { return Shape{1, images.shape().h, images.shape().w, images.shape().c}; }
};

// Shuffles in place (Fisher-Yates over Rng::below), so a seed gives the same order everywhere.
inline void shuffle_indices(std::span<index_t> indices, Rng& rng) {
  for (std::size_t i = indices.size(); i > 1; --i) {
    auto j = static_cast<std::size_t>(rng.below(i));
    std::swap(indices[i - 1], indices[j]);
  }
}

// The visiting order of one epoch: 0..n-1, shuffled when an Rng is given.
inline std::vector<index_t> epoch_order(index_t n, Rng* rng = nullptr) {
  require(n >= 0, "epoch_order: negative dataset size");
  std::vector<index_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), index_t{0});
  if (rng) shuffle_indices(order, *rng);
  return order;
}

// Gathers the examples at `indices` into a contiguous batch: images becomes [indices.size(), h,
// w, c] (reallocated only when the size changes), labels gets one entry per index.
template <class T>
void copy_batch(const Dataset& ds, std::span<const index_t> indices, Tensor<T>& images,
                std::vector<std::int32_t>& labels) {
  const Shape one = ds.image_shape();
  const index_t per = one.image_size();
  const auto b = static_cast<index_t>(indices.size());
  for (index_t idx : indices)
    require(idx >= 0 && idx < ds.size(), "copy_batch: index " + std::to_string(idx) +
                                             " is outside the dataset of " + std::to_string(ds.size()) +
                                             " examples");
  images.reshape(Shape{b, one.h, one.w, one.c});
  labels.resize(static_cast<std::size_t>(b));
  for (index_t k = 0; k < b; ++k) {
    const index_t i = indices[static_cast<std::size_t>(k)];
    const float* src = ds.images.data() + i * per;
    T* dst = images.data() + k * per;
    if constexpr (std::is_same_v<T, float>) {
      std::memcpy(dst, src, static_cast<std::size_t>(per) * sizeof(float));
    } else {
      for (index_t j = 0; j < per; ++j) dst[j] = static_cast<T>(src[j]);
    }
    labels[static_cast<std::size_t>(k)] = ds.labels[static_cast<std::size_t>(i)];
  }
}

// Batch number `batch` of an epoch order (the last one may be short).
template <class T>
void copy_batch(const Dataset& ds, std::span<const index_t> order, index_t batch, index_t batch_size,
                Tensor<T>& images, std::vector<std::int32_t>& labels) {
  require(batch_size > 0, "copy_batch: batch size must be positive");
  const auto n = static_cast<index_t>(order.size());
  const index_t begin = batch * batch_size;
  require(batch >= 0 && begin < n, "copy_batch: batch " + std::to_string(batch) +
                                       " is past the end of an epoch of " + std::to_string(n) +
                                       " examples");
  const index_t end = std::min(n, begin + batch_size);
  copy_batch(ds, order.subspan(static_cast<std::size_t>(begin), static_cast<std::size_t>(end - begin)),
             images, labels);
}

}  // namespace tinycnn
