// The TensorFlow CNN benchmark's "trivial" model (tf_cnn_benchmarks/models/trivial_model.py):
// the 227x227x3 image flattened, a 1-unit ReLU layer, a 4096-unit ReLU layer and the benchmark's
// usual 1001-way linear logits. It does almost no arithmetic per image, so it measures the
// framework's per-step overhead (input handling, the optimizer loop over ~4.26 M parameters)
// rather than the kernels. Default batch 32, learning rate 0.005.
#pragma once
#include <ratio>

#include "tinycnn/graph/sequential.hpp"
#include "tinycnn/layers/dense.hpp"
#include "tinycnn/layers/flatten.hpp"
#include "tinycnn/layers/relu.hpp"

namespace tinycnn::models {

using Trivial = Sequential<
    Flatten,                // 227 * 227 * 3 = 154587
    Dense<1>, ReLU,
    Dense<4096>, ReLU,
    Dense<1001, ScaledTruncatedNormal<std::ratio<1>>>>;  // the last affine is linear: stddev sqrt(1 / fan_in)

using TrivialInput = Input<227, 227, 3>;

}  // namespace tinycnn::models
