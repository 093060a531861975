// Bucket plans: every leaf in exactly one bucket, buckets in backward (descending) order,
// contiguous spans that partition the whole buffer.
#include <doctest/doctest.h>

#include <vector>

#include "tinycnn/distributed/buckets.hpp"

using namespace tinycnn;
using namespace tinycnn::distributed;

namespace {
void check_partition(const BucketPlan& plan, index_t size) {
  index_t top = size;
  for (const Bucket& b : plan.buckets()) {
    CHECK(b.span.end() == top);
    CHECK(b.span.length > 0);
    CHECK(b.leaves > 0);
    top = b.span.offset;
  }
  CHECK(top == 0);
}
}  // namespace

TEST_CASE("leaves are grouped from the highest offset down until a bucket holds the target") {
  // Leaves of 10, 20, 30, 40 elements with 6 elements of padding after each, given out of order.
  const std::vector<ParameterRange> leaves = {{48, 30}, {0, 10}, {84, 40}, {16, 20}};
  const index_t size = 130;
  SUBCASE("target 50: {40, 30} then {20, 10}") {
    BucketPlan plan(leaves, size, 50);
    REQUIRE(plan.buckets().size() == 2);
    CHECK(plan.buckets()[0].span == ParameterRange{48, 82});
    CHECK(plan.buckets()[1].span == ParameterRange{0, 48});
    CHECK(plan.bucket_of({84, 40}) == 0);
    CHECK(plan.bucket_of({48, 30}) == 0);
    CHECK(plan.bucket_of({16, 20}) == 1);
    CHECK(plan.bucket_of({0, 10}) == 1);
    check_partition(plan, size);
  }
  SUBCASE("target 1: one bucket per leaf") {
    BucketPlan plan(leaves, size, 1);
    REQUIRE(plan.buckets().size() == 4);
    CHECK(plan.buckets()[0].span == ParameterRange{84, 46});
    CHECK(plan.buckets()[3].span == ParameterRange{0, 16});
    check_partition(plan, size);
  }
  SUBCASE("a huge target: one bucket, the whole buffer") {
    BucketPlan plan(leaves, size, index_t(1) << 40);
    REQUIRE(plan.buckets().size() == 1);
    CHECK(plan.buckets()[0].span == ParameterRange{0, size});
    CHECK(plan.buckets()[0].leaves == 4);
  }
}

TEST_CASE("overlapping ranges, ranges past the end and unknown ranges are refused") {
  CHECK_THROWS_AS(BucketPlan({{0, 10}, {5, 10}}, 20, 4), Error);
  CHECK_THROWS_AS(BucketPlan({{0, 10}, {15, 10}}, 20, 4), Error);
  CHECK_THROWS_AS(BucketPlan({{0, 10}}, 20, 0), Error);
  BucketPlan plan({{0, 10}}, 20, 4);
  CHECK_THROWS_AS(plan.bucket_of({3, 1}), Error);
}
