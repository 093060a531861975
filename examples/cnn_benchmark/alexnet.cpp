// One model per translation unit, so the models compile in parallel.
#include "registry.hpp"
#include "tinycnn/bench/run.hpp"
#include "tinycnn/models/alexnet.hpp"

namespace cnn_benchmark {
tinycnn::bench::BenchmarkResult run_alexnet(const tinycnn::bench::BenchmarkOptions& o) {
  return tinycnn::bench::run_benchmark<tinycnn::models::AlexNet>(tinycnn::models::AlexNetInput{}, o);
}
}  // namespace cnn_benchmark
