// CLI11 checks whose refusals read as sentences ("--epochs: must be a whole number from 0 to
// 1000000, got '5000000'"), where CLI11's own say "Value 5000000 not in range 0 to 1000000" and
// "Value 0 not in range 0.000000 to 1.79e308". NaN is refused too: no comparison fails on it.
// --help shows the range after the type: "INT:[0, 1000000]". Also what every program's command
// line shares: --version, and the exit codes of a parse (0 for --help and --version, 2 for a
// usage error).
#pragma once
#include <CLI/CLI.hpp>

#include "tinycnn/kernels/dispatch.hpp"
#include "tinycnn/version.hpp"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

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

// A comma-separated list of thread counts, each from 1 to limit: "1,2,4".
inline CLI::Validator thread_list(int limit) {
  return CLI::Validator(
      [=](std::string& text) -> std::string {
        std::stringstream in(text);
        std::string item;
        int items = 0;
        while (std::getline(in, item, ',')) {
          char* end = nullptr;
          errno = 0;
          const long v = std::strtol(item.c_str(), &end, 10);
          if (item.empty() || *end != '\0' || errno == ERANGE || v < 1 || v > limit)
            return "must be a comma-separated list of counts from 1 to " + std::to_string(limit) +
                   " (8 per CPU this process may use), got '" + text + "'";
          ++items;
        }
        if (items == 0 || text.back() == ',') return "must list at least one thread count, got '" + text + "'";
        return {};
      },
      "LIST of 1.." + std::to_string(limit));
}

// The counts of a list thread_list() accepted.
inline std::vector<int> parse_thread_list(const std::string& text) {
  std::vector<int> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(std::stoi(item));
  return out;
}

// --version: "cnn_benchmark 0.1.0 (tinycnn, AVX-512 kernels)", or "(tinycnn, AVX2+FMA and
// AVX-512 kernels, chosen at run time)". The kernels' instruction set is the one thing two builds
// of the same version differ in that changes the figures.
inline void add_version_flag(CLI::App& app, const std::string& program) {
  namespace k = tinycnn::kernels;
  const std::string kernels = k::dispatches ? std::string(k::isa_name(k::Isa::avx2)) + " and " +
                                                  k::isa_name(k::Isa::avx512) + " kernels, chosen at run time"
                                            : std::string(k::isa_name(k::compiled_isa)) + " kernels";
  app.set_version_flag("--version", program + " " TINYCNN_VERSION_STRING " (tinycnn, " + kernels + ")",
                       "Print the version and exit");
}

// --isa avx2|avx512: the kernels' instruction set, refused when the CPU or the build lacks it.
// Applied while the command line is read, before any kernel runs.
inline void add_isa_flag(CLI::App& app) {
  namespace k = tinycnn::kernels;
  app.add_option_function<std::string>("--isa", [](const std::string& name) { k::use_isa(name); },
                                       std::string("Instruction set of the kernels: avx2 or avx512 (default: ") +
                                           (k::dispatches ? "the widest this CPU runs" : k::isa_flag(k::compiled_isa)) +
                                           "; also the environment variable TINYCNN_ISA)")
      ->check(CLI::Validator(
          [](std::string& name) -> std::string {
            const std::optional<k::Isa> isa = k::find_isa(name);
            if (!isa) return "must be avx2 or avx512, got '" + name + "'";
            return k::isa_unavailable_reason(*isa);
          },
          "avx2|avx512"));
}

// Parses the command line: 0 when it asked for --help or --version (printed), 2 after a usage
// error ("program: --flag: what is wrong" on stderr), or -1 to go on.
inline int parse_command_line(CLI::App& app, const char* program, int argc, const char* const* argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "%s: %s (see --help)\n", program, e.what());
    return 2;
  }
  return -1;
}

}  // namespace examples
