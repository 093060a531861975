// AllReduce: every rank keeps all the variables, and the gradients are averaged over the ranks
// before every rank applies the same update (TensorFlow benchmark's
// --variable_update=distributed_all_reduce).
//
// The average overlaps backward: the gradient buffer is cut into buckets (buckets.hpp), and a
// bucket's sum over all ranks starts, nonblocking, from the gradients-ready hook as soon as its
// last leaf has reported. Every rank must start the same collectives in the same order, and
// concurrent Concat branches may report in a different order on each rank, so buckets start
// strictly in plan order: a bucket that is complete waits for the ones before it. before_update
// waits (politely, see mpi.hpp) for the rest and divides by the number of ranks; update is the
// whole buffer, the same on every rank.
//
// MPI is called from the hook, which concurrent branches may run at once: one lock serialises
// every call (MPI_THREAD_SERIALIZED suffices).
#pragma once
#include <chrono>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "tinycnn/distributed/buckets.hpp"
#include "tinycnn/distributed/mpi.hpp"
#include "tinycnn/distributed/policy.hpp"

namespace tinycnn::distributed {

struct AllReduceOptions {
  index_t bucket_elements = index_t(1) << 20;  // 4 MiB of float gradients per message
  mpi::WaitPolicy wait{mpi::WaitMode::poll, std::chrono::seconds(300)};
};

template <class T>
class AllReduce {
 public:
  // leaves: the network's parameter_ranges(); parameters: its parameter count (padding included).
  AllReduce(const std::vector<LeafRanges>& leaves, index_t parameters, AllReduceOptions options = {},
            MPI_Comm comm = MPI_COMM_WORLD)
      : s_(std::make_unique<Shared>(comm, BucketPlan::of_leaves(leaves, parameters, options.bucket_elements),
                                    options.wait)) {}

  void on_gradients_ready(const StepView<T>& step, ParameterRange r) {
    std::lock_guard<std::mutex> hold(s_->lock);
    --s_->waiting_for[std::size_t(s_->plan.bucket_of(r))];
    start_ready(step);
    s_->pending.test();  // MPI progresses only inside MPI calls
  }

  void before_update(const StepView<T>& step) {
    std::lock_guard<std::mutex> hold(s_->lock);
    if (s_->next != s_->plan.buckets().size())
      throw Error("all-reduce: backward reported the gradients of only part of the model");
    const auto start = std::chrono::steady_clock::now();
    s_->pending.wait(s_->wait);
    s_->waited += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const T scale = T(1) / T(s_->comm.size());
    for (T& g : step.gradients) g *= scale;
    s_->reset();
  }

  template <class U>  // an Updater (or AnyUpdater)
  void update(const StepView<T>&, const U& updater) const {
    updater.whole();
  }
  void after_update(const StepView<T>&) const {}

  // The Trainer's begin point (construction, load): the first rank's parameters, optimizer
  // state, batch-norm statistics and step become every rank's.
  void begin(StepView<T>& step, std::span<T> state) {
    std::lock_guard<std::mutex> hold(s_->lock);
    mpi::Requests pending;
    s_->comm.ibcast(step.parameters.data(), step.parameters.size(), 0, pending);
    s_->comm.ibcast(step.optimizer_state.data(), step.optimizer_state.size(), 0, pending);
    s_->comm.ibcast(state.data(), state.size(), 0, pending);
    s_->comm.ibcast(&step.step, 1, 0, pending);
    pending.wait(s_->wait);
  }

  // The Trainer's synchronize(): the batch-norm running statistics averaged over the ranks (the
  // rest is alike on every rank already).
  void synchronize(StepView<T>&, std::span<T> state) {
    std::lock_guard<std::mutex> hold(s_->lock);
    mpi::Requests pending;
    s_->comm.iallreduce_sum(state.data(), state.size(), pending);
    pending.wait(s_->wait);
    const T scale = T(1) / T(s_->comm.size());
    for (T& v : state) v *= scale;
  }

  const BucketPlan& buckets() const { return s_->plan; }
  // Seconds the steps spent waiting for the sums once backward was over (what did not overlap).
  double wait_seconds() const { return s_->waited; }
  int ranks() const { return s_->comm.size(); }

 private:
  // Starts every complete bucket that is next in plan order.
  void start_ready(const StepView<T>& step) {
    const auto& buckets = s_->plan.buckets();
    while (s_->next < buckets.size() && s_->waiting_for[s_->next] == 0) {
      const ParameterRange span = buckets[s_->next].span;
      s_->comm.iallreduce_sum(step.gradients.data() + span.offset, std::size_t(span.length), s_->pending);
      ++s_->next;
    }
  }

  // Behind a pointer: a Trainer moves its policy in, and MPI holds the addresses of what is pending.
  struct Shared {
    Shared(MPI_Comm c, BucketPlan p, mpi::WaitPolicy w) : comm(c), plan(std::move(p)), wait(w) { reset(); }
    void reset() {
      waiting_for.clear();
      for (const Bucket& b : plan.buckets()) waiting_for.push_back(b.leaves);
      next = 0;
    }
    mpi::Comm comm;
    BucketPlan plan;
    mpi::WaitPolicy wait;
    std::vector<index_t> waiting_for;  // per bucket: leaves not yet reported this step
    std::size_t next = 0;              // the first bucket not yet started
    mpi::Requests pending;
    double waited = 0;
    std::mutex lock;
  };
  std::unique_ptr<Shared> s_;
};

}  // namespace tinycnn::distributed
