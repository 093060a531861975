// run_branches(ex, n, slot_bytes, f): calls f(0, sub) ... f(n-1, sub), independent pieces of a
// graph (the branches of an Inception module), up to ex.inter of them at once.
//
// Branches that run side by side share the caller's threads and workspace: each concurrent
// branch gets ex.intra / (branches at once) threads for its kernels (nested OpenMP, which needs
// max-active-levels of at least 2: GNU libgomp serialises nested regions otherwise) and its own
// slot of slot_bytes of the workspace. Inside a branch, inter is 1: nested branches run one
// after the other, so the machine is never oversubscribed. branch_split() says how a call will
// divide, so that a caller can plan the slots' workspace (graph/concat.hpp).
#pragma once
#include <omp.h>

#include <algorithm>
#include <exception>
#include <mutex>

#include "tinycnn/parallel/execution.hpp"

namespace tinycnn::parallel {

struct BranchSplit {
  int at_once = 1;  // branches running concurrently (1: one after the other, with all of ex)
  int share = 1;    // intra-op threads of each concurrent branch
};

inline BranchSplit branch_split(int intra, int inter, int n) {
  const int at_once = std::min(inter, n);
  if (at_once <= 1) return {1, intra};
  return {at_once, std::max(1, intra / at_once)};
}

// Bytes run_branches takes from the workspace for slots of slot_bytes each.
inline std::size_t branch_slots_bytes(const BranchSplit& split, std::size_t slot_bytes) {
  if (split.at_once <= 1) return slot_bytes;
  return workspace_bytes([&](Workspace& ws) { ws.take_parts(split.at_once, slot_bytes); });
}

template <class F>
void run_branches(const Execution& ex, int n, std::size_t slot_bytes, F&& f) {
  const BranchSplit split = branch_split(ex.intra, ex.inter, n);
  if (split.at_once <= 1) {
    for (int i = 0; i < n; ++i) f(i, ex);
    return;
  }
  Workspace ws = ex.workspace;
  const Workspace::Parts slots = ws.take_parts(split.at_once, slot_bytes);
  if (omp_get_max_active_levels() < 2) omp_set_max_active_levels(2);
  std::exception_ptr failure;
  std::mutex failure_lock;
#pragma omp parallel for num_threads(split.at_once) schedule(dynamic, 1)
  for (int i = 0; i < n; ++i) {
    try {
      f(i, ex.share(split.share, slots.part(omp_get_thread_num())));
    } catch (...) {  // an exception must not leave an OpenMP region: rethrown below
      std::lock_guard<std::mutex> lock(failure_lock);
      if (!failure) failure = std::current_exception();
    }
  }
  if (failure) std::rethrow_exception(failure);
}

}  // namespace tinycnn::parallel
