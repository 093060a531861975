// Forward-only benchmarks run their batch in chunks: which chunk, and that it changes nothing
// but memory.
#include <doctest/doctest.h>

#include <cstdio>

#include "support/check.hpp"
#include "tinycnn/bench/run.hpp"
#include "tinycnn/graph/sequential.hpp"
#include "tinycnn/layers/batch_norm.hpp"
#include "tinycnn/layers/conv2d.hpp"
#include "tinycnn/layers/dense.hpp"
#include "tinycnn/layers/dropout.hpp"
#include "tinycnn/layers/flatten.hpp"
#include "tinycnn/layers/relu.hpp"

using namespace tinycnn;

TEST_CASE("the inference chunk: the batch up to 8, a divisor from 8 down to 4, else about 8") {
  CHECK(bench::inference_chunk(1, 0) == 1);
  CHECK(bench::inference_chunk(7, 0) == 7);
  CHECK(bench::inference_chunk(64, 0) == 8);
  CHECK(bench::inference_chunk(32, 0) == 8);
  CHECK(bench::inference_chunk(50, 0) == 5);
  CHECK(bench::inference_chunk(42, 0) == 7);
  CHECK(bench::inference_chunk(13, 0) == 7);    // two chunks, one padded image
  CHECK(bench::inference_chunk(1009, 0) == 8);  // prime: 127 chunks of 8, 7 padded images
  CHECK(bench::inference_chunk(64, 3) == 3);    // asked for
  CHECK(bench::inference_chunk(64, 100) == 64);
}

TEST_CASE("a forward-only step gives the same loss in chunks as in one pass") {
  // Batch norm (on running statistics) and dropout (off) are per image in inference.
  using Net = Sequential<Conv2D<4, 3>, BatchNorm<>, ReLU, Dropout<Percent<50>>, Flatten, Dense<5>>;
  std::FILE* sink = std::tmpfile();
  REQUIRE(sink);
  auto loss_with_chunk = [&](index_t chunk) {
    bench::BenchmarkOptions o;
    o.model = "test";
    o.batch_size = 13;
    o.num_batches = 1;
    o.num_warmup_batches = 0;
    o.forward_only = true;
    o.inference_chunk = chunk;
    o.label_values = 5;
    o.fma_seconds = 0.001;
    o.out = sink;
    return bench::run_benchmark<Net>(Input<6, 5, 3>{}, o).repetitions.at(0).losses.at(0);
  };
  const double whole = loss_with_chunk(13);
  // The chunks' losses are summed in another order: measured worst 2.5e-16 on both widths.
  for (index_t chunk : {0, 4, 1}) {  // 7 + 7 (one padded image); 4 + 4 + 4 + 4 (three padded); 1 each
    CAPTURE(chunk);
    const double chunked = loss_with_chunk(chunk);
    test::check_close(&chunked, &whole, 1, 2e-15, "loss in chunks");
  }
  std::fclose(sink);
}
