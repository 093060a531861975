// LayerProfiler: forward and backward wall time of every leaf layer, like `caffe time`. Put a
// pointer to one in the Context and the graph containers time each leaf they run; without one
// the cost is a null check per layer.
#pragma once
#include <algorithm>
#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "tinycnn/core/shape.hpp"

namespace tinycnn {

struct LayerTiming {
  std::string name;           // the layer's describe()
  index_t order = 0;          // position in the forward pass
  double flops = 0;           // forward FLOPs of one call (whole batch)
  double forward_seconds = 0, backward_seconds = 0;
  index_t forward_calls = 0, backward_calls = 0;
};

class LayerProfiler {
 public:
  // counts_call false: more time of a call already counted (a layer recomputing its output for
  // backward, graph/node.hpp).
  void record(const void* layer, const std::string& name, double flops, bool backward, double seconds,
              bool counts_call = true) {
    std::lock_guard<std::mutex> lock(mutex_);  // branches may run concurrently
    auto [it, fresh] = index_.try_emplace(layer, timings_.size());
    if (fresh) timings_.push_back({name, index_t(timings_.size()), flops});
    LayerTiming& t = timings_[it->second];
    (backward ? t.backward_seconds : t.forward_seconds) += seconds;
    if (counts_call) ++(backward ? t.backward_calls : t.forward_calls);
  }
  void clear() {
    timings_.clear();
    index_.clear();
  }
  // In forward order; sort a copy by cost for a report.
  const std::vector<LayerTiming>& timings() const { return timings_; }

 private:
  std::mutex mutex_;
  std::vector<LayerTiming> timings_;
  std::unordered_map<const void*, std::size_t> index_;
};

}  // namespace tinycnn
