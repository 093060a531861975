#include <doctest/doctest.h>

#include <type_traits>

#include "models/model_check.hpp"
#include "tinycnn/models/inception_v3.hpp"

using namespace tinycnn;
using Net = Network<models::InceptionV3, float, models::InceptionV3Input::dims>;

static_assert(Net::num_params == 23'819'401, "InceptionV3 must have the TF benchmark's trainable parameter count");
static_assert(std::is_same_v<Net::out_dims, Dims<1, 1, 1001>>);

TEST_CASE("InceptionV3: 11.4 GFLOP forward per image") { test::check_flops(Net::flops_per_image, 11.4); }

// The double-precision network's first step; model_check.hpp says how to regenerate it.
const test::Reference kInceptionV3Reference{
    .first_logits = {
     0.478518626293, -0.304620021744, 0.00100154754894, -0.558464405398,
     0.268684955153, 0.0864722043274, -0.276466181283, -0.505618895992,
     0.508369804177, -0.100476025184, 0.0394744612596, -0.438254864306,
     0.254799493987, 0.0504478028395, -0.227955549608, -0.566833393528},
    .sum = -12.0766163557,
    .sum_of_squares = 263.675806333,
    .loss = 6.77504401566};
// Measured worst distances of the float run, over 1 to 16 threads, in both builds.
constexpr test::Tolerance kInceptionV3Tolerance{
    .logit = 2e-4,              // measured worst 3.23e-5
    .sum = 1e-3,                // measured worst 1.97e-4
    .sum_of_squares = 2e-3,     // measured worst 3.19e-4
    .loss = 1e-4};              // measured worst 1.83e-5

TEST_CASE("InceptionV3: one training step at 299x299 matches the reference logits and loss, with gradients everywhere") {
  test::check_step(test::one_training_step<models::InceptionV3>(models::InceptionV3Input{}, 2, 3 * 3 * 3 * 32),
                   kInceptionV3Reference, kInceptionV3Tolerance);
}
