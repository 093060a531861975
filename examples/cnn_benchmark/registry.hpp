// The models the benchmark driver knows: name, the TensorFlow benchmark's defaults, and the
// function (defined in <model>.cpp, one translation unit per model) that runs it. Only plain data
// here, so main.cpp compiles without any network type.
#pragma once
#include <span>
#include <string_view>

#include "tinycnn/bench/result.hpp"

namespace cnn_benchmark {

using RunFunction = tinycnn::bench::BenchmarkResult (*)(const tinycnn::bench::BenchmarkOptions&);

enum class Schedule {
  Constant,       // tf_cnn_benchmarks' CNNModel default: the model's learning rate throughout
  ResNetPiecewise // resnet_model.py (v1.5 branch): x0.1 at epochs 30 and 60 of the ImageNet epoch
};

struct ModelEntry {
  std::string_view name;
  tinycnn::index_t default_batch_size;
  double default_learning_rate;
  Schedule schedule;
  tinycnn::index_t label_values;  // synthetic labels are drawn from [0, label_values)
  double epoch_images;            // for "Num epochs" and epoch-based schedules
  RunFunction run;
};

tinycnn::bench::BenchmarkResult run_trivial(const tinycnn::bench::BenchmarkOptions&);
tinycnn::bench::BenchmarkResult run_mnist_deep(const tinycnn::bench::BenchmarkOptions&);
tinycnn::bench::BenchmarkResult run_alexnet(const tinycnn::bench::BenchmarkOptions&);
tinycnn::bench::BenchmarkResult run_vgg16(const tinycnn::bench::BenchmarkOptions&);
tinycnn::bench::BenchmarkResult run_inception3(const tinycnn::bench::BenchmarkOptions&);
tinycnn::bench::BenchmarkResult run_resnet50(const tinycnn::bench::BenchmarkOptions&);
tinycnn::bench::BenchmarkResult run_resnet50_v1_5(const tinycnn::bench::BenchmarkOptions&);
tinycnn::bench::BenchmarkResult run_resnet152(const tinycnn::bench::BenchmarkOptions&);
// A model is built in when its file name is in CNN_BENCHMARK_MODELS (examples/CMakeLists.txt),
// which defines CNN_BENCHMARK_WITH_<NAME> and compiles examples/cnn_benchmark/<name>.cpp.

inline constexpr double kImagenetTrainImages = 1281167;  // tf_cnn_benchmarks' IMAGENET_NUM_TRAIN_IMAGES
inline constexpr double kMnistTrainImages = 60000;

inline std::span<const ModelEntry> models() {
  // ImageNet models have 1001 classes; the benchmark draws labels below 1000 (class 0 is background).
  static const ModelEntry table[] = {
      {"trivial", 32, 0.005, Schedule::Constant, 1000, kImagenetTrainImages, run_trivial},
      // mnist_deep: the report's "real world" check (Adam 1e-4, batch 50 in the tutorial; sgd and
      // 0.005 unless the flags say otherwise, as for every model here).
      {"mnist_deep", 50, 0.005, Schedule::Constant, 10, kMnistTrainImages, run_mnist_deep},
#ifdef CNN_BENCHMARK_WITH_ALEXNET
      {"alexnet", 512, 0.005, Schedule::Constant, 1000, kImagenetTrainImages, run_alexnet},
#endif
#ifdef CNN_BENCHMARK_WITH_VGG16
      {"vgg16", 64, 0.005, Schedule::Constant, 1000, kImagenetTrainImages, run_vgg16},
#endif
#ifdef CNN_BENCHMARK_WITH_INCEPTION3
      {"inception3", 32, 0.005, Schedule::Constant, 1000, kImagenetTrainImages, run_inception3},
#endif
#ifdef CNN_BENCHMARK_WITH_RESNET50
      {"resnet50", 64, 0.1, Schedule::ResNetPiecewise, 1000, kImagenetTrainImages, run_resnet50},
#endif
#ifdef CNN_BENCHMARK_WITH_RESNET50_V1_5
      {"resnet50_v1.5", 64, 0.1, Schedule::ResNetPiecewise, 1000, kImagenetTrainImages, run_resnet50_v1_5},
#endif
#ifdef CNN_BENCHMARK_WITH_RESNET152
      {"resnet152", 32, 0.1, Schedule::ResNetPiecewise, 1000, kImagenetTrainImages, run_resnet152},
#endif
  };
  return table;
}

inline const ModelEntry* find_model(std::string_view name) {
  for (const auto& m : models())
    if (m.name == name) return &m;
  return nullptr;
}

}  // namespace cnn_benchmark
