// The CPUs this process may run on: its affinity mask, which taskset, numactl, Slurm's CPU
// binding or a container set before it started. OpenMP sizes and places its teams from this mask
// when it loads, so a program that narrows it (--num_cores) re-executes itself afterwards
// (parallel/omp_environment.hpp).
#pragma once
#include <sched.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "tinycnn/core/error.hpp"
#include "tinycnn/parallel/execution.hpp"

namespace tinycnn::parallel {

inline std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> cpus;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return cpus;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) cpus.push_back(c);
  return cpus;
}

// The most threads a program's thread-count flags accept with this many CPUs in its mask: 8 per
// CPU (room for a study of oversubscription), never more than kMaxThreads. Far more threads than
// CPUs makes no progress (every barrier waits for threads that are not running), and OpenMP
// runtimes crash outright when asked for 100000.
inline constexpr int kThreadsPerCpuLimit = 8;
inline int thread_flag_limit(std::size_t cpus) {
  return int(std::min<std::size_t>(kMaxThreads, kThreadsPerCpuLimit * std::max<std::size_t>(cpus, 1)));
}

// "0-3,8,10-11"
inline std::string cpu_list(const std::vector<int>& cpus) {
  std::string s;
  for (std::size_t i = 0; i < cpus.size();) {
    std::size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1) ++j;
    if (!s.empty()) s += ",";
    s += std::to_string(cpus[i]) + (j > i ? "-" + std::to_string(cpus[j]) : "");
    i = j + 1;
  }
  return s.empty() ? "none" : s;
}

// Narrows the mask to its first n CPUs; true when that changed it (then OpenMP, already loaded
// with the old mask, needs a fresh process). Refuses n beyond the mask: the cores a job was
// given are a limit, not a hint.
inline bool limit_to_cores(int n) {
  const std::vector<int> cpus = allowed_cpus();
  require(n >= 1 && std::size_t(n) <= cpus.size(),
          "--num_cores " + std::to_string(n) + " is more than the " + std::to_string(cpus.size()) +
              " CPUs this process may use (" + cpu_list(cpus) + ")");
  if (std::size_t(n) == cpus.size()) return false;
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int i = 0; i < n; ++i) CPU_SET(cpus[std::size_t(i)], &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0)
    throw Error(std::string("could not limit this process to ") + std::to_string(n) + " CPUs: " + std::strerror(errno));
  return true;
}

}  // namespace tinycnn::parallel
