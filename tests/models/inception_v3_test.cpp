#include <doctest/doctest.h>

#include <type_traits>

#include "models/model_check.hpp"
#include "tinycnn/models/inception_v3.hpp"

using namespace tinycnn;
using Net = Network<models::InceptionV3, float, models::InceptionV3Input::dims>;

static_assert(Net::num_params == 23'819'401, "InceptionV3 must have the TF benchmark's trainable parameter count");
static_assert(std::is_same_v<Net::out_dims, Dims<1, 1, 1001>>);

TEST_CASE("InceptionV3: 11.4 GFLOP forward per image") { test::check_flops(Net::flops_per_image, 11.4); }

TEST_CASE("InceptionV3: one training step at 299x299 gives a loss near log(1001) and gradients everywhere") {
  test::check_step(test::one_training_step<models::InceptionV3>(models::InceptionV3Input{}, 2, 3 * 3 * 3 * 32));
}
