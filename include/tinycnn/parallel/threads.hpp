// The two thread pools of the TensorFlow benchmark, as OpenMP settings.
//
// intra-op: how many threads one kernel uses. Kernels open their own OpenMP regions with
//   intra_threads(); 0 means "whatever OpenMP would pick" (OMP_NUM_THREADS or all cores).
// inter-op: how many independent graph branches run at once (parallel/branches.hpp). A branch
//   running beside others gets its share of the intra-op threads, held in a thread-local
//   override, so the machine is not oversubscribed.
#pragma once
#include <omp.h>

#include <algorithm>
#include <atomic>

namespace tinycnn::parallel {

inline std::atomic<int>& intra_threads_setting() {
  static std::atomic<int> n{0};
  return n;
}
inline std::atomic<int>& inter_threads_setting() {
  static std::atomic<int> n{1};
  return n;
}
// Set by a branch runner for the kernels its thread launches; 0 = no override.
inline int& intra_threads_override() {
  thread_local int n = 0;
  return n;
}

inline void set_intra_threads(int n) { intra_threads_setting().store(std::max(n, 0)); }
// 0 = the library picks: 1, since inside one kernel all cores are already busy.
inline void set_inter_threads(int n) { inter_threads_setting().store(std::max(n, 0)); }

inline int intra_threads() {
  if (int o = intra_threads_override(); o > 0) return o;
  if (omp_in_parallel() && omp_get_active_level() >= omp_get_max_active_levels()) return 1;
  int n = intra_threads_setting().load();
  return n > 0 ? n : omp_get_max_threads();
}

inline int inter_threads() {
  int n = inter_threads_setting().load();
  return n > 0 ? n : 1;
}

}  // namespace tinycnn::parallel
