// A Dataset walked in batches: seeded epoch orders and gathered copies, in float and double.
#include <doctest/doctest.h>

#include <cstdint>
#include <set>
#include <span>
#include <vector>

#include "tinycnn/io/dataset.hpp"

using namespace tinycnn;

namespace {
// Ten 28 x 28 images whose pixels differ from image to image, labels 9 down to 0.
Dataset ten_images() {
  Dataset ds;
  ds.images = Tensor<float>(Shape{10, 28, 28, 1});
  for (index_t i = 0; i < ds.images.size(); ++i) ds.images[i] = float((i * 37) % 1000) / 1000.0f;
  for (int i = 0; i < 10; ++i) ds.labels.push_back(std::int32_t(9 - i));
  return ds;
}
}  // namespace

TEST_CASE("batches: seeded shuffles and gathered copies") {
  const Dataset ds = ten_images();
  CHECK(ds.size() == 10);
  CHECK(ds.image_shape() == Shape{1, 28, 28, 1});

  auto plain = epoch_order(10);
  for (index_t i = 0; i < 10; ++i) CHECK(plain[static_cast<std::size_t>(i)] == i);

  Rng a(7), b(7), c(8);
  auto oa = epoch_order(10, &a), ob = epoch_order(10, &b), oc = epoch_order(10, &c);
  CHECK(oa == ob);
  CHECK(oa != oc);
  CHECK(std::set<index_t>(oa.begin(), oa.end()).size() == 10);
  CHECK(epoch_order(10, &a) != oa);  // the next epoch gets a new order

  Tensor<float> images;
  std::vector<std::int32_t> labels;
  std::vector<index_t> pick = {7, 2, 2};
  copy_batch<float>(ds, pick, images, labels);
  CHECK(images.shape() == Shape{3, 28, 28, 1});
  REQUIRE(labels.size() == 3);
  for (index_t k = 0; k < 3; ++k) {
    index_t i = pick[static_cast<std::size_t>(k)];
    CHECK(labels[static_cast<std::size_t>(k)] == ds.labels[static_cast<std::size_t>(i)]);
    bool same = true;
    for (index_t j = 0; j < 28 * 28; ++j) same = same && images[k * 784 + j] == ds.images[i * 784 + j];
    CHECK(same);
  }

  Tensor<double> dimages;
  copy_batch<double>(ds, std::span<const index_t>(oa), /*batch=*/2, /*batch_size=*/4, dimages, labels);
  CHECK(dimages.shape() == Shape{2, 28, 28, 1});  // the short last batch
  CHECK(labels[1] == ds.labels[static_cast<std::size_t>(oa[9])]);
  CHECK(dimages[784 + 5] == static_cast<double>(ds.images[oa[9] * 784 + 5]));

  std::vector<index_t> bad = {10};
  CHECK_THROWS_WITH_AS(copy_batch<float>(ds, bad, images, labels), doctest::Contains("outside the dataset"), Error);
  CHECK_THROWS_WITH_AS(copy_batch<float>(ds, std::span<const index_t>(oa), 3, 4, images, labels),
                       doctest::Contains("past the end"), Error);
}
