// Execution: what one call may use, passed down from the caller to every kernel.
//
//   intra      threads inside one kernel (an OpenMP team of at most this many);
//   inter      independent graph branches run at once (parallel/branches.hpp);
//   workspace  the kernel's planned scratch memory (parallel/workspace.hpp);
//   trace      where traced work records its intervals, when a Trace is attached
//              (parallel/trace.hpp); team is the counter of the traced piece running now;
//   deterministic  results must not depend on intra or inter: kernels whose summation order
//              follows the thread count (split-K GEMM) step aside for ones whose order does not.
//              Without it results are still the same from run to run at the same settings.
//
// No kernel reads a process-wide setting: a Network owns its Execution (graph/network.hpp), so
// two networks with different thread counts can train side by side in one process. The thread
// count a user asks for is resolved once (resolve_threads below); kernels trust the value.
#pragma once
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <string>

#include "tinycnn/core/error.hpp"
#include "tinycnn/parallel/workspace.hpp"

namespace tinycnn::parallel {

class Trace;

struct Execution {
  int intra = 1;
  int inter = 1;
  Workspace workspace;
  Trace* trace = nullptr;
  std::atomic<int>* team = nullptr;
  bool deterministic = false;

  // The same threads with another workspace (a part carved for a nested call).
  Execution with_workspace(Workspace w) const {
    Execution e = *this;
    e.workspace = w;
    return e;
  }
  // A piece of this call's work with its own share of the threads and of the workspace (a
  // branch running beside others): traced as this call is.
  Execution share(int threads, Workspace w) const { return {threads, 1, w, trace, team, deterministic}; }
  // One thread and the given workspace: a call made from inside another kernel's team.
  static Execution serial(Workspace w = {}) { return {1, 1, w}; }

  // Called by every thread of a kernel's parallel region: when the work is traced, the team
  // size it really ran with is kept (the largest seen), so a test can compare it with intra.
  void joined_team() const {
    if (!team) return;
    const int n = omp_get_num_threads();
    int seen = team->load(std::memory_order_relaxed);
    while (n > seen && !team->compare_exchange_weak(seen, n, std::memory_order_relaxed)) {
    }
  }
};

// The largest thread count accepted anywhere: far above any node's core count, far below what
// makes an OpenMP runtime fail to create its team.
inline constexpr int kMaxThreads = 1024;

// 0 means "the library picks": all the threads OpenMP would use (OMP_NUM_THREADS, or one per
// core), as TensorFlow does for its intra-op pool.
inline int resolve_threads(int requested, const char* what = "thread count") {
  require(requested >= 0 && requested <= kMaxThreads,
          std::string(what) + " must be between 0 and " + std::to_string(kMaxThreads) + ", got " +
              std::to_string(requested));
  return requested > 0 ? requested : std::max(1, omp_get_max_threads());
}

}  // namespace tinycnn::parallel
