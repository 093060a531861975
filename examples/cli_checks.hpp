// CLI11 checks whose refusals read as sentences ("--epochs: must be a whole number from 0 to
// 1000000, got '5000000'"), where CLI11's own say "Value 5000000 not in range 0 to 1000000" and
// "Value 0 not in range 0.000000 to 1.79e308". NaN is refused too: no comparison fails on it.
// --help shows the range after the type: "INT:[0, 1000000]".
#pragma once
#include <CLI/CLI.hpp>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <type_traits>

namespace examples {

// lo and hi as a person writes them: 1000000, 1e+06.
template <class T>
std::string number_text(T v) {
  if constexpr (std::is_integral_v<T>) {
    return std::to_string(v);
  } else {
    char text[32];
    std::snprintf(text, sizeof text, "%g", double(v));
    return text;
  }
}

// A number from lo to hi; whole numbers for integer flags.
template <class T>
CLI::Validator in_range(T lo, T hi) {
  const std::string range = number_text(lo) + " to " + number_text(hi);
  const std::string kind = std::is_integral_v<T> ? "a whole number" : "a number";
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        errno = 0;
        char* end = nullptr;
        const double v = std::is_integral_v<T> ? double(std::strtoll(text.c_str(), &end, 10)) : std::strtod(text.c_str(), &end);
        if (text.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(v) || v < double(lo) || v > double(hi))
          return "must be " + kind + " from " + range + ", got '" + text + "'";
        return {};
      },
      "[" + number_text(lo) + ", " + number_text(hi) + "]");
}

// A finite number above zero.
inline CLI::Validator positive_number() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        if (text.empty() || *end != '\0' || !std::isfinite(v) || !(v > 0))
          return "must be a positive finite number, got '" + text + "'";
        return {};
      },
      "> 0");
}

}  // namespace examples
