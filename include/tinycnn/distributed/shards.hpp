// Shards: the flat parameter buffer cut into one contiguous piece per parameter server, balanced
// by size, and the messages a worker sends them.
//
// A worker sends its gradients bucket by bucket (buckets.hpp) as backward finishes them; a
// bucket that straddles a shard boundary goes out as two messages, one to each server. Those
// messages are the pieces: every bucket intersected with every shard. Together they partition
// the buffer, so each server receives exactly its shard, and every rank derives the same pieces
// in the same order from the same model, which lets a piece's index be its message tag.
#pragma once
#include <algorithm>
#include <string>
#include <vector>

#include "tinycnn/core/error.hpp"
#include "tinycnn/distributed/buckets.hpp"

namespace tinycnn::distributed {

// [0, size) in `servers` contiguous shards of near-equal length, cut at multiples of `align`
// elements (a cache line of floats), so that a shard's update loads whole vectors.
inline std::vector<ParameterRange> plan_shards(index_t size, int servers, index_t align = 16) {
  require(servers >= 1, "there must be at least one parameter server");
  require(size >= index_t(servers) * align,
          std::to_string(size) + " parameters are too few to share among " + std::to_string(servers) + " servers");
  std::vector<ParameterRange> shards;
  index_t start = 0;
  for (int s = 1; s <= servers; ++s) {
    const index_t cut = s == servers ? size : size * s / servers / align * align;
    shards.push_back({start, cut - start});
    start = cut;
  }
  return shards;
}

// A gradient message: the part of one bucket that lies in one shard.
struct Piece {
  ParameterRange span;
  index_t bucket = 0;
  int shard = 0;
};

class PiecePlan {
 public:
  PiecePlan(BucketPlan plan, std::vector<ParameterRange> shards)
      : buckets_(std::move(plan)), shards_(std::move(shards)) {
    const BucketPlan& buckets = buckets_;
    of_bucket_.resize(buckets.buckets().size());
    of_shard_.resize(shards_.size());
    for (std::size_t b = 0; b < buckets.buckets().size(); ++b) {
      const ParameterRange bucket = buckets.buckets()[b].span;
      for (std::size_t s = 0; s < shards_.size(); ++s) {
        const index_t lo = std::max(bucket.offset, shards_[s].offset), hi = std::min(bucket.end(), shards_[s].end());
        if (lo >= hi) continue;
        of_bucket_[b].push_back(index_t(pieces_.size()));
        of_shard_[s].push_back(index_t(pieces_.size()));
        pieces_.push_back({{lo, hi - lo}, index_t(b), int(s)});
      }
    }
  }

  const BucketPlan& buckets() const { return buckets_; }
  const std::vector<Piece>& pieces() const { return pieces_; }
  const std::vector<ParameterRange>& shards() const { return shards_; }
  // Indices into pieces(): those of a bucket (by shard), those of a shard (by bucket).
  const std::vector<index_t>& of_bucket(index_t b) const { return of_bucket_[std::size_t(b)]; }
  const std::vector<index_t>& of_shard(int s) const { return of_shard_[std::size_t(s)]; }

 private:
  BucketPlan buckets_;
  std::vector<ParameterRange> shards_;
  std::vector<Piece> pieces_;
  std::vector<std::vector<index_t>> of_bucket_, of_shard_;
};

}  // namespace tinycnn::distributed
