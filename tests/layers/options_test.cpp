// What the options promise, checked at compile time (a broken promise stops this file from
// building, which fails its test) plus one runtime case so the executable has something to run.
#include <doctest/doctest.h>

#include <ratio>
#include <tuple>
#include <type_traits>

#include "tinycnn/layers/batch_norm.hpp"
#include "tinycnn/layers/conv2d.hpp"
#include "tinycnn/layers/dense.hpp"
#include "tinycnn/layers/pooling.hpp"
#include "tinycnn/layers/relu.hpp"

using namespace tinycnn;

// A layer takes the first option of each kind; later ones of the same kind are ignored, in any
// order of the kinds.
static_assert(std::is_same_v<Conv2D<4, 3, Stride<2>, NoBias, Stride<3>, WithBias>::stride, Stride<2>>);
static_assert(!Conv2D<4, 3, Stride<2>, NoBias, Stride<3>, WithBias>::has_bias);
static_assert(Conv2D<4, 3, WithBias, NoBias>::has_bias);
static_assert(std::is_same_v<Conv2D<4, 3, NoBias, Pad::Valid, Pad::Same>::padding, Pad::Valid>);
static_assert(BatchNorm<Momentum<std::ratio<9, 10>>, Epsilon<std::ratio<1, 10>>, Momentum<std::ratio<1, 2>>>::momentum == 0.9);
static_assert(BatchNorm<Momentum<std::ratio<9, 10>>, Epsilon<std::ratio<1, 10>>>::epsilon == 0.1);

// Defaults when a kind is not given: stride 1, SAME, with bias and Glorot weights for Conv2D;
// He weights for Dense; a window-sized stride and VALID for pooling; epsilon 1e-3, momentum 0.99
// and gamma for BatchNorm.
static_assert(std::is_same_v<Conv2D<4, 3>::stride, Stride<1>>);
static_assert(std::is_same_v<Conv2D<4, 3>::padding, Pad::Same>);
static_assert(Conv2D<4, 3>::has_bias);
static_assert(std::is_same_v<Conv2D<4, 3>::weight_init, GlorotUniform>);
static_assert(std::is_same_v<Dense<4>::weight_init, ScaledTruncatedNormal<std::ratio<2>>>);
static_assert(std::is_same_v<Dense<4>::bias_init, BiasInit<std::ratio<0>>>);
static_assert(MaxPool<3>::stride::h == 3 && MaxPool<Kernel{2, 5}>::stride::w == 5);
static_assert(std::is_same_v<MaxPool<3>::padding, Pad::Valid>);
static_assert(BatchNorm<>::epsilon == 0.001 && BatchNorm<>::momentum == 0.99 && BatchNorm<>::has_gamma);

// Stride<S> is square; Explicit padding keeps its two sizes.
static_assert(Stride<3>::h == 3 && Stride<3>::w == 3 && Stride<1, 2>::w == 2);
static_assert(Pad::Explicit<1, 2>::h == 1 && Pad::Explicit<1, 2>::w == 2 && Pad::Explicit<3>::w == 3);
static_assert(Epsilon<std::ratio<1, 100000>>::value == 1e-5);
static_assert(std::ratio_equal_v<Percent<25>, std::ratio<1, 4>>);

// options_allowed: every option of an allowed kind; a non-option type never is; no options is fine.
using ConvKinds = std::tuple<option_kind::stride, option_kind::padding>;
static_assert(options_allowed<ConvKinds>);
static_assert(options_allowed<ConvKinds, Stride<2>, Pad::Same, Stride<1>>);
static_assert(!options_allowed<ConvKinds, Stride<2>, NoBias>);
static_assert(!options_allowed<ConvKinds, ReLU>);
static_assert(!options_allowed<ConvKinds, int>);
static_assert(!options_allowed<std::tuple<>, Stride<2>>);

// pick_option: the first match, else the default.
static_assert(std::is_same_v<pick_option<option_kind::bias, WithBias, Stride<2>, NoBias, WithBias>, NoBias>);
static_assert(std::is_same_v<pick_option<option_kind::bias, WithBias, Stride<2>>, WithBias>);
static_assert(std::is_same_v<pick_option<option_kind::bias, NoBias>, NoBias>);

TEST_CASE("options read at run time agree with the compile-time ones") {
  // Kernel{h, w} keeps the two sizes apart; Kernel{k} is square.
  constexpr Kernel square(5), wide(1, 7);
  CHECK(square.h == 5);
  CHECK(square.w == 5);
  CHECK(wide.h == 1);
  CHECK(wide.w == 7);
  CHECK(Momentum<std::ratio<997, 1000>>::value == 0.997);
}
