// What the OpenMP runtime really does with its settings, measured from inside the process:
// the binding and places it gives a team, and whether an idle thread spins or sleeps. A driver
// that set OMP_* or KMP_* variables (--mkl) reports these, so a run shows that each setting took
// effect rather than that a variable was written.
#pragma once
#include <omp.h>
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

namespace tinycnn::parallel {

struct OpenMpProbe {
  std::string proc_bind;          // omp_get_proc_bind() for a team: false, true, close, spread,
                                  // intel (libomp placing by KMP_AFFINITY) ...
  std::string nested_proc_bind;   // the same for a team inside that team (OMP_PROC_BIND=spread,close)
  int num_places = 0;             // omp_get_num_places(): 0 when threads are not bound to places
  std::vector<int> thread_places; // omp_get_place_num() of each thread of a team (-1: none)
  std::vector<int> thread_cpus;   // the CPU each thread of that team ran on when asked
  double idle_spin_fraction = 0;  // CPU time an idle team thread used while the team was idle,
                                  // over the idle wall time: ~1 spins (KMP_BLOCKTIME > 0,
                                  // OMP_WAIT_POLICY=active), ~0 sleeps (blocktime 0, passive)
};

inline const char* proc_bind_name(omp_proc_bind_t b) {
  switch (b) {
    case omp_proc_bind_false: return "false";
    case omp_proc_bind_true: return "true";
    case omp_proc_bind_master: return "master";
    case omp_proc_bind_close: return "close";
    case omp_proc_bind_spread: return "spread";
  }
  // LLVM's libomp (and Intel's) answer 5 when KMP_AFFINITY, not OMP_PROC_BIND, places the threads.
  return int(b) == 5 ? "intel" : "unknown";
}

// Runs one team of `threads` (at least 2 for the spin measurement) and then leaves it idle for
// idle_ms, reading the CPU clock of one of its threads: the runtime's wait policy decides whether
// that thread burned the time or slept through it.
inline OpenMpProbe probe_openmp(int threads, int idle_ms = 40) {
  OpenMpProbe p;
  threads = std::max(threads, 2);
  p.thread_places.assign(std::size_t(threads), -1);
  p.thread_cpus.assign(std::size_t(threads), -1);
  p.proc_bind = proc_bind_name(omp_get_proc_bind());
  omp_proc_bind_t nested = omp_proc_bind_false;
  clockid_t worker_clock{};
  bool have_clock = false;
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num();
    if (t < threads) {
      p.thread_places[std::size_t(t)] = omp_get_place_num();
      p.thread_cpus[std::size_t(t)] = sched_getcpu();
    }
    if (t == 0) nested = omp_get_proc_bind();
    if (t == 1) have_clock = pthread_getcpuclockid(pthread_self(), &worker_clock) == 0;
  }
  p.nested_proc_bind = proc_bind_name(nested);
  p.num_places = omp_get_num_places();
  if (have_clock) {
    auto cpu_seconds = [&] {
      timespec ts{};
      clock_gettime(worker_clock, &ts);
      return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
    };
    const double cpu0 = cpu_seconds();
    const auto wall0 = std::chrono::steady_clock::now();
    std::this_thread::sleep_for(std::chrono::milliseconds(idle_ms));
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
    p.idle_spin_fraction = std::clamp((cpu_seconds() - cpu0) / wall, 0.0, 1.0);
  }
  return p;
}

}  // namespace tinycnn::parallel
