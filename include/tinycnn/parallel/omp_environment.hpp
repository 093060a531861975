// The TensorFlow benchmark's --mkl, --kmp_blocktime, --kmp_affinity and --kmp_settings are
// settings of Intel's OpenMP runtime (KMP_*). tinycnn is built against GNU libgomp, which ignores
// KMP_* and reads its own variables (OMP_WAIT_POLICY, GOMP_SPINCOUNT, OMP_PROC_BIND, OMP_PLACES,
// OMP_DISPLAY_ENV, OMP_DISPLAY_AFFINITY) once, when the library is loaded: before main runs.
// So a driver translates the flags into both families of variables and re-executes itself
// (execv of /proc/self/exe) with them set, once, before its first OpenMP call.
//
//   kmp_blocktime=0       OMP_WAIT_POLICY=passive, GOMP_SPINCOUNT=0: idle threads sleep at once
//   kmp_blocktime=N ms    GOMP_SPINCOUNT = N x (spins per ms), libgomp's spin loop (a relaxed
//                         load and a pause instruction) timed on this machine
//   kmp_affinity          type compact -> OMP_PROC_BIND=close, scatter/balanced -> spread,
//                         none/disabled -> false; granularity fine|thread -> OMP_PLACES=threads,
//                         core (Intel's default) -> cores, socket|package -> sockets. A permute
//                         of 1 or more with compact ("compact,1": cores before their hyperthread
//                         siblings) becomes OMP_PLACES=cores with close binding, the nearest
//                         libgomp has; a non-zero offset has no libgomp equivalent (noted)
//                         verbose -> OMP_DISPLAY_AFFINITY=true
//   kmp_settings=1        OMP_DISPLAY_ENV=true
//   num_intra_threads>0   OMP_NUM_THREADS, as the TensorFlow benchmark sets it under --mkl
// KMP_BLOCKTIME, KMP_AFFINITY and KMP_SETTINGS are set verbatim too, for a build against LLVM's
// libomp (or Intel's), which reads them.
#pragma once
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tinycnn/core/error.hpp"

