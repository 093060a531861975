// How many threads a kernel may use (the intra-op pool). Kernels open their own OpenMP
// parallel regions with this count; 0 means "whatever OpenMP would pick" (OMP_NUM_THREADS or
// the number of cores). Inside an already active region (an inter-op branch) the kernels run
// on the threads that nesting grants, which GNU libgomp makes one unless max active levels
// were raised: parallel/scheduler decides that, not the kernels.
#pragma once
#include <omp.h>

#include <atomic>

namespace tinycnn::parallel {

inline std::atomic<int>& intra_threads_setting() {
  static std::atomic<int> n{0};
  return n;
}

inline void set_intra_threads(int n) { intra_threads_setting().store(n < 0 ? 0 : n); }

inline int intra_threads() {
  if (omp_in_parallel() && omp_get_active_level() >= omp_get_max_active_levels()) return 1;
  int n = intra_threads_setting().load();
  return n > 0 ? n : omp_get_max_threads();
}

}  // namespace tinycnn::parallel
