// How the program was started, read from the launcher's environment before any communication,
// and the one mistake it can catch that MPI cannot: under Slurm, `srun -n 4 prog` without an
// MPI plugin (--mpi=pmi2 with Debian's MPICH) starts four separate programs of one rank each.
// Each would train alone and report as if it were the whole job; they must stop at once instead.
//
// Slurm sets SLURM_STEP_NUM_TASKS for the tasks of an srun step, and SLURM_NTASKS for the whole
// allocation: a batch script that runs one process by itself inside a 4-task allocation is not a
// mistake, so the step's count, when there is one, is what a rank compares with MPI's size.
#pragma once
#include <algorithm>
#include <cstdlib>
#include <optional>
#include <string>

namespace tinycnn::distributed {

struct LaunchEnvironment {
  int slurm_tasks = 0;  // tasks Slurm started together with this one (0: not started by Slurm)
  std::string slurm_job;  // SLURM_JOB_ID, for messages
};

namespace detail {
inline int positive_or_zero(const char* text) {
  if (!text || !*text) return 0;
  char* end = nullptr;
  const long v = std::strtol(text, &end, 10);
  return (*end == '\0' && v > 0 && v < (1L << 30)) ? int(v) : 0;
}
}  // namespace detail

// getenv is a parameter so that tests can describe any launch.
template <class GetEnv = char* (*)(const char*)>
LaunchEnvironment read_launch_environment(GetEnv getenv = &std::getenv) {
  LaunchEnvironment e;
  const char* step = getenv("SLURM_STEP_NUM_TASKS");
  e.slurm_tasks = detail::positive_or_zero(step && *step ? step : getenv("SLURM_NTASKS"));
  const char* job = getenv("SLURM_JOB_ID");
  e.slurm_job = job ? job : "";
  return e;
}

// Processes the launcher started together with this one (1 when alone), read before MPI starts:
// a program not asked to distribute refuses to run as several copies that would each train alone.
template <class GetEnv = char* (*)(const char*)>
int launched_processes(GetEnv getenv = &std::getenv) {
  for (const char* v : {"PMI_SIZE", "OMPI_COMM_WORLD_SIZE"})
    if (const int n = detail::positive_or_zero(getenv(v)); n > 0) return n;
  return std::max(1, read_launch_environment(getenv).slurm_tasks);
}

// Whether this is the first process of its launch (or alone), read before MPI starts: of the
// copies that find the same mistake in their flags, only the first says it.
template <class GetEnv = char* (*)(const char*)>
bool first_of_launch(GetEnv getenv = &std::getenv) {
  for (const char* v : {"PMI_RANK", "OMPI_COMM_WORLD_RANK", "SLURM_PROCID"})
    if (const char* r = getenv(v); r && std::string(r) != "0") return false;
  return true;
}

// What is wrong with running as `mpi_ranks` ranks in this environment, or nothing.
inline std::optional<std::string> launch_problem(int mpi_ranks, const LaunchEnvironment& e) {
  if (e.slurm_tasks > 1 && mpi_ranks == 1)
    return "Slurm started " + std::to_string(e.slurm_tasks) + " tasks" +
           (e.slurm_job.empty() ? std::string() : " (job " + e.slurm_job + ")") +
           ", but MPI sees 1 rank in each: they are separate programs, not one MPI job. Start them with "
           "'srun --mpi=pmi2 ...' (or set MpiDefault=pmi2 in slurm.conf), or use mpiexec inside the allocation";
  return std::nullopt;
}

// What is wrong with `servers` parameter servers (0 for allreduce) among `ranks` MPI ranks for
// `policy`, or nothing; `program` names the command a message suggests.
inline std::optional<std::string> roles_problem(int ranks, int servers, const std::string& policy,
                                                const std::string& program) {
  if (ranks < 2) {
    const std::string n = std::to_string(servers + 2);
    return "--variable_update=" + policy + " needs several MPI ranks, and this is one: start it with 'mpiexec -n " + n +
           " " + program + " ...' (or srun -n " + n + " --mpi=pmi2 ...)";
  }
  if (servers >= ranks)
    return "--num_ps=" + std::to_string(servers) + " leaves no worker among " + std::to_string(ranks) +
           " ranks: use at most --num_ps=" + std::to_string(ranks - 1);
  return std::nullopt;
}

}  // namespace tinycnn::distributed
