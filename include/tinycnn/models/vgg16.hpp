// VGG16 (configuration D of Simonyan & Zisserman, arXiv:1409.1556) as the TensorFlow CNN
// benchmark builds it (tf_cnn_benchmarks/models/vgg_model.py): 3x3 SAME convolutions with bias
// and ReLU, no batch norm, in five stages of 2, 2, 3, 3, 3 convolutions, each stage ended by a
// 2x2/2 max pool; then two 4096-unit dense layers with ReLU and dropout 0.5, and 1001 logits.
#pragma once
#include <ratio>

#include "tinycnn/graph/repeat.hpp"
#include "tinycnn/graph/sequential.hpp"
#include "tinycnn/layers/conv2d.hpp"
#include "tinycnn/layers/dense.hpp"
#include "tinycnn/layers/dropout.hpp"
#include "tinycnn/layers/flatten.hpp"
#include "tinycnn/layers/pooling.hpp"
#include "tinycnn/layers/relu.hpp"

namespace tinycnn::models {

namespace vgg_detail {
template <index_t Filters>
using Conv3x3 = Sequential<Conv2D<Filters, 3>, ReLU>;
}  // namespace vgg_detail

// Convs 3x3 convolutions of Filters each, then the pool that halves height and width. The first
// convolution changes the channel count, so only the others can be a Repeat.
template <std::size_t Convs, index_t Filters>
using VggStage = Sequential<vgg_detail::Conv3x3<Filters>, Repeat<Convs - 1, vgg_detail::Conv3x3<Filters>>, MaxPool<2>>;

using VGG16 = Sequential<
    VggStage<2, 64>,   // 224 -> 112
    VggStage<2, 128>,  // 112 -> 56
    VggStage<3, 256>,  // 56 -> 28
    VggStage<3, 512>,  // 28 -> 14
    VggStage<3, 512>,  // 14 -> 7
    Flatten,           // 7 * 7 * 512 = 25088
    Dense<4096>, ReLU, Dropout<Percent<50>>,
    Dense<4096>, ReLU, Dropout<Percent<50>>,
    Dense<1001, ScaledTruncatedNormal<std::ratio<1>>>>;

using VGG16Input = Input<224, 224, 3>;

}  // namespace tinycnn::models
