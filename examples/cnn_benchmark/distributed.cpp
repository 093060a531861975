// The MPI side of cnn_benchmark's distributed runs (distributed.hpp).
#include "distributed.hpp"

#include <mpi.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "tinycnn/bench/run.hpp"
#include "tinycnn/distributed/all_reduce.hpp"
#include "tinycnn/distributed/launch.hpp"
#include "tinycnn/distributed/mpi.hpp"
#include "tinycnn/distributed/parameter_server.hpp"

namespace cnn_benchmark {
namespace {

using namespace tinycnn;
namespace mpi = tinycnn::distributed::mpi;

// Every rank's host name and process id, "host pid 1234", in rank order: when a rank dies, MPI's
// launcher names its process id and host, and the header's list turns that into a rank. Under
// Slurm the node's name joins the host's ("host/node"): several nodes may share one host.
std::vector<std::string> host_names() {
  char mine[MPI_MAX_PROCESSOR_NAME] = {};
  int length = 0;
  MPI_Get_processor_name(mine, &length);
  std::string host = mine;
  if (const char* node = std::getenv("SLURMD_NODENAME"); node != nullptr && *node != '\0' && host != node)
    host += std::string("/") + node;
  const std::string tagged = host + " pid " + std::to_string(::getpid());
  std::snprintf(mine, sizeof mine, "%s", tagged.c_str());
  const mpi::Comm world;
  std::vector<char> all(std::size_t(world.size()) * MPI_MAX_PROCESSOR_NAME);
  mpi::check(MPI_Allgather(mine, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, all.data(), MPI_MAX_PROCESSOR_NAME, MPI_CHAR,
                           MPI_COMM_WORLD),
             "MPI_Allgather of the host names");
  std::vector<std::string> names;
  for (int r = 0; r < world.size(); ++r) names.emplace_back(all.data() + std::size_t(r) * MPI_MAX_PROCESSOR_NAME);
  return names;
}

// The host of "host pid 1234" or "host/node pid 1234": ranks on one host share its cores.
std::string host_of(const std::string& tagged) {
  return tagged.substr(0, std::min(tagged.find('/'), tagged.rfind(" pid ")));
}

// "ranks 1-2 workers (hostA pid 11, hostB pid 12)".
std::string ranks_text(const std::vector<std::string>& hosts, int first, int last, const char* role) {
  std::string s = first == last ? "rank " + std::to_string(first) : "ranks " + std::to_string(first) + "-" +
                                                                          std::to_string(last);
  std::string on;
  for (int r = first; r <= last; ++r) on += (on.empty() ? "" : ", ") + hosts[std::size_t(r)];
  return s + " " + role + " (" + on + ")";
}

class MpiCluster final : public bench::Cluster {
 public:
  MpiCluster(const DistributedFlags& f, const bench::BenchmarkOptions& o, int& argc, char**& argv)
      : env_(argc, argv), flags_(f), options_(o), world_() {
    const bool say = world_.rank() == 0;
    if (auto problem = distributed::launch_problem(world_.size(), distributed::read_launch_environment()))
      throw LaunchError(*problem, say);
    const bool ps = f.variable_update == "parameter_server";
    servers_ = ps ? f.num_ps : 0;
    if (auto problem = distributed::roles_problem(world_.size(), servers_, f.variable_update, "cnn_benchmark"))
      throw LaunchError(*problem, say);
    wait_ = {f.spin ? mpi::WaitMode::spin : mpi::WaitMode::poll, std::chrono::duration<double>(f.comm_timeout)};
    hosts_ = host_names();
    team_ = std::make_unique<mpi::SplitComm>(MPI_COMM_WORLD, is_server() ? 0 : 1, world_.rank());
  }

  bool is_server() const override { return world_.rank() < servers_; }
  int workers() const override { return world_.size() - servers_; }
  int worker_index() const override { return world_.rank() - servers_; }

  void serve(const std::vector<LeafRanges>& leaves, index_t parameters) override {
    bench::with_optimizer(options_, [&](auto opt) {
      distributed::serve<float>(opt, leaves, parameters, ps_options(), parallel::Execution{options_.threads, 1, {}});
      return 0;
    });
  }

