// Buckets: the gradient buffer cut into a few contiguous pieces, each sent as one message as
// soon as every leaf in it has reported its gradients.
//
// Backward reports a chain's leaves from the last to the first, that is from high offsets to
// low ones, so the plan walks the leaves by descending offset and closes a bucket once it holds
// `target` elements: the first bucket is ready after the first few layers of backward and its
// message overlaps the rest. The buckets partition [0, size) of the buffer, the padding between
// leaves included (backward never writes it, so it stays zero), so that the whole buffer is
// reduced with no gaps.
#pragma once
#include <algorithm>
#include <unordered_map>
#include <vector>

#include "tinycnn/core/error.hpp"
#include "tinycnn/graph/parameter_ranges.hpp"

namespace tinycnn::distributed {

struct Bucket {
  ParameterRange span;  // of the gradient buffer
  index_t leaves = 0;   // how many leaf ranges it holds
};

class BucketPlan {
 public:
  // leaves: each leaf's parameter range (non-overlapping, any order); size: the buffer's length;
  // target: elements per bucket before it closes (1: one bucket per leaf).
  BucketPlan(std::vector<ParameterRange> leaves, index_t size, index_t target) {
    require(target > 0, "a gradient bucket must hold at least one element");
    std::erase_if(leaves, [](const ParameterRange& r) { return r.length == 0; });
    std::sort(leaves.begin(), leaves.end(), [](const auto& a, const auto& b) { return a.offset > b.offset; });
    index_t filled = 0, below = size;  // below: where the previous (higher) leaf starts
    for (const ParameterRange& r : leaves) {
      require(r.offset >= 0 && r.end() <= below, "gradient ranges overlap or lie outside the buffer");
      below = r.offset;
      if (buckets_.empty() || filled >= target) {
        buckets_.push_back({});
        filled = 0;
      }
      buckets_.back().span.offset = r.offset;  // the lowest so far: leaves come by descending offset
      ++buckets_.back().leaves;
      filled += r.length;
      bucket_of_.emplace(r.offset, index_t(buckets_.size() - 1));
    }
    // Spans: each from its lowest leaf up to where the bucket before it starts; the last one
    // reaches down to 0.
    index_t top = size;
    for (std::size_t b = 0; b < buckets_.size(); ++b) {
      const index_t low = b + 1 == buckets_.size() ? 0 : buckets_[b].span.offset;
      buckets_[b].span = {low, top - low};
      top = low;
    }
  }

  // The plan of a network's leaves (Network::parameter_ranges()).
  static BucketPlan of_leaves(const std::vector<LeafRanges>& leaves, index_t size, index_t target) {
    std::vector<ParameterRange> ranges;
    for (const LeafRanges& l : leaves) ranges.push_back(l.params);
    return BucketPlan(std::move(ranges), size, target);
  }

  const std::vector<Bucket>& buckets() const { return buckets_; }
  // The bucket that holds the leaf range starting at `offset`.
  index_t bucket_of(const ParameterRange& r) const {
    auto it = bucket_of_.find(r.offset);
    if (it == bucket_of_.end()) throw Error("a gradient range at offset " + std::to_string(r.offset) + " is in no bucket");
    return it->second;
  }

 private:
  std::vector<Bucket> buckets_;
  std::unordered_map<index_t, index_t> bucket_of_;
};

}  // namespace tinycnn::distributed
