// One model per translation unit, so the models compile in parallel.
#include "registry.hpp"
#include "tinycnn/bench/run.hpp"
#include "tinycnn/models/vgg16.hpp"

namespace cnn_benchmark {
tinycnn::bench::BenchmarkResult run_vgg16(const tinycnn::bench::BenchmarkOptions& o) {
  return tinycnn::bench::run_benchmark<tinycnn::models::VGG16>(tinycnn::models::VGG16Input{}, o);
}
}  // namespace cnn_benchmark
