// ImplList<A, B, ..., Reference>: the implementations of one operation, in priority order.
//
// Each implementation is a type with a `name`, an `accepts(problem, ...)` predicate, a
// `workspace<T>(problem, threads)` size and a `run`. The dispatcher runs the first that
// accepts the problem, so the conditions under which a fast path is used are named predicates
// in one list, not thresholds scattered over if-chains. The plain reference implementation
// comes last and accepts everything: it is what the others are tested against (the tests loop
// over every entry of every list), and a problem no fast path handles still runs correctly.
// A name forces one implementation (tests, benchmarks); forcing one that does not accept the
// problem is an error, never a wrong result.
#pragma once
#include <array>
#include <string>
#include <string_view>

#include "tinycnn/core/error.hpp"

namespace tinycnn::kernels {

template <class... Impls>
struct ImplList {
  static constexpr std::array<std::string_view, sizeof...(Impls)> names{std::string_view(Impls::name)...};

  static bool has(std::string_view name) {
    for (std::string_view n : names)
      if (n == name) return true;
    return false;
  }
  static std::string joined_names() {
    std::string s;
    for (std::string_view n : names) s += (s.empty() ? "" : ", ") + std::string(n);
    return s;
  }

  // Calls run(impl) for the first implementation with accepts(impl) true, or for the one named
  // `name` when it is not empty (which must then accept the problem).
  template <class Accepts, class Run>
  static void pick(std::string_view name, Accepts&& accepts, Run&& run) {
    bool done = false;
    if (name.empty()) {
      ((!done && accepts(Impls{}) ? (run(Impls{}), done = true) : false), ...);
      if (!done) throw Error("no implementation accepts this problem (the reference should be last)");
      return;
    }
    bool known = false;
    auto try_one = [&](auto impl) {
      if (done || name != decltype(impl)::name) return;
      known = true;
      if (!accepts(impl)) return;
      run(impl);
      done = true;
    };
    (try_one(Impls{}), ...);
    if (!known) throw Error("unknown implementation '" + std::string(name) + "' (valid: " + joined_names() + ")");
    if (!done) throw Error("implementation '" + std::string(name) + "' does not accept this problem");
  }

  // Calls f(impl) for every implementation, in order (tests loop over the list with it).
  template <class F>
  static void for_each(F&& f) {
    (f(Impls{}), ...);
  }

  // The name of the implementation pick() would run.
  template <class Accepts>
  static const char* first_name(Accepts&& accepts) {
    const char* chosen = nullptr;
    ((chosen = !chosen && accepts(Impls{}) ? Impls::name : chosen), ...);
    return chosen;
  }
};

}  // namespace tinycnn::kernels