  distributed::PolicyBase<float>& policy(const std::vector<LeafRanges>& leaves, index_t parameters) override {
    if (policy_) return *policy_;
    if (servers_ > 0) {
      auto p = std::make_unique<distributed::PolicyOf<float, distributed::ParameterServer<float>>>(
          distributed::ParameterServer<float>(leaves, parameters, ps_options()));
      ps_ = p.get();
      policy_ = std::move(p);
    } else {
      auto p = std::make_unique<distributed::PolicyOf<float, distributed::AllReduce<float>>>(
          distributed::AllReduce<float>(leaves, parameters, {flags_.bucket_elements, wait_}));
      all_reduce_ = p.get();
      policy_ = std::move(p);
    }
    return *policy_;
  }

  void finish() override {
    if (ps_) ps_->policy().finish();
  }

  void barrier() override { team_->comm().barrier(wait_); }
  double max_over_workers(double value) override {
    mpi::Requests pending;
    team_->comm().iallreduce_max(&value, 1, pending);
    pending.wait(wait_);
    return value;
  }
  double wait_seconds() const override {
    if (ps_) return ps_->policy().wait_seconds();
    if (all_reduce_) return all_reduce_->policy().wait_seconds();
    return 0;
  }

  std::string variables() const override {
    if (servers_ > 0)
      return "parameter_server (" + std::to_string(servers_) + (servers_ == 1 ? " server, " : " servers, ") +
             std::to_string(workers()) + " workers; " +
             (flags_.cross_replica_sync ? "synchronous: one update per step with the average of the workers' "
                                          "gradients, summed in rank order)"
                                        : "asynchronous: each worker's gradients applied as they arrive)");
    return "distributed_all_reduce (" + std::to_string(workers()) + " ranks; gradients averaged in buckets of " +
           std::to_string(flags_.bucket_elements * index_t(sizeof(float)) / 1048576) + " MiB, overlapping backward)";
  }

  bench::WorldInfo world() const override {
    bench::WorldInfo w;
    w.ranks = world_.size();
    w.rank = world_.rank();
    w.servers = servers_;
    w.workers = workers();
    w.policy = flags_.variable_update;
    w.synchronous = flags_.cross_replica_sync;
    std::vector<std::string> distinct;
    for (const auto& tagged : hosts_) {
      w.hosts.push_back(host_of(tagged));
      if (std::find(distinct.begin(), distinct.end(), w.hosts.back()) == distinct.end()) distinct.push_back(w.hosts.back());
    }
    w.layout = std::to_string(w.ranks) + " ranks on " + std::to_string(distinct.size()) +
               (distinct.size() == 1 ? " host: " : " hosts: ");
    if (servers_ > 0) w.layout += ranks_text(hosts_, 0, servers_ - 1, servers_ == 1 ? "server" : "servers") + "; ";
    w.layout += ranks_text(hosts_, servers_, w.ranks - 1, w.workers == 1 ? "worker" : "workers");
    return w;
  }

 private:
  distributed::ParameterServerOptions ps_options() const {
    return {servers_, flags_.bucket_elements, wait_, flags_.cross_replica_sync};
  }

  mpi::Environment env_;  // first in, last out: MPI ends after everything below
  DistributedFlags flags_;
  bench::BenchmarkOptions options_;
  mpi::Comm world_;
  int servers_ = 0;
  mpi::WaitPolicy wait_;
  std::vector<std::string> hosts_;
  std::unique_ptr<mpi::SplitComm> team_;  // the workers (or the servers) among themselves
  std::unique_ptr<distributed::PolicyBase<float>> policy_;
  distributed::PolicyOf<float, distributed::ParameterServer<float>>* ps_ = nullptr;
  distributed::PolicyOf<float, distributed::AllReduce<float>>* all_reduce_ = nullptr;
};

}  // namespace

std::unique_ptr<bench::Cluster> start_distributed(const DistributedFlags& flags, const bench::BenchmarkOptions& options,
                                                  int& argc, char**& argv) {
  return std::make_unique<MpiCluster>(flags, options, argc, argv);
}

void end_all_ranks(const std::exception& error, int rank, double comm_timeout) {
  std::fprintf(stderr, "cnn_benchmark: rank %d: %s\n", rank, error.what());
  std::fflush(stderr);
  // Every error gets the grace: a timeout reaches here wrapped with the step it happened in, and
  // the grace costs an error of any other kind only a few seconds.
  mpi::abort_all(std::min(comm_timeout, 5.0));
}

}  // namespace cnn_benchmark
