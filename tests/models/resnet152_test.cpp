#include <doctest/doctest.h>

#include <type_traits>

#include "models/model_check.hpp"
#include "tinycnn/models/resnet.hpp"

using namespace tinycnn;
using Net = Network<models::ResNet152, float, models::ResNet152Input::dims>;

static_assert(Net::num_params == 60'194'857, "ResNet-152 must have the TF benchmark's trainable parameter count");
static_assert(std::is_same_v<Net::out_dims, Dims<1, 1, 1001>>);

TEST_CASE("ResNet-152: 22.5 GFLOP forward per image") { test::check_flops(Net::flops_per_image, 22.5); }

// The double-precision network's first step; model_check.hpp says how to regenerate it.
const test::Reference kResNet152Reference{
    .first_logits = {
     0.786323770044, -1.20399116003, -0.565460826385, -0.193075528983,
     0.749480573205, -0.405927434582, -0.297522630079, -0.556794118466,
     0.745647605486, -1.4274280286, -0.690964158969, -0.186817600756,
     0.585782529311, -0.0826787638921, -0.284419759295, -0.528020952808},
    .sum = -115.340223442,
    .sum_of_squares = 1695.11488848,
    .loss = 7.00848708872};
// Measured worst distances of the float run, over 1 to 16 threads, in both builds.
constexpr test::Tolerance kResNet152Tolerance{
    .logit = 4e-3,              // measured worst 7.20e-4
    .sum = 0.1,                 // measured worst 1.72e-2
    .sum_of_squares = 0.2,      // measured worst 3.19e-2
    .loss = 3e-3};              // measured worst 4.66e-4

TEST_CASE("ResNet-152: one training step at 224x224 matches the reference logits and loss, with gradients everywhere") {
  test::check_step(test::one_training_step<models::ResNet152>(models::ResNet152Input{}, 2, 7 * 7 * 3 * 64),
                   kResNet152Reference, kResNet152Tolerance);
}
