// One model per translation unit, so the models compile in parallel.
#include "registry.hpp"
#include "tinycnn/bench/run.hpp"
#include "tinycnn/models/resnet.hpp"

namespace cnn_benchmark {
tinycnn::bench::BenchmarkResult run_resnet50(const tinycnn::bench::BenchmarkOptions& o) {
  return tinycnn::bench::run_benchmark<tinycnn::models::ResNet50>(tinycnn::models::ResNet50Input{}, o);
}
}  // namespace cnn_benchmark
