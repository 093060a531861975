// ResNet-50 v1 (the benchmark's "resnet50") and v1.5; ResNet-152 has its own file so that
// the two compile in parallel and neither needs much memory.
#include <doctest/doctest.h>

#include <type_traits>

#include "models/model_check.hpp"
#include "tinycnn/models/resnet.hpp"

using namespace tinycnn;
using Net = Network<models::ResNet50, float, models::ResNet50Input::dims>;
using NetV15 = Network<models::ResNet50V15, float, models::ResNet50V15Input::dims>;

static_assert(Net::num_params == 25'559'081, "ResNet-50 must have the TF benchmark's trainable parameter count");
static_assert(NetV15::num_params == 25'559'081, "moving the stride does not change the parameters");
static_assert(std::is_same_v<Net::out_dims, Dims<1, 1, 1001>>);
static_assert(std::is_same_v<NetV15::out_dims, Dims<1, 1, 1001>>);

// The benchmark's quirk, kept on purpose: on cnn_tf_v1.5_compatible the stem's 3x3/2 max pool is
// VALID, so conv2_x runs at 55x55 (the paper and master: 56x56). The FLOP window alone cannot tell
// the two apart (+0.6 %).
static_assert(std::is_same_v<Network<models::ResNetStem<models::ResNetV1Recipe>, float, Dims<224, 224, 3>>::out_dims,
                             Dims<55, 55, 64>>);
static_assert(std::is_same_v<Network<models::ResNetStem<models::ResNetV15Recipe>, float, Dims<224, 224, 3>>::out_dims,
                             Dims<56, 56, 64>>);

TEST_CASE("ResNet-50 v1: 7.67 GFLOP forward per image") { test::check_flops(Net::flops_per_image, 7.67); }

// Not in the notes: 8.18 is the convolutions and the dense layer of master's resnet50_v1.5
// counted by hand. The 3x3 convolutions of a stage's first block now run before the stride, and
// the SAME stem pool gives 56x56 instead of 55x55.
TEST_CASE("ResNet-50 v1.5: 8.18 GFLOP forward per image") { test::check_flops(NetV15::flops_per_image, 8.18); }

TEST_CASE("ResNet-50 v1: one training step at 224x224 gives a loss near log(1001) and gradients everywhere") {
  test::check_step(test::one_training_step<models::ResNet50>(models::ResNet50Input{}, 2, 7 * 7 * 3 * 64));
}

TEST_CASE("ResNet-50 v1.5: one training step at 224x224 gives a loss near log(1001) and gradients everywhere") {
  test::check_step(test::one_training_step<models::ResNet50V15>(models::ResNet50V15Input{}, 2, 7 * 7 * 3 * 64));
}
