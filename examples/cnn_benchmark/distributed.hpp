// cnn_benchmark's distributed runs: the flags, and the MPI side of bench::Cluster. Only
// distributed.cpp includes MPI (no_mpi.cpp stands in when tinycnn was built without it), so the
// models' translation units are the same for every policy.
#pragma once
#include <memory>
#include <stdexcept>
#include <string>

#include "tinycnn/bench/cluster.hpp"
#include "tinycnn/bench/result.hpp"

namespace cnn_benchmark {

struct DistributedFlags {
  std::string variable_update;  // parameter_server | distributed_all_reduce
  int num_ps = 1;
  bool cross_replica_sync = true;
  bool spin = false;            // --comm_wait=spin
  double comm_timeout = 600;    // seconds
  tinycnn::index_t bucket_elements = tinycnn::index_t(1) << 20;
};

// A launch that cannot work (one rank for a parameter server, more servers than ranks, Slurm
// tasks that MPI did not connect): every rank finds it; the first one says it.
struct LaunchError : std::runtime_error {
  LaunchError(const std::string& what, bool say_it) : std::runtime_error(what), say(say_it) {}
  bool say;
};

// Starts MPI (MPI_Init_thread) and returns this process's part of the run; MPI ends when it is
// destroyed. threads: each rank's kernel threads, for the servers' updates.
std::unique_ptr<tinycnn::bench::Cluster> start_distributed(const DistributedFlags& flags,
                                                           const tinycnn::bench::BenchmarkOptions& options,
                                                           int& argc, char**& argv);

// After an error on one rank: says it, with the rank's number, and ends every rank (MPI_Abort)
// rather than let the others wait for it until their timeout. It first waits a little (the
// timeout or 5 s, whichever is shorter), so that the ranks waiting on this one can say whom
// they waited for.
void end_all_ranks(const std::exception& error, int rank, double comm_timeout);

}  // namespace cnn_benchmark
