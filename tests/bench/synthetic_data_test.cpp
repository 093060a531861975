#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

#include "support/same_bits.hpp"
#include "tinycnn/bench/synthetic_data.hpp"

using namespace tinycnn;
using namespace tinycnn::bench;

TEST_CASE("the synthetic batch: pixels in [-1, 1] around 0, labels in range, fixed by the seed") {
  auto a = make_synthetic_batch<float>(8, 300, 1000, 1234);
  auto b = make_synthetic_batch<float>(8, 300, 1000, 1234);
  auto c = make_synthetic_batch<float>(8, 300, 1000, 99);
  double sum = 0;
  for (index_t i = 0; i < 8 * 300; ++i) {
    const float x = a.images.data()[i];
    CHECK(x >= -1.0f);
    CHECK(x <= 1.0f);
    sum += x;
    CHECK(x == b.images.data()[i]);
  }
  // mean 127 -> 127 / 127.5 - 1 = -0.004: near zero.
  CHECK(std::abs(sum / (8 * 300)) < 0.05);
  for (auto l : a.labels) CHECK((l >= 0 && l < 1000));
  CHECK(a.labels == b.labels);
  CHECK_FALSE(std::equal(a.images.data(), a.images.data() + 300, c.images.data()));
  auto small = make_synthetic_batch<float>(50, 4, 10, 1);
  for (auto l : small.labels) CHECK((l >= 0 && l < 10));
}

TEST_CASE("a distributed run's workers take slices of one global draw: together, the single process's batch") {
  const index_t global = 12, image = 30;
  const auto whole = make_synthetic_batch<float>(global, image, 1000, 1234);
  for (index_t workers : {1, 2, 3, 4}) {
    CAPTURE(workers);
    const index_t rows = global / workers;
    std::vector<float> images;
    std::vector<std::int32_t> labels;
    for (index_t k = 0; k < workers; ++k) {
      const auto slice = make_synthetic_slice<float>(global, k * rows, rows, image, 1000, 1234);
      images.insert(images.end(), slice.images.data(), slice.images.data() + rows * image);
      labels.insert(labels.end(), slice.labels.begin(), slice.labels.end());
    }
    CHECK(tinycnn::test::same_bits<float>(images, std::span<const float>(whole.images.data(), std::size_t(global * image))));
    CHECK(labels == whole.labels);
  }
  CHECK_THROWS_AS(make_synthetic_slice<float>(global, 10, 4, image, 1000, 1), Error);
  CHECK_THROWS_AS(make_synthetic_slice<float>(global, -1, 4, image, 1000, 1), Error);
  CHECK_THROWS_AS(make_synthetic_slice<float>(global, 0, 0, image, 1000, 1), Error);
}
