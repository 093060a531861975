// Layers by path and tensors by name (graph/layer_info.hpp, Network::layers and tensor), and the
// model summary (graph/summary.hpp).
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "tinycnn/all.hpp"

using namespace tinycnn;

namespace {

using Net = Sequential<Conv2D<4, 3>, BatchNorm<>, ReLU, Residual<Sequential<Conv2D<4, 3, NoBias>, ReLU>>,
                       Concat<Conv2D<2, 1>, Sequential<ReLU, Conv2D<3, 1>>>, Flatten, Dense<5>>;

std::vector<std::string> paths_of(const std::vector<LayerInfo>& layers) {
  std::vector<std::string> paths;
  for (const LayerInfo& l : layers) paths.push_back(l.path + " " + l.kind);
  return paths;
}

}  // namespace

TEST_CASE("every leaf has a path, a kind, its shapes and counts, and the ranges parameter_ranges gives") {
  auto net = make_model<Net>(Input<6, 6, 2>{}, 3);
  const std::vector<LayerInfo> layers = net.layers();
  const std::vector<std::string> expected{"0 Conv2D",          "1 BatchNorm",        "2 ReLU",
                                          "3/main/0 Conv2D",   "3/main/1 ReLU",      "3/shortcut Identity",
                                          "4/branch0 Conv2D",  "4/branch1/0 ReLU",   "4/branch1/1 Conv2D",
                                          "5 Flatten",         "6 Dense"};
  CHECK(paths_of(layers) == expected);
  CHECK(layers[6].out_h == 6);
  CHECK(layers[6].out_c == 2);
  CHECK(layers[10].out_c == 5);
  index_t total = 0;
  double flops = 0;
  for (const LayerInfo& l : layers) total += l.num_params, flops += l.flops;
  CHECK(total == decltype(net)::num_params);
  CHECK(flops + 6 * 6 * 4 == doctest::Approx(net.flops_per_image));  // and the Residual's addition
  // The same places as parameter_ranges, which the distribution policies use.
  std::vector<LeafRanges> ranges = net.parameter_ranges();
  std::size_t k = 0;
  for (const LayerInfo& l : layers) {
    if (l.num_params == 0 && l.num_state == 0) continue;
    REQUIRE(k < ranges.size());
    CHECK(l.params == ranges[k].params);
    CHECK(l.state == ranges[k].state);
    CHECK(l.description == ranges[k].layer);
    ++k;
  }
  CHECK(k == ranges.size());
}

TEST_CASE("a convolution's weights are HWIO and a dense layer's IO, reached by name") {
  // Output channel 2 of the convolution reads only tap (ky 0, kx 1) of input channel 1: with SAME
  // padding, pixel (y, x) then copies input (y - 1, x).
  auto net = make_model<Sequential<Conv2D<3, 3>, Flatten>>(Input<4, 5, 2>{}, 1);
  net.init(1);
  TensorView<float> w = net.tensor("0", "weights");
  CHECK(w.info.layout == "HWIO");
  CHECK(w.info.dims == std::vector<index_t>{3, 3, 2, 3});
  CHECK(w.values.data() == net.parameters().data());
  CHECK(w.gradients.data() == net.gradients().data());
  std::fill(w.values.begin(), w.values.end(), 0.f);
  w.values[std::size_t(((0 * 3 + 1) * 2 + 1) * 3 + 2)] = 1.f;
  TensorView<float> b = net.tensor("0", "bias");
  CHECK(b.values.data() == net.parameters().data() + 3 * 3 * 2 * 3);
  std::fill(b.values.begin(), b.values.end(), 0.f);
  std::vector<float> x(4 * 5 * 2);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = float(i + 1);
  Rng rng(1);
  Context ctx{Mode::Eval, &rng};
  const float* y = net.forward(x.data(), ctx);
  for (index_t r = 0; r < 4; ++r)
    for (index_t c = 0; c < 5; ++c) {
      CAPTURE(r);
      CAPTURE(c);
      CHECK(y[(r * 5 + c) * 3 + 0] == 0.f);
      CHECK(y[(r * 5 + c) * 3 + 2] == (r == 0 ? 0.f : x[std::size_t(((r - 1) * 5 + c) * 2 + 1)]));
    }

  auto dense = make_model<Sequential<Flatten, Dense<2>>>(Input<1, 1, 4>{}, 1);
  TensorView<float> dw = dense.tensor("1", "weights");
  CHECK(dw.info.layout == "IO");
  std::fill(dw.values.begin(), dw.values.end(), 0.f);
  dw.values[3 * 2 + 1] = 2.f;  // output 1 = 2 x input 3
  const std::vector<float> in{1, 2, 3, 4};
  const float* out = dense.forward(in.data(), ctx);
  CHECK(out[1] == 8.f);
}

TEST_CASE("batch norm's tensors: beta, gamma and the statistics, in that order, by name") {
  auto net = make_model<Net>(Input<6, 6, 2>{}, 3);
  net.init(2);
  const TensorView<float> beta = net.tensor("1", "beta"), gamma = net.tensor("1", "gamma");
  const TensorView<float> mean = net.tensor("1", "moving_mean"), var = net.tensor("1", "moving_variance");
  CHECK(gamma.values.data() == beta.values.data() + 4);
  CHECK(std::all_of(gamma.values.begin(), gamma.values.end(), [](float v) { return v == 1.f; }));
  CHECK(std::all_of(beta.values.begin(), beta.values.end(), [](float v) { return v == 0.f; }));
  CHECK(mean.info.is_state);
  CHECK(mean.gradients.empty());
  CHECK(mean.values.data() == net.state().data());
  CHECK(var.values.data() == net.state().data() + 4);
  CHECK_THROWS_WITH_AS(net.tensor("1", "scale"),
                       "tinycnn: layer '1' (BatchNorm 4) has no tensor 'scale'; it has beta, gamma, moving_mean, "
                       "moving_variance",
                       Error);
  CHECK_THROWS_WITH_AS(net.tensor("2", "weights"), "tinycnn: layer '2' (ReLU) has no tensor 'weights': it has no parameters",
                       Error);
  CHECK_THROWS_WITH_AS(net.tensor("9", "weights"),
                       "tinycnn: no layer at path '9'; layers with tensors: 0, 1, 3/main/0, 4/branch0, 4/branch1/1, 6",
                       Error);
}

TEST_CASE("the model summary has a row per layer and the totals") {
  auto net = make_model<Net>(Input<6, 6, 2>{}, 3);
  const std::string s = model_summary(net);
  CHECK(s.find("model summary at batch 3") == 0);
  const std::size_t row = s.find("\n4/branch1/1 ");
  REQUIRE(row != std::string::npos);
  const std::string line = s.substr(row + 1, s.find('\n', row + 1) - row - 1);
  for (const char* cell : {" Conv2D ", " 6x6x3 ", " 15 "}) CHECK(line.find(cell) != std::string::npos);
  CHECK(s.find("\ntotal ") != std::string::npos);
  CHECK(s.find(" " + std::to_string(decltype(net)::num_params) + " ") != std::string::npos);
  CHECK(std::count(s.begin(), s.end(), '\n') == 1 + 1 + 11 + 1);  // title, header, rows, total
}
