#include <doctest/doctest.h>

#include <cmath>
#include <ratio>
#include <type_traits>
#include <vector>

#include "support/moments.hpp"
#include "tinycnn/graph/network.hpp"
#include "tinycnn/graph/sequential.hpp"
#include "tinycnn/layers/conv2d.hpp"
#include "tinycnn/layers/dense.hpp"
#include "tinycnn/layers/init.hpp"

using namespace tinycnn;

namespace {

constexpr index_t kDraws = 400'000;
constexpr float kSentinel = 12345.0f;

// Fills n values of a buffer one longer, whose last element must stay untouched.
template <class Init>
std::vector<float> fill_weights(index_t n, index_t fan_in, index_t fan_out, std::uint64_t seed) {
  std::vector<float> w(static_cast<std::size_t>(n + 1), kSentinel);
  Rng rng(seed);
  Init::fill(w.data(), n, fan_in, fan_out, rng);
  CHECK(w.back() == kSentinel);
  w.pop_back();
  return w;
}

// max |w|, NaN if any value is NaN, so that a bound check fails on it.
double max_abs(const std::vector<float>& w) {
  double m = 0;
  for (float v : w) m = std::isnan(v) ? NAN : std::max(m, double(std::abs(v)));
  return m;
}

}  // namespace

TEST_CASE("GlorotUniform: uniform in +-sqrt(6 / (fan_in + fan_out))") {
  const index_t fan_in = 300, fan_out = 100;
  const double limit = std::sqrt(6.0 / double(fan_in + fan_out));
  const auto w = fill_weights<GlorotUniform>(kDraws, fan_in, fan_out, 11);
  const double m = max_abs(w);
  INFO("max |w| " << m << ", limit " << limit);
  CHECK(m <= double(float(limit)));  // rounding to float may land on the limit, never beyond
  CHECK(m > 0.999 * limit);          // and the whole range is used
  test::check_moments(w, test::uniform_moments(-limit, limit), "GlorotUniform(300, 100)", true);
}

TEST_CASE("TruncatedNormal<1/10>: standard deviation 0.1 before truncation at +-0.2, whatever the fans") {
  const double s = 0.1;
  const auto w = fill_weights<TruncatedNormal<std::ratio<1, 10>>>(kDraws, 300, 100, 12);
  CHECK(max_abs(w) <= double(float(2 * s)));
  CHECK(max_abs(w) > 0.99 * 2 * s);
  test::check_moments(w, test::truncated_normal_moments(0.0, s, 2.0), "TruncatedNormal<1/10>", true);
  // The fans do not enter: the same seed gives the same weights.
  CHECK(fill_weights<TruncatedNormal<std::ratio<1, 10>>>(1000, 1, 1, 12) ==
        fill_weights<TruncatedNormal<std::ratio<1, 10>>>(1000, 5000, 7, 12));
}

TEST_CASE("ScaledTruncatedNormal<Scale>: standard deviation sqrt(Scale / fan_in), truncated at two of them") {
  static_assert(std::is_same_v<ScaledTruncatedNormal<>, ScaledTruncatedNormal<std::ratio<2>>>,
                "the default scale is 2, He initialisation");
  SUBCASE("Scale 2, fan_in 50") {
    const double s = std::sqrt(2.0 / 50.0);
    const auto w = fill_weights<ScaledTruncatedNormal<>>(kDraws, 50, 1000, 13);
    CHECK(max_abs(w) <= double(float(2 * s)));
    CHECK(max_abs(w) > 0.99 * 2 * s);
    test::check_moments(w, test::truncated_normal_moments(0.0, s, 2.0), "ScaledTruncatedNormal<2>(50)", true);
  }
  SUBCASE("Scale 1, fan_in 4096 (the benchmark's last dense layer)") {
    const double s = std::sqrt(1.0 / 4096.0);
    const auto w = fill_weights<ScaledTruncatedNormal<std::ratio<1>>>(kDraws, 4096, 1001, 14);
    CHECK(max_abs(w) <= double(float(2 * s)));
    test::check_moments(w, test::truncated_normal_moments(0.0, s, 2.0), "ScaledTruncatedNormal<1>(4096)", true);
  }
  SUBCASE("fan_out does not enter") {
    CHECK(fill_weights<ScaledTruncatedNormal<>>(1000, 64, 3, 15) == fill_weights<ScaledTruncatedNormal<>>(1000, 64, 3000, 15));
  }
}

TEST_CASE("BiasInit: every bias the constant, zero by default") {
  std::vector<float> b(9, kSentinel);
  BiasInit<>::fill(b.data(), 8);
  for (int i = 0; i < 8; ++i) CHECK(b[std::size_t(i)] == 0.0f);
  CHECK(b[8] == kSentinel);
  BiasInit<std::ratio<1, 10>>::fill(b.data(), 8);
  for (int i = 0; i < 8; ++i) CHECK(b[std::size_t(i)] == 0.1f);
  std::vector<double> d(3);
  BiasInit<std::ratio<-3, 4>>::fill(d.data(), 3);
  for (double v : d) CHECK(v == -0.75);
}

// The initialisers are only as good as the fans the layers hand them.
TEST_CASE("Dense initialises with fan_in = its inputs; Conv2D with the window's fan-in and fan-out") {
  SUBCASE("Dense<64> on 512 inputs: sqrt(2 / 512), zero bias") {
    auto net = make_model<Sequential<Dense<64>>>(Input<1, 1, 512>{}, 1);
    net.init(21);
    const auto p = net.parameters();
    const std::vector<float> w(p.begin(), p.begin() + 512 * 64), b(p.begin() + 512 * 64, p.begin() + 512 * 64 + 64);
    const double s = std::sqrt(2.0 / 512.0);
    CHECK(max_abs(w) <= double(float(2 * s)));
    test::check_moments(w, test::truncated_normal_moments(0.0, s, 2.0), "Dense<64> weights");
    CHECK(max_abs(b) == 0.0);
  }
  SUBCASE("Conv2D<16, 3> on 32 channels: fans 3*3*32 and 3*3*16") {
    auto net = make_model<Sequential<Conv2D<16, 3>>>(Input<6, 6, 32>{}, 1);
    net.init(22);
    const auto p = net.parameters();
    constexpr index_t n = 3 * 3 * 32 * 16;
    const std::vector<float> w(p.begin(), p.begin() + n), b(p.begin() + n, p.begin() + n + 16);
    const double limit = std::sqrt(6.0 / (3 * 3 * 32 + 3 * 3 * 16));
    CHECK(max_abs(w) <= double(float(limit)));
    test::check_moments(w, test::uniform_moments(-limit, limit), "Conv2D<16, 3> weights");
    CHECK(max_abs(b) == 0.0);
  }
}
