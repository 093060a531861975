#include <doctest/doctest.h>

#include <type_traits>

#include "models/model_check.hpp"
#include "tinycnn/models/resnet.hpp"

using namespace tinycnn;
using Net = Network<models::ResNet152, float, models::ResNet152Input::dims>;

static_assert(Net::num_params == 60'194'857, "ResNet-152 must have the TF benchmark's trainable parameter count");
static_assert(std::is_same_v<Net::out_dims, Dims<1, 1, 1001>>);

TEST_CASE("ResNet-152: 22.5 GFLOP forward per image") { test::check_flops(Net::flops_per_image, 22.5); }

TEST_CASE("ResNet-152: one training step at 224x224 gives a loss near log(1001) and gradients everywhere") {
  test::check_step(test::one_training_step<models::ResNet152>(models::ResNet152Input{}, 2, 7 * 7 * 3 * 64));
}
