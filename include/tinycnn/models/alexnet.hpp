// AlexNet as the TensorFlow CNN benchmark builds it (tf_cnn_benchmarks/models/alexnet_model.py):
// the one-tower "One weird trick" variant (arXiv:1404.5997) with 64-192-384-384-256 filters, no
// local response normalisation, no filter groups and no batch norm. Input 227x227 so that the
// VALID 11x11/4 first convolution gives 55x55 (the benchmark asks for 224 + 3 for that reason).
// Every convolution has a bias (initial 0) and a ReLU; the two hidden dense layers are followed by
// ReLU and dropout 0.5, and the 1001-way logits start with stddev sqrt(1/fan_in) rather than
// sqrt(2/fan_in), because the benchmark's last affine is linear.
#pragma once
#include <ratio>

#include "tinycnn/graph/sequential.hpp"
#include "tinycnn/layers/conv2d.hpp"
#include "tinycnn/layers/dense.hpp"
#include "tinycnn/layers/dropout.hpp"
#include "tinycnn/layers/flatten.hpp"
#include "tinycnn/layers/pooling.hpp"
#include "tinycnn/layers/relu.hpp"

namespace tinycnn::models {

using AlexNet = Sequential<
    Conv2D<64, 11, Stride<4>, Pad::Valid>, ReLU, MaxPool<3, Stride<2>>,  // 227 -> 55 -> 27
    Conv2D<192, 5>, ReLU, MaxPool<3, Stride<2>>,                         // 27 -> 13
    Conv2D<384, 3>, ReLU,
    Conv2D<384, 3>, ReLU,
    Conv2D<256, 3>, ReLU, MaxPool<3, Stride<2>>,                         // 13 -> 6
    Flatten,                                                             // 6 * 6 * 256 = 9216
    Dense<4096>, ReLU, Dropout<Percent<50>>,
    Dense<4096>, ReLU, Dropout<Percent<50>>,
    Dense<1001, ScaledTruncatedNormal<std::ratio<1>>>>;

using AlexNetInput = Input<227, 227, 3>;

}  // namespace tinycnn::models
