// cnn_benchmark's command line: TensorFlow's flags read into the benchmark's options, every value
// checked (each number in its range, a flag that would do nothing refused) before any work. A
// function of its own, apart from main, so that it can be fuzzed without running a model
// (tests/fuzz/cnn_benchmark_flags_fuzz.cpp).
#pragma once
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "distributed.hpp"
#include "registry.hpp"
#include "tinycnn/bench/result.hpp"
#include "tinycnn/parallel/omp_environment.hpp"

namespace cnn_benchmark {

// A refused command line: main prints "cnn_benchmark: <what>" and exits with 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// What the command line decides.
struct Flags {
  tinycnn::bench::BenchmarkOptions o;  // the benchmark's options the flags set
  DistributedFlags distributed;
  const ModelEntry* entry = nullptr;
  tinycnn::parallel::KmpSettings kmp;
  int inter_threads = 0, intra_threads = 0, cores_limit = 0;  // 0: the library picks, all CPUs
  bool mkl = false, forward_only = false, per_layer = false, deterministic = false, summary = false;
  std::string omp_proc_bind, output_json, output_csv, train_dir, variable_update, optimizer;
  std::optional<int> exit_now;  // --help or --version was printed: main returns this
};

// Throws UsageError naming the flag and what it accepts. `cpus` is the process's CPU mask (the
// thread limits, --num_cores, a proclist). With `touch_files` the output locations are checked
// and --train_dir is made, as a run needs; without it nothing is written (for fuzzing).
Flags parse_flags(int argc, const char* const* argv, const std::vector<int>& cpus, bool touch_files = true);

}  // namespace cnn_benchmark
