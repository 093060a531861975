// One model per translation unit, so the models compile in parallel.
#include "registry.hpp"
#include "tinycnn/bench/run.hpp"
#include "tinycnn/models/inception_v3.hpp"

namespace cnn_benchmark {
tinycnn::bench::BenchmarkResult run_inception3(const tinycnn::bench::BenchmarkOptions& o) {
  return tinycnn::bench::run_benchmark<tinycnn::models::InceptionV3>(tinycnn::models::InceptionV3Input{}, o);
}
}  // namespace cnn_benchmark
