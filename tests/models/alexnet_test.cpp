#include <doctest/doctest.h>

#include <type_traits>

#include "models/model_check.hpp"
#include "tinycnn/models/alexnet.hpp"

using namespace tinycnn;
using Net = Network<models::AlexNet, float, models::AlexNetInput::dims>;

static_assert(Net::num_params == 61'842'345, "AlexNet must have the TF benchmark's trainable parameter count");
static_assert(std::is_same_v<Net::out_dims, Dims<1, 1, 1001>>);

TEST_CASE("AlexNet: 1.68 GFLOP forward per image") { test::check_flops(Net::flops_per_image, 1.68); }

TEST_CASE("AlexNet: one training step at 227x227 gives a loss near log(1001) and gradients everywhere") {
  test::check_step(test::one_training_step<models::AlexNet>(models::AlexNetInput{}, 2, 11 * 11 * 3 * 64));
}
