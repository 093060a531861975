// One model per translation unit, so the models compile in parallel.
#include "registry.hpp"
#include "tinycnn/bench/run.hpp"
#include "tinycnn/models/resnet.hpp"

namespace cnn_benchmark {
tinycnn::bench::BenchmarkResult run_resnet50_v1_5(const tinycnn::bench::BenchmarkOptions& o) {
  return tinycnn::bench::run_benchmark<tinycnn::models::ResNet50V15>(tinycnn::models::ResNet50V15Input{}, o);
}
}  // namespace cnn_benchmark
