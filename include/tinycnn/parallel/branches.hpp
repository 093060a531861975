// run_branches(n, f): calls f(0) ... f(n-1), independent pieces of a graph (the branches of an
// Inception module), up to inter_threads() of them at once. Each concurrent branch's kernels get
// intra_threads() / (branches at once) threads through nested OpenMP, which needs
// max-active-levels of at least 2 (GNU libgomp serialises nested regions otherwise).
#pragma once
#include <omp.h>

#include <algorithm>
#include <exception>
#include <mutex>

#include "tinycnn/parallel/threads.hpp"

namespace tinycnn::parallel {

template <class F>
void run_branches(int n, F&& f) {
  const int inter = std::min(inter_threads(), n);
  if (inter <= 1 || omp_in_parallel()) {
    for (int i = 0; i < n; ++i) f(i);
    return;
  }
  const int share = std::max(1, intra_threads() / inter);
  if (omp_get_max_active_levels() < 2) omp_set_max_active_levels(2);
  std::exception_ptr failure;
  std::mutex failure_lock;
#pragma omp parallel for num_threads(inter) schedule(dynamic, 1)
  for (int i = 0; i < n; ++i) {
    int& override = intra_threads_override();
    const int keep = override;
    override = share;
    try {
      f(i);
    } catch (...) {  // an exception must not leave an OpenMP region: rethrown below
      std::lock_guard<std::mutex> lock(failure_lock);
      if (!failure) failure = std::current_exception();
    }
    override = keep;
  }
  if (failure) std::rethrow_exception(failure);
}

}  // namespace tinycnn::parallel
