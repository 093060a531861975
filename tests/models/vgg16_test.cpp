#include <doctest/doctest.h>

#include <type_traits>

#include "models/model_check.hpp"
#include "tinycnn/models/vgg16.hpp"

using namespace tinycnn;
using Net = Network<models::VGG16, float, models::VGG16Input::dims>;

static_assert(Net::num_params == 138'361'641, "VGG16 must have the TF benchmark's trainable parameter count");
static_assert(std::is_same_v<Net::out_dims, Dims<1, 1, 1001>>);

TEST_CASE("VGG16: 30.9 GFLOP forward per image") { test::check_flops(Net::flops_per_image, 30.9); }

// The double-precision network's first step; model_check.hpp says how to regenerate it.
const test::Reference kVGG16Reference{
    .first_logits = {
     -0.00406034632106, -0.00205191101194, 0.00615361256056, 0.00242519195268,
     -0.00119740141541, -0.000483124356194, 0.0021700880334, 0.000419888137715},
    .sum = 0.018231307344,
    .sum_of_squares = 0.0109874658126,
    .loss = 6.90891516125};
// Measured worst distances of the float run, over 1 to 16 threads, in both builds.
constexpr test::Tolerance kVGG16Tolerance{
    .logit = 1e-7,              // measured worst 1.85e-8
    .sum = 1e-6,                // measured worst 1.92e-7
    .sum_of_squares = 1e-8,     // measured worst 1.39e-9
    .loss = 2e-8};              // measured worst 3.40e-9

// Batch 1: a step is already ~90 GFLOP.
TEST_CASE("VGG16: one training step at 224x224 matches the reference logits and loss, with gradients everywhere") {
  test::check_step(test::one_training_step<models::VGG16>(models::VGG16Input{}, 1, 3 * 3 * 3 * 64),
                   kVGG16Reference, kVGG16Tolerance);
}
