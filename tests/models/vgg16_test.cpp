#include <doctest/doctest.h>

#include <type_traits>

#include "models/model_check.hpp"
#include "tinycnn/models/vgg16.hpp"

using namespace tinycnn;
using Net = Network<models::VGG16, float, models::VGG16Input::dims>;

static_assert(Net::num_params == 138'361'641, "VGG16 must have the TF benchmark's trainable parameter count");
static_assert(std::is_same_v<Net::out_dims, Dims<1, 1, 1001>>);

TEST_CASE("VGG16: 30.9 GFLOP forward per image") { test::check_flops(Net::flops_per_image, 30.9); }

// Batch 1: a step is already ~90 GFLOP.
TEST_CASE("VGG16: one training step at 224x224 gives a loss near log(1001) and gradients everywhere") {
  test::check_step(test::one_training_step<models::VGG16>(models::VGG16Input{}, 1, 3 * 3 * 3 * 64));
}
