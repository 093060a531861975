#include <doctest/doctest.h>

#include <algorithm>

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
