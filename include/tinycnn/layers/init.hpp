// Parameter initialisers, as the TensorFlow CNN benchmark and tutorial use them. Each is an
// option type (Conv2D<..., TruncatedNormal<std::ratio<1, 10>>>) with
//   static void fill(T* w, index_t n, index_t fan_in, index_t fan_out, Rng&).
#pragma once
#include <cmath>
#include <ratio>

#include "tinycnn/core/random.hpp"
#include "tinycnn/layers/options.hpp"

namespace tinycnn {

// Uniform in +-sqrt(6 / (fan_in + fan_out)): TensorFlow's default for conv weights.
struct GlorotUniform {
  using option_kind = option_kind::weight_init;
  template <class T>
  static void fill(T* w, index_t n, index_t fan_in, index_t fan_out, Rng& rng) {
    double limit = std::sqrt(6.0 / double(fan_in + fan_out));
    for (index_t i = 0; i < n; ++i) w[i] = static_cast<T>(rng.uniform(-limit, limit));
  }
};

// Truncated normal with a fixed standard deviation (the MNIST tutorial uses 0.1).
template <class StdDev>
struct TruncatedNormal {
  using option_kind = option_kind::weight_init;
  template <class T>
  static void fill(T* w, index_t n, index_t, index_t, Rng& rng) {
    double s = double(StdDev::num) / double(StdDev::den);
    for (index_t i = 0; i < n; ++i) w[i] = static_cast<T>(rng.truncated_normal(0.0, s));
  }
};

// Truncated normal with standard deviation sqrt(Scale / fan_in): the benchmark's dense layers use
// Scale = 2 (and 1 for the last layer).
template <class Scale = std::ratio<2>>
struct ScaledTruncatedNormal {
  using option_kind = option_kind::weight_init;
  template <class T>
  static void fill(T* w, index_t n, index_t fan_in, index_t, Rng& rng) {
    double s = std::sqrt(double(Scale::num) / double(Scale::den) / double(fan_in));
    for (index_t i = 0; i < n; ++i) w[i] = static_cast<T>(rng.truncated_normal(0.0, s));
  }
};

// Constant initial bias (zero unless a model says otherwise; the tutorial uses 0.1).
template <class Value = std::ratio<0>>
struct BiasInit {
  using option_kind = option_kind::bias_init;
  template <class T>
  static void fill(T* b, index_t n) {
    for (index_t i = 0; i < n; ++i) b[i] = static_cast<T>(double(Value::num) / double(Value::den));
  }
};

}  // namespace tinycnn
