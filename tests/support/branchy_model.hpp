// A small model with every kind of leaf ordering the gradient hook and the policies must handle.
// Leaves with parameters, numbered in forward order: a Residual with a projection shortcut and
// a Concat with branches of one and three such leaves and one without any; batch norm (state)
// included. Tail... ends it after the Flatten (its last leaf with parameters is number 10).
#pragma once
#include "tinycnn/graph/concat.hpp"
#include "tinycnn/graph/residual.hpp"
#include "tinycnn/graph/sequential.hpp"
#include "tinycnn/layers/batch_norm.hpp"
#include "tinycnn/layers/conv2d.hpp"
#include "tinycnn/layers/flatten.hpp"
#include "tinycnn/layers/pooling.hpp"
#include "tinycnn/layers/relu.hpp"

namespace tinycnn::test {

template <class... Tail>
using Branchy = Sequential<Conv2D<4, 3>, BatchNorm<>, ReLU,                              // 0, 1
                           Residual<Sequential<Conv2D<4, 3, NoBias>, BatchNorm<>, ReLU,  // 2, 3
                                               Conv2D<4, 3>>,                            // 4
                                    Conv2D<4, 1, NoBias>>,                               // 5
                           Concat<Sequential<Conv2D<3, 1>, ReLU>,                        // 6
                                  Sequential<Conv2D<2, 3>, BatchNorm<>, ReLU,            // 7, 8
                                             Conv2D<2, 1>>,                              // 9
                                  AvgPool<3, Stride<1>, Pad::Same>>,
                           Flatten, Tail...>;

}  // namespace tinycnn::test
