// One model per translation unit, so the models compile in parallel.
#include "registry.hpp"
#include "tinycnn/bench/run.hpp"
#include "tinycnn/models/mnist_deep.hpp"

namespace cnn_benchmark {
tinycnn::bench::BenchmarkResult run_mnist_deep(const tinycnn::bench::BenchmarkOptions& o) {
  return tinycnn::bench::run_benchmark<tinycnn::models::MnistDeep>(tinycnn::models::MnistInput{}, o);
}
}  // namespace cnn_benchmark
