// ResNet with bottleneck blocks (He et al., arXiv:1512.03385, Table 1) as the TensorFlow CNN
// benchmark builds it (tf_cnn_benchmarks/models/resnet_model.py and convnet_builder.py):
//
//   ResNet50, ResNet152   v1 as on branch cnn_tf_v1.5_compatible, the benchmark's default
//                         "resnet50" / "resnet152": the stride of a stage's first block is on its
//                         first 1x1 convolution; batch norm epsilon 1e-5, decay 0.997, with gamma;
//                         the stem's 3x3/2 max pool is VALID, so conv2_x runs at 55x55 (not 56).
//   ResNet50V15           "resnet50_v1.5", which exists only on master: the stride is on the 3x3
//                         convolution; master also changed the batch norm decay to 0.9 and the
//                         stem pool to SAME (56x56), and both are kept here so this model is
//                         master's exactly. Same parameters as ResNet50, more FLOPs.
//
// Every convolution is followed by batch norm and therefore has no bias. A stage's first block
// changes the channel count, so its shortcut is a projection (1x1 convolution with the block's
// stride, then batch norm); the other blocks add their input unchanged. The ReLU comes after the
// sum. The stem 7x7/2 convolution and the strided 3x3 of v1.5 use the benchmark's SAME_RESNET
// padding: (k - 1) / 2 on each side whatever the input size, which for odd k is Pad::Explicit,
// unlike TensorFlow's SAME, which would pad 0 before and 1 after on an even input.
#pragma once
#include <cstddef>
#include <ratio>
#include <type_traits>

#include "tinycnn/graph/repeat.hpp"
#include "tinycnn/graph/residual.hpp"
#include "tinycnn/graph/sequential.hpp"
#include "tinycnn/layers/batch_norm.hpp"
#include "tinycnn/layers/conv2d.hpp"
#include "tinycnn/layers/dense.hpp"
#include "tinycnn/layers/flatten.hpp"
#include "tinycnn/layers/pooling.hpp"
#include "tinycnn/layers/relu.hpp"

namespace tinycnn::models {

namespace resnet_detail {
// convnet_builder's SAME_RESNET: plain SAME at stride 1, fixed symmetric padding otherwise.
template <index_t K, index_t S>
using ResNetPad = std::conditional_t<S == 1, Pad::Same, Pad::Explicit<(K - 1) / 2>>;
}  // namespace resnet_detail

// The main path of a bottleneck block: 1x1 down to Neck channels, 3x3, 1x1 up to Depth. The
// last batch norm has no ReLU: that comes after the shortcut is added.
template <index_t Depth, index_t Neck, index_t S, class BN>
using BottleneckV1 = Sequential<
    Conv2D<Neck, 1, Stride<S>, NoBias>, BN, ReLU,
    Conv2D<Neck, 3, NoBias>, BN, ReLU,
    Conv2D<Depth, 1, NoBias>, BN>;

template <index_t Depth, index_t Neck, index_t S, class BN>
using BottleneckV15 = Sequential<
    Conv2D<Neck, 1, NoBias>, BN, ReLU,
    Conv2D<Neck, 3, Stride<S>, resnet_detail::ResNetPad<3, S>, NoBias>, BN, ReLU,
    Conv2D<Depth, 1, NoBias>, BN>;

// What differs between the benchmark's ResNet versions.
struct ResNetV1Recipe {  // cnn_tf_v1.5_compatible
  using BN = BatchNorm<Epsilon<std::ratio<1, 100000>>, Momentum<std::ratio<997, 1000>>>;
  using StemPoolPad = Pad::Valid;
  template <index_t Depth, index_t Neck, index_t S>
  using Main = BottleneckV1<Depth, Neck, S, BN>;
};
struct ResNetV15Recipe {  // master
  using BN = BatchNorm<Epsilon<std::ratio<1, 100000>>, Momentum<std::ratio<9, 10>>>;
  using StemPoolPad = Pad::Same;
  template <index_t Depth, index_t Neck, index_t S>
  using Main = BottleneckV15<Depth, Neck, S, BN>;
};

// A stage (conv2_x ... conv5_x): a first block with a projection shortcut and the stage's
// stride, then Blocks - 1 identical blocks with identity shortcuts.
template <class Recipe, std::size_t Blocks, index_t Depth, index_t Neck, index_t S>
using ResNetStage = Sequential<
    Residual<typename Recipe::template Main<Depth, Neck, S>,
             Sequential<Conv2D<Depth, 1, Stride<S>, NoBias>, typename Recipe::BN>>,
    ReLU,
    Repeat<Blocks - 1, Sequential<Residual<typename Recipe::template Main<Depth, Neck, 1>>, ReLU>>>;

// conv1 and the pool: 224 -> 112 -> 55 (VALID pool) or 56 (SAME pool).
template <class Recipe>
using ResNetStem = Sequential<
    Conv2D<64, 7, Stride<2>, resnet_detail::ResNetPad<7, 2>, NoBias>, typename Recipe::BN, ReLU,
    MaxPool<3, Stride<2>, typename Recipe::StemPoolPad>>;

// The parts joined into one flat chain (SequentialCat), which needs less backward memory than
// a Sequential of Sequentials.
template <class Recipe, std::size_t N2, std::size_t N3, std::size_t N4, std::size_t N5>
using ResNet = SequentialCat<
    ResNetStem<Recipe>,
    ResNetStage<Recipe, N2, 256, 64, 1>,                  // conv2_x: 55x55 or 56x56
    ResNetStage<Recipe, N3, 512, 128, 2>,                 // conv3_x: 28x28
    ResNetStage<Recipe, N4, 1024, 256, 2>,                // conv4_x: 14x14
    ResNetStage<Recipe, N5, 2048, 512, 2>,                // conv5_x: 7x7
    Sequential<GlobalAvgPool,
               Dense<1001, ScaledTruncatedNormal<std::ratio<1>>>>>;  // linear logits: stddev sqrt(1 / fan_in)

using ResNet50 = ResNet<ResNetV1Recipe, 3, 4, 6, 3>;
using ResNet152 = ResNet<ResNetV1Recipe, 3, 8, 36, 3>;
using ResNet50V15 = ResNet<ResNetV15Recipe, 3, 4, 6, 3>;

using ResNet50Input = Input<224, 224, 3>;
using ResNet152Input = Input<224, 224, 3>;
using ResNet50V15Input = Input<224, 224, 3>;

}  // namespace tinycnn::models
