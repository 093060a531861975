// The process-wide intra-op thread count that the optimizer's update loop uses: a network's
// layers and kernels take theirs from the Network (parallel/execution.hpp).
#pragma once
#include <omp.h>

#include <algorithm>
#include <atomic>

namespace tinycnn::parallel {

inline std::atomic<int>& intra_threads_setting() {
  static std::atomic<int> n{0};
  return n;
}

inline void set_intra_threads(int n) { intra_threads_setting().store(std::max(n, 0)); }

inline int intra_threads() {
  if (omp_in_parallel() && omp_get_active_level() >= omp_get_max_active_levels()) return 1;
  int n = intra_threads_setting().load();
  return n > 0 ? n : omp_get_max_threads();
}

}  // namespace tinycnn::parallel
