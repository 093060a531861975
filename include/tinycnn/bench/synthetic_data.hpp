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

template <class T = float>
SyntheticBatch<T> make_synthetic_batch(index_t batch, index_t image_size, index_t label_values,
                                       std::uint64_t seed) {
  require(batch > 0 && image_size > 0, "synthetic data needs a positive batch and image size");
  require(label_values > 0, "synthetic labels need at least one value");
  Rng rng(seed);
  SyntheticBatch<T> b;
  b.images.resize(batch * image_size);
  T* x = b.images.data();
  for (index_t i = 0; i < batch * image_size; ++i)
    x[i] = static_cast<T>(rng.truncated_normal(127.0, 60.0) / 127.5 - 1.0);
  b.labels.resize(std::size_t(batch));
  for (auto& l : b.labels) l = static_cast<std::int32_t>(rng.below(std::uint64_t(label_values)));
  return b;
}

}  // namespace tinycnn::bench
