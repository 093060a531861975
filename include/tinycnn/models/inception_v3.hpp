// Inception v3 (Szegedy et al., arXiv:1512.00567) as the TensorFlow CNN benchmark builds it
// (tf_cnn_benchmarks/models/inception_model.py, model "inception3"): 299x299 input, every
// convolution followed by batch norm (the builder's defaults: epsilon 1e-3, decay 0.999,
// scale=False, so beta only) and ReLU, no convolution biases, auxiliary head off (its default),
// an 8x8 average pool, no dropout, 1001 logits. Module names follow the benchmark's comments
// (mixed ... mixed_10); convolutions are SAME and stride 1 unless written otherwise there too.
//
// Where the benchmark differs from slim's inception_v3 (the usual reference), this follows the
// benchmark: the last module (mixed_10) pools its fourth branch with max, not average; batch norm
// decay is 0.999, not 0.9997; and there is no dropout before the logits.
#pragma once
#include <ratio>

#include "tinycnn/graph/concat.hpp"
#include "tinycnn/graph/repeat.hpp"
#include "tinycnn/graph/sequential.hpp"
#include "tinycnn/layers/batch_norm.hpp"
#include "tinycnn/layers/conv2d.hpp"
#include "tinycnn/layers/dense.hpp"
#include "tinycnn/layers/pooling.hpp"
#include "tinycnn/layers/relu.hpp"

namespace tinycnn::models {

namespace inception_detail {
using BN = BatchNorm<Epsilon<std::ratio<1, 1000>>, Momentum<std::ratio<999, 1000>>, NoGamma>;

// The benchmark's cnn.conv with use_batch_norm: convolution, batch norm, ReLU.
template <index_t Filters, Kernel K, class... Opts>
using Conv = Sequential<Conv2D<Filters, K, NoBias, Opts...>, BN, ReLU>;

template <index_t Filters>
using Conv3x3s2 = Conv<Filters, 3, Stride<2>, Pad::Valid>;

using Pool3x3s1 = AvgPool<3, Stride<1>, Pad::Same>;
using MaxPool3x3s2 = MaxPool<3, Stride<2>>;  // VALID
}  // namespace inception_detail

namespace inception_v3 {
using inception_detail::Conv;
using inception_detail::Conv3x3s2;

// 35x35: 1x1 | 1x1 -> 5x5 | 1x1 -> 3x3 -> 3x3 | avg pool -> 1x1 (PoolFilters).
template <index_t PoolFilters>
using ModuleA = Concat<
    Conv<64, 1>,
    Sequential<Conv<48, 1>, Conv<64, 5>>,
    Sequential<Conv<64, 1>, Conv<96, 3>, Conv<96, 3>>,
    Sequential<inception_detail::Pool3x3s1, Conv<PoolFilters, 1>>>;

// 35x35 -> 17x17: 3x3/2 | 1x1 -> 3x3 -> 3x3/2 | max pool 3x3/2.
using ModuleB = Concat<
    Conv3x3s2<384>,
    Sequential<Conv<64, 1>, Conv<96, 3>, Conv3x3s2<96>>,
    inception_detail::MaxPool3x3s2>;

// 17x17 with factorised 7x7s (N channels inside): 1x1 | 1x1 -> 1x7 -> 7x1 |
// 1x1 -> 7x1 -> 1x7 -> 7x1 -> 1x7 | avg pool -> 1x1.
template <index_t N>
using ModuleC = Concat<
    Conv<192, 1>,
    Sequential<Conv<N, 1>, Conv<N, Kernel{1, 7}>, Conv<192, Kernel{7, 1}>>,
    Sequential<Conv<N, 1>, Conv<N, Kernel{7, 1}>, Conv<N, Kernel{1, 7}>, Conv<N, Kernel{7, 1}>,
               Conv<192, Kernel{1, 7}>>,
    Sequential<inception_detail::Pool3x3s1, Conv<192, 1>>>;

// 17x17 -> 8x8: 1x1 -> 3x3/2 | 1x1 -> 1x7 -> 7x1 -> 3x3/2 | max pool 3x3/2.
using ModuleD = Concat<
    Sequential<Conv<192, 1>, Conv3x3s2<320>>,
    Sequential<Conv<192, 1>, Conv<192, Kernel{1, 7}>, Conv<192, Kernel{7, 1}>, Conv3x3s2<192>>,
    inception_detail::MaxPool3x3s2>;

// 8x8 with expanded filter banks. In the benchmark the 1x3 and 3x1 columns "share" the layers
// before them; here that shared stem is written once, with the split as a nested Concat, which
// gives the same channel order (1x3 then 3x1) and the same parameters.
template <class Pool>
using ModuleE = Concat<
    Conv<320, 1>,
    Sequential<Conv<384, 1>, Concat<Conv<384, Kernel{1, 3}>, Conv<384, Kernel{3, 1}>>>,
    Sequential<Conv<448, 1>, Conv<384, 3>, Concat<Conv<384, Kernel{1, 3}>, Conv<384, Kernel{3, 1}>>>,
    Sequential<Pool, Conv<192, 1>>>;
}  // namespace inception_v3

using InceptionV3 = Sequential<
    inception_v3::Conv<32, 3, Stride<2>, Pad::Valid>,  // 299 -> 149
    inception_v3::Conv<32, 3, Pad::Valid>,             // 149 -> 147
    inception_v3::Conv<64, 3>,                         // 147
    MaxPool<3, Stride<2>>,                             // 147 -> 73
    inception_v3::Conv<80, 1, Pad::Valid>,             // 73
    inception_v3::Conv<192, 3, Pad::Valid>,            // 73 -> 71
    MaxPool<3, Stride<2>>,                             // 71 -> 35
    inception_v3::ModuleA<32>,                         // mixed:       35x35x256
    inception_v3::ModuleA<64>,                         // mixed_1:     35x35x288
    inception_v3::ModuleA<64>,                         // mixed_2
    inception_v3::ModuleB,                             // mixed_3:     17x17x768
    inception_v3::ModuleC<128>,                        // mixed_4:     17x17x768
    Repeat<2, inception_v3::ModuleC<160>>,             // mixed_5, _6
    inception_v3::ModuleC<192>,                        // mixed_7
    inception_v3::ModuleD,                             // mixed_8:     8x8x1280
    inception_v3::ModuleE<AvgPool<3, Stride<1>, Pad::Same>>,  // mixed_9:  8x8x2048
    inception_v3::ModuleE<MaxPool<3, Stride<1>, Pad::Same>>,  // mixed_10: 8x8x2048
    AvgPool<8, Stride<1>>,                             // 8x8 -> 1x1, VALID
    Dense<1001, ScaledTruncatedNormal<std::ratio<1>>>>;  // linear logits: stddev sqrt(1 / fan_in)

using InceptionV3Input = Input<299, 299, 3>;

}  // namespace tinycnn::models
