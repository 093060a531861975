// Cluster: what a benchmark run asks of the processes it runs on when it is distributed. The
// driver implements it on MPI (examples/cnn_benchmark/distributed.cpp), so that the models'
// translation units need neither MPI nor one instantiation per policy.
//
// Roles: a parameter server holds a shard of the variables and serves until the workers end; a
// worker trains on its slice of every global batch with the cluster's policy. Under allreduce
// every rank is a worker.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "tinycnn/distributed/any_policy.hpp"
#include "tinycnn/graph/parameter_ranges.hpp"

namespace tinycnn::bench {

// Who ran a benchmark: the header's "World" line and the JSON's "world".
struct WorldInfo {
  int ranks = 1, servers = 0, workers = 1;
  int rank = 0;                          // this process's
  std::string policy = "local";          // --variable_update
  bool synchronous = true;
  std::vector<std::string> hosts;        // every rank's host, in rank order
  std::string layout;                    // which ranks are what, on which hosts, as the header says it
};

class Cluster {
 public:
  virtual ~Cluster() = default;

  virtual bool is_server() const = 0;
  virtual int workers() const = 0;
  virtual int worker_index() const = 0;  // 0 .. workers() - 1 on a worker

  // On a server: keeps the variables of this model (its leaves, its flat parameter count) for
  // the workers, and returns once every worker has finished.
  virtual void serve(const std::vector<LeafRanges>& leaves, index_t parameters) = 0;
  // On a worker: the policy for this model's Trainers; the cluster keeps it for the whole run.
  virtual distributed::PolicyBase<float>& policy(const std::vector<LeafRanges>& leaves, index_t parameters) = 0;
  // On a worker: tells the servers it is done (after its last step).
  virtual void finish() = 0;

  // Among the workers only, waiting politely.
  virtual void barrier() = 0;
  virtual double max_over_workers(double value) = 0;
  // Seconds this worker's steps have waited for communication after backward, so far.
  virtual double wait_seconds() const = 0;

  // The header's "Variables" value, and the world.
  virtual std::string variables() const = 0;
  virtual WorldInfo world() const = 0;
};

}  // namespace tinycnn::bench
