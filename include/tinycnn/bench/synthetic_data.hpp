// Synthetic input as tf_cnn_benchmarks makes it: one batch drawn once and fed to every step, so
// the benchmark measures the model, not the input pipeline. Pixels are a truncated normal with
// mean 127 and standard deviation 60 (so within [7, 247]) rescaled to [-1, 1] as x / 127.5 - 1;
// labels are uniform in [0, label_values). The TensorFlow benchmark draws labels below
// nclass - 1 = 1000 for its 1001-class models (class 0 is ImageNet's "background"); models
// without that extra class (mnist_deep) use all their classes.
#pragma once
#include <cstdint>
#include <vector>

#include "tinycnn/core/aligned_buffer.hpp"
#include "tinycnn/core/error.hpp"
#include "tinycnn/core/random.hpp"
#include "tinycnn/core/shape.hpp"

namespace tinycnn::bench {

template <class T>
struct SyntheticBatch {
  AlignedBuffer<T> images;             // batch x image_size, NHWC
  std::vector<std::int32_t> labels;    // batch
};

// Rows [first, first + rows) of the global batch of `global` images that make_synthetic_batch
// draws: a distributed run's worker takes its slice of one draw, so that the workers' batches
// together are a single process's global batch. The draw is a stream (the truncated normal is
// rejection-sampled, so it has no skip-ahead): every worker draws it all and keeps its rows.
template <class T = float>
SyntheticBatch<T> make_synthetic_slice(index_t global, index_t first, index_t rows, index_t image_size,
                                       index_t label_values, std::uint64_t seed) {
  require(global > 0 && image_size > 0, "synthetic data needs a positive batch and image size");
  require(label_values > 0, "synthetic labels need at least one value");
  require(first >= 0 && rows > 0 && first <= global - rows, "a synthetic slice must lie inside its global batch");
  Rng rng(seed);
  SyntheticBatch<T> b;
  b.images.resize(rows * image_size);
  const index_t begin = first * image_size, end = (first + rows) * image_size;
  T* x = b.images.data();
  for (index_t i = 0; i < global * image_size; ++i) {
    const double v = rng.truncated_normal(127.0, 60.0) / 127.5 - 1.0;
    if (i >= begin && i < end) x[i - begin] = static_cast<T>(v);
  }
  b.labels.resize(std::size_t(rows));
  for (index_t i = 0; i < global; ++i) {
    const auto label = static_cast<std::int32_t>(rng.below(std::uint64_t(label_values)));
    if (i >= first && i < first + rows) b.labels[std::size_t(i - first)] = label;
  }
  return b;
}

template <class T = float>
SyntheticBatch<T> make_synthetic_batch(index_t batch, index_t image_size, index_t label_values,
                                       std::uint64_t seed) {
  return make_synthetic_slice<T>(batch, 0, batch, image_size, label_values, seed);
}

}  // namespace tinycnn::bench
