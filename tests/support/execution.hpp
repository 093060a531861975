// Threads and workspace for calling kernels directly in tests.
//
// exec(n): n threads and no workspace, for the kernels that take none (elementwise, pooling,
// bias forward); by default as many threads as OpenMP would use (two under ctest).
// KernelRun: owns exactly the workspace one call plans (its *_workspace() answer), so a size
// function that is too small makes the call throw, and the test fail.
#pragma once
#include <omp.h>

#include "tinycnn/parallel/execution.hpp"

namespace tinycnn::test {

inline parallel::Execution exec(int threads = 0) { return {threads > 0 ? threads : omp_get_max_threads(), 1, {}}; }

class KernelRun {
 public:
  KernelRun(int threads, std::size_t workspace_bytes) : threads_(threads) { arena_.reserve(workspace_bytes); }
  // A fresh view for each call: the arena is reused, its contents are not.
  parallel::Execution exec() { return {threads_, 1, arena_.view()}; }
  std::size_t bytes() const { return arena_.bytes(); }

 private:
  int threads_;
  parallel::WorkspaceArena arena_;
};

}  // namespace tinycnn::test
