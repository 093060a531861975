// Trace: when each traced piece of work ran, on how many threads it was given, and how large a
// team its kernels really ran with. Attach one (Context::trace) and the graph records every
// leaf's forward and backward, and every piece that inter-op parallelism runs beside another
// (a convolution's weight and data gradients). The record shows, from the run itself, which work
// overlapped in time and whether each kernel honoured its thread count; without a Trace the cost
// is a null test per leaf and per kernel region.
#pragma once
#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "tinycnn/parallel/execution.hpp"

namespace tinycnn::parallel {

struct TraceEvent {
  std::string label;
  double begin = 0, end = 0;  // seconds since the Trace was made
  int threads = 0;            // the intra-op threads it was given
  int team = 0;               // the largest team its kernels ran with (0: no parallel region)
  int inter = 0;              // the branches it was allowed to run at once

  bool overlaps(const TraceEvent& o) const { return begin < o.end && o.begin < end; }
};

class Trace {
 public:
  void clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    events_.clear();
  }
  std::vector<TraceEvent> events() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return events_;
  }
  double now() const { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count(); }
  void record(TraceEvent e) {
    std::lock_guard<std::mutex> lock(mutex_);
    events_.push_back(std::move(e));
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  mutable std::mutex mutex_;
  std::vector<TraceEvent> events_;
};

// Runs f(ex) and, when ex carries a Trace, records it as one event under label (made only then).
template <class Label, class F>
void traced(const Execution& ex, Label&& label, F&& f) {
  if (!ex.trace) {
    f(ex);
    return;
  }
  std::atomic<int> team{0};
  Execution inner = ex;
  inner.team = &team;
  const double begin = ex.trace->now();
  f(static_cast<const Execution&>(inner));
  ex.trace->record({std::string(label()), begin, ex.trace->now(), ex.intra, team.load(), ex.inter});
}

}  // namespace tinycnn::parallel
