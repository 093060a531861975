#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tinycnn/bench/report.hpp"

using namespace tinycnn::bench;

TEST_CASE("step lines have tf_cnn_benchmarks' exact format") {
  CHECK(format_step_line(10, {3.14159, 0.04, 0.26}, 7.2334) == "10\timages/sec: 3.1 +/- 0.0 (jitter = 0.3)\t7.233\n");
  CHECK(format_step_line(1, {1234.56, 0, 0}, 0.5) == "1\timages/sec: 1234.6 +/- 0.0 (jitter = 0.0)\t0.500\n");
  CHECK(step_table_heading() == "Step\tImg/sec\ttotal_loss\n");
}

TEST_CASE("lines are printed at step 1 and every display_every steps") {
  CHECK(is_display_step(1, 10));
  CHECK_FALSE(is_display_step(2, 10));
  CHECK(is_display_step(10, 10));
  CHECK_FALSE(is_display_step(11, 10));
  CHECK(is_display_step(20, 10));
  CHECK(is_display_step(3, 1));
}

TEST_CASE("the total block: 64 dashes, total images/sec with two decimals, 64 dashes") {
  const std::string d(64, '-');
  CHECK(format_total(3.0512) == d + "\ntotal images/sec: 3.05\n" + d + "\n");
}

TEST_CASE("the header has TensorFlow's labels and spacing") {
  HeaderInfo h;
  h.model = "resnet50";
  h.forward_only = true;
  h.batch_size = 64;
  h.num_batches = 100;
  h.num_epochs = 0.005;
  h.optimizer = "sgd";
  h.parameters = 25559081;
  h.gflop_per_image = 7.67;
  h.extra = {{"Threads", "intra 2"}};
  const std::string s = format_header(h);
  CHECK(s.find("Model:       resnet50\n") != std::string::npos);
  CHECK(s.find("Mode:        forward-only\n") != std::string::npos);
  CHECK(s.find("Batch size:  64 global\n             64 per device\n") != std::string::npos);
  CHECK(s.find("Num batches: 100\n") != std::string::npos);
  CHECK(s.find("Num epochs:  0.01\n") != std::string::npos);
  CHECK(s.find("Devices:     ['/cpu:0']\n") != std::string::npos);
  CHECK(s.find("Data format: NHWC\n") != std::string::npos);
  CHECK(s.find("Variables:   local\n") != std::string::npos);
  CHECK(s.find("Parameters:  25559081\n") != std::string::npos);
  CHECK(s.find("Threads:     intra 2\n") != std::string::npos);
  CHECK(s.substr(s.size() - 11) == "==========\n");
}

TEST_CASE("the repetition summary quotes the mean and max - min, without 'total images/sec'") {
  const std::vector<double> ips{10, 12, 11};
  const std::string s = format_repetition_summary(ips);
  CHECK(s.find("repetition 2\timages/sec: 12.00\n") != std::string::npos);
  CHECK(s.find("mean images/sec: 11.00 +/- 2.00 (max - min)\n") != std::string::npos);
  CHECK(s.find("total images/sec") == std::string::npos);
}

TEST_CASE("the per-layer table puts the most expensive layer first") {
  std::vector<tinycnn::LayerTiming> layers{{"cheap", 0, 1e6, 0.001, 0.002, 1, 1}, {"dear", 1, 1e9, 0.1, 0.2, 1, 1}};
  const std::string s = format_layer_table(layers, false);
  CHECK(s.find("dear") < s.find("cheap"));
  CHECK(s.find("100.000") != std::string::npos);  // dear: 0.1 s forward = 100 ms per call
}
