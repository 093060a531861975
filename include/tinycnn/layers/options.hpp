// Layer options: small tag types a user lists after a layer's numbers, in any order,
//   Conv2D<64, 3, Stride<2>, Pad::Valid, NoBias>
// Each option says which kind it is (option_kind); a layer picks the first option of each kind
// it understands and refuses, at compile time, options it does not.
#pragma once
#include <ratio>
#include <type_traits>

#include "tinycnn/core/shape.hpp"
#include "tinycnn/kernels/window.hpp"

namespace tinycnn {

namespace option_kind {
struct stride {};
struct padding {};
struct bias {};
struct weight_init {};
struct bias_init {};
struct epsilon {};
struct momentum {};
struct gamma {};
}  // namespace option_kind

// A window size: Conv2D<32, 5> means 5x5; Conv2D<192, Kernel{1, 7}> is 1 high, 7 wide.
struct Kernel {
  index_t h, w;
  constexpr Kernel(index_t hw) : h(hw), w(hw) {}
  constexpr Kernel(index_t h_, index_t w_) : h(h_), w(w_) {}
};

template <index_t SH, index_t SW = SH>
struct Stride {
  using option_kind = option_kind::stride;
  static_assert(SH > 0 && SW > 0, "tinycnn: a stride must be positive");
  static constexpr index_t h = SH, w = SW;
};

namespace Pad {
struct Same {
  using option_kind = option_kind::padding;
  static constexpr Padding mode = Padding::Same;
  static constexpr index_t h = 0, w = 0;
};
struct Valid {
  using option_kind = option_kind::padding;
  static constexpr Padding mode = Padding::Valid;
  static constexpr index_t h = 0, w = 0;
};
// Symmetric explicit padding of PH rows and PW columns on each side.
template <index_t PH, index_t PW = PH>
struct Explicit {
  using option_kind = option_kind::padding;
  static constexpr Padding mode = Padding::Explicit;
  static constexpr index_t h = PH, w = PW;
};
}  // namespace Pad

struct WithBias {
  using option_kind = option_kind::bias;
  static constexpr bool enabled = true;
};
struct NoBias {
  using option_kind = option_kind::bias;
  static constexpr bool enabled = false;
};

// Batch norm: epsilon and moving-average momentum as exact ratios, gamma on or off.
template <class Ratio>
struct Epsilon {
  using option_kind = option_kind::epsilon;
  static constexpr double value = double(Ratio::num) / double(Ratio::den);
};
template <class Ratio>
struct Momentum {
  using option_kind = option_kind::momentum;
  static constexpr double value = double(Ratio::num) / double(Ratio::den);
};
struct WithGamma {
  using option_kind = option_kind::gamma;
  static constexpr bool enabled = true;
};
struct NoGamma {
  using option_kind = option_kind::gamma;
  static constexpr bool enabled = false;
};

template <index_t P>
using Percent = std::ratio<P, 100>;

namespace detail {
template <class Kind, class Default, class... Opts>
struct pick_option_impl {
  using type = Default;
};
template <class Kind, class Default, class O, class... Rest>
struct pick_option_impl<Kind, Default, O, Rest...> {
  using type = std::conditional_t<std::is_same_v<typename O::option_kind, Kind>, O,
                                  typename pick_option_impl<Kind, Default, Rest...>::type>;
};
template <class O>
concept is_option = requires { typename O::option_kind; };
template <class O, class... Kinds>
constexpr bool kind_in() {
  if constexpr (is_option<O>)
    return (std::is_same_v<typename O::option_kind, Kinds> || ...);
  else
    return false;
}
}  // namespace detail

// The first of Opts whose kind is Kind, else Default.
template <class Kind, class Default, class... Opts>
using pick_option = typename detail::pick_option_impl<Kind, Default, Opts...>::type;

// True when every option in Opts is of one of the Allowed kinds.
template <class Allowed, class... Opts>
inline constexpr bool options_allowed = false;
template <class... Kinds, class... Opts>
inline constexpr bool options_allowed<std::tuple<Kinds...>, Opts...> = (detail::kind_in<Opts, Kinds...>() && ...);

}  // namespace tinycnn
