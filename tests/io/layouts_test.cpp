// Weights and images from PyTorch's layouts (io/layouts.hpp): a small network's OIHW and OI
// weights, batch-norm statistics and NCHW images, stored with the logits PyTorch computed
// (tests/reference/make_torch_reference.py), give tinycnn the same logits to rounding.
#include <doctest/doctest.h>

#include <cmath>
#include <span>
#include <vector>

#include "reference/torch_small_net.hpp"
#include "tinycnn/all.hpp"
#include "tinycnn/io/layouts.hpp"

using namespace tinycnn;
namespace ref = torch_small_net;

namespace {

// PyTorch's network in tinycnn's terms: 7x7 input, TF SAME padding gives PyTorch's padding=1
// (the stride-2 convolution pads 1 above and 1 below at 7x7), BatchNorm2d's eps 1e-5.
using TorchNet = Sequential<Conv2D<4, 3>, BatchNorm<Epsilon<std::ratio<1, 100000>>>, ReLU,
                            Conv2D<6, 3, Stride<2>, NoBias>, ReLU, GlobalAvgPool, Dense<3>>;

template <std::size_t N>
std::span<const float> of(const float (&a)[N]) {
  return {a, N};
}

}  // namespace

TEST_CASE("a PyTorch network's weights, loaded through the layout helpers, give PyTorch's logits") {
  auto net = make_model<TorchNet>(Input<7, 7, 2>{}, 2);
  net.init(1);  // every value below is overwritten
  copy_oihw(net.tensor("0", "weights"), of(ref::conv1_weight_oihw));
  copy_as_is(net.tensor("0", "bias"), of(ref::conv1_bias));
  copy_as_is(net.tensor("1", "gamma"), of(ref::bn_gamma));
  copy_as_is(net.tensor("1", "beta"), of(ref::bn_beta));
  copy_as_is(net.tensor("1", "moving_mean"), of(ref::bn_mean));
  copy_as_is(net.tensor("1", "moving_variance"), of(ref::bn_var));
  copy_oihw(net.tensor("3", "weights"), of(ref::conv2_weight_oihw));
  copy_oi(net.tensor("6", "weights"), of(ref::fc_weight_oi));
  copy_as_is(net.tensor("6", "bias"), of(ref::fc_bias));

  const std::vector<float> images = nchw_to_nhwc(of(ref::images_nchw), 2, 2, 7, 7);
  const std::vector<float> probs = predict_probabilities(net, std::span<const float>(images));
  Rng rng(1);
  Context ctx{Mode::Eval, &rng};
  const float* logits = net.forward(images.data(), ctx);
  for (int i = 0; i < 6; ++i) {
    CAPTURE(i);
    REQUIRE(std::isfinite(logits[i]));
    CHECK(logits[i] == doctest::Approx(ref::logits[i]).epsilon(1e-5));
  }
  CHECK(std::isfinite(probs[0]));
}

TEST_CASE("the layout helpers refuse a source of the wrong size or a tensor of another layout") {
  auto net = make_model<TorchNet>(Input<7, 7, 2>{}, 1);
  const std::vector<float> short_source(10);
  CHECK_THROWS_WITH_AS(copy_oihw(net.tensor("0", "weights"), std::span<const float>(short_source)),
                       "tinycnn: copy_oihw: tensor 'weights' holds 72 values, the source 10", Error);
  CHECK_THROWS_WITH_AS(copy_oi(net.tensor("0", "weights"), std::span<const float>(short_source)),
                       "tinycnn: copy_oi: tensor 'weights' is HWIO, not IO", Error);
  const std::vector<float> x(5);
  CHECK_THROWS_WITH_AS(nchw_to_nhwc(std::span<const float>(x), 1, 2, 2, 2),
                       "tinycnn: nchw_to_nhwc: 5 values are not 1 x 2 x 2 x 2", Error);
}

TEST_CASE("nchw_to_nhwc and nhwc_to_nchw are inverse transposes") {
  std::vector<float> x(2 * 3 * 4 * 5);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(i);
  const std::vector<float> nhwc = nchw_to_nhwc(std::span<const float>(x), 2, 3, 4, 5);
  CHECK(nhwc[1] == x[4 * 5]);  // pixel (0, 0), channel 1
  CHECK(nhwc[3] == x[1]);      // pixel (0, 1), channel 0
  CHECK(nhwc_to_nchw(std::span<const float>(nhwc), 2, 4, 5, 3) == x);
}
