// One model per translation unit, so the models compile in parallel.
#include "registry.hpp"
#include "tinycnn/bench/run.hpp"
#include "tinycnn/models/trivial.hpp"

namespace cnn_benchmark {
tinycnn::bench::BenchmarkResult run_trivial(const tinycnn::bench::BenchmarkOptions& o) {
  return tinycnn::bench::run_benchmark<tinycnn::models::Trivial>(tinycnn::models::TrivialInput{}, o);
}
}  // namespace cnn_benchmark
