// The TensorFlow tutorial's mnist_deep CNN (tensorflow/examples/tutorials/mnist/mnist_deep.py):
// two 5x5 SAME convolutions with ReLU and 2x2 max pooling, a 1024-unit dense layer, dropout 0.5
// and 10 outputs. Weights start as truncated normals with stddev 0.1, biases at 0.1, as there.
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

namespace mnist_detail {
using Weights = TruncatedNormal<std::ratio<1, 10>>;
using Bias = BiasInit<std::ratio<1, 10>>;
}  // namespace mnist_detail

using MnistDeep = Sequential<
    Conv2D<32, 5, Pad::Same, mnist_detail::Weights, mnist_detail::Bias>, ReLU, MaxPool<2, Pad::Same>,  // 28 -> 14
    Conv2D<64, 5, Pad::Same, mnist_detail::Weights, mnist_detail::Bias>, ReLU, MaxPool<2, Pad::Same>,  // 14 -> 7
    Flatten,
    Dense<1024, mnist_detail::Weights, mnist_detail::Bias>, ReLU,
    Dropout<Percent<50>>,
    Dense<10, mnist_detail::Weights, mnist_detail::Bias>>;

using MnistInput = Input<28, 28, 1>;

}  // namespace tinycnn::models
