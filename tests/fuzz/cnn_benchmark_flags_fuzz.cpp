// Fuzz target: any bytes as cnn_benchmark's command line, one argument per line (at most 64).
// Parsing must give the run's flags or refuse them with a UsageError (which main turns into one
// line and exit 2); any other exception, a crash or a sanitizer report is a finding. Nothing is
// written: the output locations are not probed (touch_files = false).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "flags.hpp"

// The parser never runs a model; these stand in for the models' translation units (every model
// is in the table: tests/fuzz/CMakeLists.txt defines each CNN_BENCHMARK_WITH_<NAME>).
namespace cnn_benchmark {
using tinycnn::bench::BenchmarkOptions, tinycnn::bench::BenchmarkResult;
BenchmarkResult run_trivial(const BenchmarkOptions&) { std::abort(); }
BenchmarkResult run_mnist_deep(const BenchmarkOptions&) { std::abort(); }
BenchmarkResult run_alexnet(const BenchmarkOptions&) { std::abort(); }
BenchmarkResult run_vgg16(const BenchmarkOptions&) { std::abort(); }
BenchmarkResult run_inception3(const BenchmarkOptions&) { std::abort(); }
BenchmarkResult run_resnet50(const BenchmarkOptions&) { std::abort(); }
BenchmarkResult run_resnet50_v1_5(const BenchmarkOptions&) { std::abort(); }
BenchmarkResult run_resnet152(const BenchmarkOptions&) { std::abort(); }
}  // namespace cnn_benchmark

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::vector<std::string> args{"cnn_benchmark"};
  std::string arg;
  for (std::size_t i = 0; i < size && args.size() <= 64; ++i) {
    if (data[i] == '\n') {
      args.push_back(arg);
      arg.clear();
    } else {
      arg += char(data[i]);
    }
  }
  if (!arg.empty() && args.size() <= 64) args.push_back(arg);
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  static const std::vector<int> cpus = {0, 1, 2, 3};
  try {
    (void)cnn_benchmark::parse_flags(int(argv.size()), argv.data(), cpus, /*touch_files=*/false);
  } catch (const cnn_benchmark::UsageError&) {
  }
  return 0;
}
