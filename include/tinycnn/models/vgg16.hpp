// VGG16 (configuration D of Simonyan & Zisserman, arXiv:1409.1556) as the TensorFlow CNN
// benchmark builds it (tf_cnn_benchmarks/models/vgg_model.py): 3x3 SAME convolutions with bias
// and ReLU, no batch norm, in five stages of 2, 2, 3, 3, 3 convolutions, each stage ended by a
// 2x2/2 max pool; then two 4096-unit dense layers with ReLU and dropout 0.5, and 1001 logits.
#pragma once
#include <ratio>
#include <utility>

#include "tinycnn/graph/sequential.hpp"
#include "tinycnn/layers/conv2d.hpp"
#include "tinycnn/layers/dense.hpp"
#include "tinycnn/layers/dropout.hpp"
#include "tinycnn/layers/flatten.hpp"
#include "tinycnn/layers/pooling.hpp"
#include "tinycnn/layers/relu.hpp"

namespace tinycnn::models {

namespace vgg_detail {
template <std::size_t Convs, index_t Filters, class = std::make_index_sequence<Convs>>
struct Stage;
template <std::size_t Convs, index_t Filters, std::size_t... I>
struct Stage<Convs, Filters, std::index_sequence<I...>> {
  template <std::size_t>
  using ConvReLU = Sequential<Conv2D<Filters, 3>, ReLU>;
  using type = SequentialCat<ConvReLU<I>..., Sequential<MaxPool<2>>>;
};
}  // namespace vgg_detail

// Convs x (3x3 convolution, ReLU), then the 2x2/2 max pool.
template <std::size_t Convs, index_t Filters>
using VggStage = typename vgg_detail::Stage<Convs, Filters>::type;

// The parts joined into one flat chain (SequentialCat): its children are leaves, so backward
// keeps their gradients in their own dead activations (graph/sequential.hpp) instead of each
// nested container's scratch buffers.
using VGG16 = SequentialCat<
    VggStage<2, 64>,   // 224 -> 112
    VggStage<2, 128>,  // 112 -> 56
    VggStage<3, 256>,  // 56 -> 28
    VggStage<3, 512>,  // 28 -> 14
    VggStage<3, 512>,  // 14 -> 7
    Sequential<Flatten,  // 7 * 7 * 512 = 25088
               Dense<4096>, ReLU, Dropout<Percent<50>>,
               Dense<4096>, ReLU, Dropout<Percent<50>>,
               Dense<1001, ScaledTruncatedNormal<std::ratio<1>>>>>;

using VGG16Input = Input<224, 224, 3>;

}  // namespace tinycnn::models