namespace tinycnn::parallel {

struct KmpSettings {
  int blocktime_ms = 0;  // tf_cnn_benchmarks master's default (v1.5 had 30)
  std::string affinity = "granularity=fine,verbose,compact,1,0";
  int settings = 1;
  int intra_threads = 0;  // 0: leave OMP_NUM_THREADS alone
};

struct EnvSetting {
  std::string name, value;
  std::string why;  // which flag asked for it, and how the value was derived
};

// What a KMP_AFFINITY string asks for, in libgomp's terms.
struct AffinityPlan {
  std::string proc_bind;  // close | spread | true | false
  std::string places;     // threads | cores | sockets | {explicit list} | "" (none)
  bool verbose = false;
  std::vector<std::string> notes;  // what could not be expressed exactly
};

namespace detail {
inline std::vector<std::string> split_top_level(std::string_view s) {
  std::vector<std::string> parts;
  std::string cur;
  int depth = 0;
  for (char c : s) {
    if (c == '[') ++depth;
    if (c == ']') --depth;
    if (c == ',' && depth == 0) {
      parts.push_back(cur);
      cur.clear();
    } else if (c != ' ') {
      cur += c;
    }
  }
  parts.push_back(cur);
  return parts;
}
inline bool all_digits(const std::string& s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}
}  // namespace detail

// Every CPU number a proclist names ("0,2-3,{4,5}" names 0, 2, 3, 4 and 5) must be one of
// `allowed`: a place on a CPU the process may not use is refused, not printed as applied.
inline void check_proclist_cpus(const std::string& proclist, std::span<const int> allowed) {
  auto check = [&](long cpu) {
    if (std::find(allowed.begin(), allowed.end(), cpu) == allowed.end()) {
      std::string list;
      for (int c : allowed) list += (list.empty() ? "" : ",") + std::to_string(c);
      throw Error("kmp_affinity: proclist names CPU " + std::to_string(cpu) + ", which this process may not use (" +
                  list + ")");
    }
  };
  for (std::size_t i = 0; i < proclist.size();) {
    if (proclist[i] < '0' || proclist[i] > '9') {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < proclist.size() && proclist[end] >= '0' && proclist[end] <= '9' && end - i < 9) ++end;
    const long first = std::stol(proclist.substr(i, end - i));
    long last = first;
    if (end + 1 < proclist.size() && proclist[end] == '-' && proclist[end + 1] >= '0' && proclist[end + 1] <= '9') {
      std::size_t to = end + 1;
      while (to < proclist.size() && proclist[to] >= '0' && proclist[to] <= '9' && to - end < 10) ++to;
      last = std::stol(proclist.substr(end + 1, to - end - 1));
      end = to;
    }
    if (last < first) throw Error("kmp_affinity: proclist range " + std::to_string(first) + "-" + std::to_string(last) + " runs backwards");
    for (long cpu = first; cpu <= last; ++cpu) check(cpu);  // stops at the first CPU not allowed
    i = end;
  }
}

// Parses Intel's [modifier,...]type[,permute][,offset] syntax. Throws Error on a word it does
// not know, so a typo is not silently ignored as the Intel runtime would (with a warning).
// Given the CPUs the process may use, an explicit proclist must name only those.
inline AffinityPlan parse_kmp_affinity(std::string_view text, std::span<const int> allowed_cpus = {}) {
  AffinityPlan plan;
  std::string granularity, type, proclist;
  std::vector<int> numbers;
  for (const std::string& tok : detail::split_top_level(text)) {
    if (tok.empty()) continue;
    if (auto eq = tok.find('='); eq != std::string::npos) {
      std::string k = tok.substr(0, eq), v = tok.substr(eq + 1);
      if (k == "granularity" || k == "gran") {
        if (v != "fine" && v != "thread" && v != "core" && v != "tile" && v != "socket" && v != "package")
          throw Error("kmp_affinity: unknown granularity '" + v + "' (fine, thread, core, tile, socket, package)");
        granularity = v;
      } else if (k == "proclist") {
        if (v.size() < 2 || v.front() != '[' || v.back() != ']')
          throw Error("kmp_affinity: proclist must be written proclist=[0,1,...]");
        proclist = v.substr(1, v.size() - 2);
      } else {
        throw Error("kmp_affinity: unknown modifier '" + k + "' (granularity=, proclist=)");
      }
    } else if (tok == "verbose") {
      plan.verbose = true;
    } else if (tok == "noverbose" || tok == "warnings" || tok == "nowarnings" || tok == "respect" ||
               tok == "norespect" || tok == "duplicates" || tok == "noduplicates" || tok == "dups" ||
               tok == "nodups") {
      // Diagnostics and mask handling of Intel's runtime: no effect on where threads run here.
    } else if (tok == "compact" || tok == "scatter" || tok == "balanced" || tok == "none" || tok == "disabled" ||
               tok == "explicit" || tok == "logical" || tok == "physical") {
      if (!type.empty()) throw Error("kmp_affinity: two affinity types ('" + type + "' and '" + tok + "')");
      type = tok;
    } else if (detail::all_digits(tok) && !type.empty()) {
      numbers.push_back(std::atoi(tok.c_str()));
    } else {
      throw Error("kmp_affinity: unknown word '" + tok +
                  "' (types: compact, scatter, balanced, explicit, none, disabled; "
                  "modifiers: granularity=, proclist=, verbose)");
    }
  }
  if (numbers.size() > 2) throw Error("kmp_affinity: at most a permute and an offset may follow the type");
  const int permute = numbers.size() > 0 ? numbers[0] : 0;
  const int offset = numbers.size() > 1 ? numbers[1] : 0;
  // Intel's deprecated aliases.
  if (type == "logical") {
    type = "compact";
    if (granularity.empty()) granularity = "fine";
  }
  if (type == "physical") type = "scatter";
  if (type.empty()) type = "none";

  std::string places = "cores";  // Intel's default granularity is the core
  if (granularity == "fine" || granularity == "thread") places = "threads";
  if (granularity == "socket" || granularity == "package") places = "sockets";
  if (granularity == "tile") plan.notes.push_back("granularity=tile has no libgomp place: using cores");

  if (type == "none" || type == "disabled") {
    plan.proc_bind = "false";
  } else if (type == "explicit") {
    if (proclist.empty()) throw Error("kmp_affinity: explicit needs proclist=[...]");
    if (!allowed_cpus.empty()) check_proclist_cpus(proclist, allowed_cpus);
    std::string list;
    for (const std::string& p : detail::split_top_level(proclist)) list += (list.empty() ? "{" : ",{") + p + "}";
    plan.proc_bind = "true";
    plan.places = list;
  } else if (type == "compact") {
    plan.proc_bind = "close";
    plan.places = places;
    if (permute >= 1 && places == "threads") {
      plan.places = "cores";
      plan.notes.push_back("compact," + std::to_string(permute) +
                           " (cores before their hyperthread siblings) binds each thread to a whole core");
    }
  } else {  // scatter, balanced
    plan.proc_bind = "spread";
    plan.places = places;
    if (type == "balanced") plan.notes.push_back("balanced is approximated by spread");
  }
  if (offset != 0)
    plan.notes.push_back("offset " + std::to_string(offset) + " has no libgomp equivalent and is ignored");
  if (type == "scatter" && permute != 0)
    plan.notes.push_back("scatter's permute has no libgomp equivalent and is ignored");
  return plan;
}

// How many iterations of libgomp's spin-wait loop (config/linux/wait.h: a relaxed atomic load
// and a pause) run in a millisecond on this core. Takes about 30 ms; the fastest of three
// rounds, as interference only ever slows the loop.
inline double measure_spins_per_ms() {
  std::atomic<int> flag{0};
  double best = 0;
  for (int round = 0; round < 3; ++round) {
    long spins = 0;
    auto t0 = std::chrono::steady_clock::now();
    double ms = 0;
    do {
      for (int i = 0; i < 4096; ++i, ++spins) {
        if (flag.load(std::memory_order_relaxed) != 0) break;
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#else
        asm volatile("" ::: "memory");
#endif
      }
      ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    } while (ms < 10.0);
    best = std::max(best, double(spins) / ms);
  }
  return best;
}

inline std::uint64_t spin_count_for(double ms, double spins_per_ms) {
  return ms <= 0 ? 0 : std::uint64_t(std::llround(ms * spins_per_ms));
}

// The variables --mkl sets. spins_per_ms is only used for a non-zero blocktime.
inline std::vector<EnvSetting> openmp_environment(const KmpSettings& k, double spins_per_ms) {
  require(k.blocktime_ms >= 0, "kmp_blocktime must not be negative");
  std::vector<EnvSetting> env;
  const std::string bt = "kmp_blocktime=" + std::to_string(k.blocktime_ms);
  if (k.blocktime_ms == 0) {
    env.push_back({"OMP_WAIT_POLICY", "passive", bt + ": idle threads sleep at once"});
    env.push_back({"GOMP_SPINCOUNT", "0", bt});
  } else {
    const std::uint64_t spins = spin_count_for(k.blocktime_ms, spins_per_ms);
    char how[160];
    std::snprintf(how, sizeof how, "%s: %d ms x %.0f spins/ms (libgomp's spin loop timed on this machine)",
                  bt.c_str(), k.blocktime_ms, spins_per_ms);
    env.push_back({"GOMP_SPINCOUNT", std::to_string(spins), how});
  }
  AffinityPlan a = parse_kmp_affinity(k.affinity);
  std::string af = "kmp_affinity=" + k.affinity;
  for (const auto& n : a.notes) af += "; " + n;
  env.push_back({"OMP_PROC_BIND", a.proc_bind, af});
  if (!a.places.empty()) env.push_back({"OMP_PLACES", a.places, "kmp_affinity granularity"});
  if (a.verbose) env.push_back({"OMP_DISPLAY_AFFINITY", "true", "kmp_affinity verbose"});
  if (k.settings != 0) env.push_back({"OMP_DISPLAY_ENV", "true", "kmp_settings=" + std::to_string(k.settings)});
  if (k.intra_threads > 0)
    env.push_back({"OMP_NUM_THREADS", std::to_string(k.intra_threads), "num_intra_threads, as TensorFlow does under mkl"});
  env.push_back({"KMP_BLOCKTIME", std::to_string(k.blocktime_ms), "for LLVM/Intel OpenMP"});
  env.push_back({"KMP_AFFINITY", k.affinity, "for LLVM/Intel OpenMP"});
  env.push_back({"KMP_SETTINGS", std::to_string(k.settings), "for LLVM/Intel OpenMP"});
  return env;
}

inline constexpr const char* kOmpEnvMarker = "TINYCNN_OMP_ENV_APPLIED";

// One line per variable, for the log.
inline std::string describe_environment(const std::vector<EnvSetting>& env) {
  std::string s;
  for (const auto& e : env) s += "  " + e.name + "=" + e.value + (e.why.empty() ? "" : "   (" + e.why + ")") + "\n";
  return s;
}

// Set after the re-exec: what the first run applied (the text describe_environment gave), or
// null in a process that has not been re-executed.
inline const char* applied_environment() { return std::getenv(kOmpEnvMarker); }

// Sets env and replaces this process by a fresh copy of itself with the same arguments, so the
// OpenMP runtime loads with the new settings. Returns only on failure (throws). Call it only
// when applied_environment() is null, which the marker set here guarantees for the copy.
[[noreturn]] inline void reexec_with_environment(const std::vector<EnvSetting>& env, char** argv) {
  for (const auto& e : env) ::setenv(e.name.c_str(), e.value.c_str(), 1);
  std::string report = describe_environment(env);
  ::setenv(kOmpEnvMarker, report.empty() ? " " : report.c_str(), 1);
  std::fflush(stdout);
  std::fflush(stderr);
  ::execv("/proc/self/exe", argv);
  throw Error(std::string("could not re-execute /proc/self/exe to apply the OpenMP settings: ") + std::strerror(errno));
}

// What a driver's --mkl does, before its first OpenMP call (and before MPI starts): in the first
// run, sets the variables and re-executes (no return); in the re-executed copy, returns what was
// applied, for the log.
inline const char* apply_kmp_settings(const KmpSettings& k, char** argv) {
  if (const char* applied = applied_environment()) return applied;
  const double spins = k.blocktime_ms > 0 ? measure_spins_per_ms() : 0.0;
  reexec_with_environment(openmp_environment(k, spins), argv);
}

// --omp_proc_bind: OpenMP's own binding list, one entry per nesting level, so that the inter-op
// level (pieces of the graph side by side) and the intra-op level (each piece's kernels) can be
// placed differently: "spread,close" spreads the pieces over the cores and keeps each piece's
// threads near each other. Both runtimes read OMP_PROC_BIND; threads are bound to cores
// (OMP_PLACES=cores) unless the user chose places. Throws Error on an entry it does not know.
inline std::vector<EnvSetting> proc_bind_environment(std::string_view list) {
  const std::vector<std::string> levels = detail::split_top_level(list);
  for (const std::string& level : levels)
    if (level != "close" && level != "spread" && level != "primary" && level != "master" && level != "true" &&
        level != "false")
      throw Error("omp_proc_bind: '" + level + "' is not a binding (close, spread, primary, true, false)");
  if (levels.size() > 1 && std::find(levels.begin(), levels.end(), "false") != levels.end())
    throw Error("omp_proc_bind: false stands alone, not in a list");
  std::vector<EnvSetting> env{{"OMP_PROC_BIND", std::string(list), "--omp_proc_bind, one binding per nesting level"}};
  if (!std::getenv("OMP_PLACES")) env.push_back({"OMP_PLACES", "cores", "--omp_proc_bind: one place per core"});
  return env;
}

}  // namespace tinycnn::parallel
