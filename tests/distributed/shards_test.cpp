// Shards and pieces: the servers' shards partition the buffer, are cut at multiples of 16 and
// differ in length by at most 16; the pieces (each bucket's part in each shard) partition it too,
// each inside one bucket and one shard.
#include <doctest/doctest.h>

#include <algorithm>
#include <vector>

#include "tinycnn/core/random.hpp"
#include "tinycnn/distributed/shards.hpp"

using namespace tinycnn;
using namespace tinycnn::distributed;

TEST_CASE("shards: contiguous, aligned, balanced, one per server") {
  Rng rng(5);
  for (int trial = 0; trial < 200; ++trial) {
    const int servers = 1 + int(rng.below(9));
    const index_t size = index_t(servers) * 16 + index_t(rng.below(5000));
    CAPTURE(servers);
    CAPTURE(size);
    const std::vector<ParameterRange> shards = plan_shards(size, servers);
    REQUIRE(shards.size() == std::size_t(servers));
    index_t at = 0, shortest = size, longest = 0;
    for (const ParameterRange& s : shards) {
      CHECK(s.offset == at);
      CHECK(s.offset % 16 == 0);
      CHECK(s.length > 0);
      shortest = std::min(shortest, s.length);
      longest = std::max(longest, s.length);
      at = s.end();
    }
    CHECK(at == size);
    CHECK(longest - shortest < 32);  // 16 from the cuts, under 16 more from the unaligned tail
  }
  CHECK_THROWS_AS(plan_shards(100, 0), Error);
  CHECK_THROWS_AS(plan_shards(47, 3), Error);  // fewer than 16 parameters per server
}

TEST_CASE("pieces: every bucket cut at the shard boundaries, together the whole buffer") {
  Rng rng(9);
  for (int trial = 0; trial < 100; ++trial) {
    // Leaves of random sizes with cache-line padding between them.
    std::vector<ParameterRange> leaves;
    index_t at = 0;
    const int count = 1 + int(rng.below(12));
    for (int i = 0; i < count; ++i) {
      const index_t length = 1 + index_t(rng.below(300));
      leaves.push_back({at, length});
      at = (at + length + 15) / 16 * 16;
    }
    const index_t size = std::max<index_t>(at, 64);
    const int servers = 1 + int(rng.below(4));
    const BucketPlan buckets(leaves, size, 1 + index_t(rng.below(400)));
    const PiecePlan plan(buckets, plan_shards(size, servers));
    CAPTURE(trial);
    std::vector<int> covered(std::size_t(size), 0);
    for (const Piece& p : plan.pieces()) {
      const ParameterRange b = buckets.buckets()[std::size_t(p.bucket)].span, s = plan.shards()[std::size_t(p.shard)];
      CHECK(p.span.length > 0);
      CHECK(p.span.offset >= b.offset);
      CHECK(p.span.end() <= b.end());
      CHECK(p.span.offset >= s.offset);
      CHECK(p.span.end() <= s.end());
      for (index_t i = p.span.offset; i < p.span.end(); ++i) ++covered[std::size_t(i)];
    }
    CHECK(std::all_of(covered.begin(), covered.end(), [](int c) { return c == 1; }));
    for (int s = 0; s < servers; ++s) {
      index_t total = 0;
      for (index_t p : plan.of_shard(s)) total += plan.pieces()[std::size_t(p)].span.length;
      CHECK(total == plan.shards()[std::size_t(s)].length);
    }
    for (std::size_t b = 0; b < buckets.buckets().size(); ++b) {
      index_t total = 0;
      for (index_t p : plan.of_bucket(index_t(b))) total += plan.pieces()[std::size_t(p)].span.length;
      CHECK(total == buckets.buckets()[b].span.length);
    }
  }
}
