// best_seconds(f): the fastest of repeated runs of f, after one untimed warm-up run (page
// faults, packing buffers). Noise on a shared machine only ever slows a run down, so the best
// run is the kernel's own speed. Runs at least min_reps times and until min_seconds have passed.
#pragma once
#include <algorithm>
#include <chrono>

namespace tinycnn::bench {

template <class F>
double best_seconds(F&& f, double min_seconds, int min_reps = 2) {
  f();
  double best = 1e30, total = 0;
  for (int reps = 0; total < min_seconds || reps < min_reps; ++reps) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::min(best, s);
    total += s;
  }
  return best;
}

}  // namespace tinycnn::bench
