#include <doctest/doctest.h>

#include <type_traits>

#include "models/model_check.hpp"
#include "tinycnn/models/alexnet.hpp"

using namespace tinycnn;
using Net = Network<models::AlexNet, float, models::AlexNetInput::dims>;

static_assert(Net::num_params == 61'842'345, "AlexNet must have the TF benchmark's trainable parameter count");
static_assert(std::is_same_v<Net::out_dims, Dims<1, 1, 1001>>);

TEST_CASE("AlexNet: 1.68 GFLOP forward per image") { test::check_flops(Net::flops_per_image, 1.68); }

// The double-precision network's first step; model_check.hpp says how to regenerate it.
const test::Reference kAlexNetReference{
    .first_logits = {
     -0.00370560683458, 0.149690262779, 0.0865167234305, -0.0806839766975,
     -0.0609750860168, -0.178559014925, 0.0376427008546, -0.0452106522636,
     -0.00467667533448, 0.00676764364955, -0.00147424940876, -0.0437715591961,
     -0.106436489483, -0.0611339170372, -0.0112669477626, 0.0423555733358},
    .sum = 0.594439072531,
    .sum_of_squares = 9.70012910381,
    .loss = 6.84527949958};
// Measured worst distances of the float run, over 1 to 16 threads, in both builds.
constexpr test::Tolerance kAlexNetTolerance{
    .logit = 1e-6,              // measured worst 1.71e-7
    .sum = 3e-6,                // measured worst 4.74e-7
    .sum_of_squares = 3e-6,     // measured worst 5.23e-7
    .loss = 2e-7};              // measured worst 3.63e-8

TEST_CASE("AlexNet: one training step at 227x227 matches the reference logits and loss, with gradients everywhere") {
  test::check_step(test::one_training_step<models::AlexNet>(models::AlexNetInput{}, 2, 11 * 11 * 3 * 64),
                   kAlexNetReference, kAlexNetTolerance);
}
