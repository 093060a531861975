// ParameterServer: the first `servers` ranks hold the variables and apply the optimizer; the
// other ranks, the workers, compute gradients (TensorFlow benchmark's
// --variable_update=parameter_server, the layout of the report's Table 3).
//
// The flat parameter buffer is cut into one contiguous shard per server (shards.hpp). Each
// server keeps its shard of the parameters and of the optimizer state, and nothing else of the
// model. In a step, a worker's gradients-ready hook sends every finished bucket, nonblocking, to
// the servers of the shards it covers, so the messages overlap the rest of backward; once all
// of a shard's gradients are on their way the worker posts the receive of that shard's fresh
// values straight into its parameters (those leaves have finished backward), and after_update
// waits for them: the next forward sees the updated weights.
//
// Synchronous (the default): a server waits for every worker's gradients and adds them up in
// rank order, never in arrival order, so the result does not depend on timing; it applies their
// average once per step. This differs on purpose from the TensorFlow benchmark, whose parameter
// servers applied each worker's gradients as a separate update: one averaged update per step is
// the same step as one process training on all the workers' images, which the tests check.
//
// Asynchronous (options.synchronous = false, TensorFlow's cross_replica_sync=False): a server
// applies each worker's gradients as soon as they are complete, and sends the new values to
// that worker alone. A worker waits only for its own reply, so its next gradients are computed
// on values that the other workers' updates may have moved on since: with workers of equal
// speed, by about one update of each of the others (W - 1); a slower worker falls further
// behind. ServeResult::max_staleness reports the most seen. The server's step counts every
// update, as TensorFlow's global_step does, so a learning-rate schedule advances W times faster
// than one worker's steps, and synchronize() hands that count to the first worker's Trainer.
//
// Outside the steps the first worker drives the servers with a small command:
//   begin    (at the Trainer's construction and after a load) its parameters, optimizer state
//            and step become the servers'; the other workers take its parameters;
//   gather   (synchronize(), before evaluating or saving) the servers' shards of parameters and
//            optimizer state come back to it, so its Trainer holds the whole model;
//   end      (every worker, when its policy is destroyed or finish() is called): a server
//            returns from serve() once every worker has ended.
// A server waits for its messages politely and gives up, naming the ranks it waits for, when
// nothing arrives for the wait policy's timeout.
#pragma once
#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "tinycnn/core/aligned_buffer.hpp"
#include "tinycnn/distributed/buckets.hpp"
#include "tinycnn/distributed/mpi.hpp"
#include "tinycnn/distributed/policy.hpp"
#include "tinycnn/distributed/shards.hpp"
#include "tinycnn/optim/optimizer.hpp"

namespace tinycnn::distributed {

struct ParameterServerOptions {
  int servers = 1;                             // the first ranks of the communicator
  index_t bucket_elements = index_t(1) << 20;  // 4 MiB of float gradients per message
  mpi::WaitPolicy wait{mpi::WaitMode::poll, std::chrono::seconds(300)};
  bool synchronous = true;                     // false: each worker's gradients applied as they come
  WeightDecayRule decay_rule;                  // the servers' updates leave these out of weight decay
};

namespace ps {

enum Tag : int { command = 1, acknowledge, begin_parameters, begin_state, gather_parameters, gather_state,
                 gather_step, fresh_parameters, gradients = 100 };  // gradients + piece index
enum Command : std::int64_t { begin = 1, gather, end };

// A command and what the receiver checks it against: both sides must have planned alike.
struct Message {
  std::int64_t command = 0, step = 0, parameters = 0, pieces = 0, state_planes = 0;
  std::array<std::int64_t, 5> words() const { return {command, step, parameters, pieces, state_planes}; }
  static Message of(const std::array<std::int64_t, 5>& w) { return {w[0], w[1], w[2], w[3], w[4]}; }
};

// What every rank derives alike from the model: buckets, shards and the pieces between them.
inline PiecePlan plan(const std::vector<LeafRanges>& leaves, index_t parameters, const ParameterServerOptions& o) {
  return PiecePlan(BucketPlan::of_leaves(leaves, parameters, o.bucket_elements), plan_shards(parameters, o.servers));
}

inline void check_world(MPI_Comm world, int servers) {
  const mpi::Comm c(world);
  require(servers >= 1 && servers < c.size(),
          "a parameter server run needs more ranks than servers: " + std::to_string(c.size()) + " rank(s), " +
              std::to_string(servers) + " server(s)");
}

}  // namespace ps

// The worker's side: a Trainer policy. Every worker constructs one, and every server calls
// serve(), at the same time (they split the communicator together).
template <class T>
class ParameterServer {
 public:
  ParameterServer(const std::vector<LeafRanges>& leaves, index_t parameters, ParameterServerOptions options = {},
                  MPI_Comm world = MPI_COMM_WORLD)
      : s_(std::make_unique<Shared>(world, leaves, parameters, options)) {}

  void on_gradients_ready(const StepView<T>& step, ParameterRange r) {
    std::lock_guard<std::mutex> hold(s_->lock);
    const index_t b = s_->plan.buckets().bucket_of(r);
    if (--s_->waiting_for[std::size_t(b)] == 0) {
      for (index_t p : s_->plan.of_bucket(b)) {
        const Piece& piece = s_->plan.pieces()[std::size_t(p)];
        s_->world.isend(step.gradients.data() + piece.span.offset, std::size_t(piece.span.length), piece.shard,
                        ps::gradients + int(p), s_->pending);
        if (--s_->unsent[std::size_t(piece.shard)] == 0) {  // the whole shard is on its way: pull it back
          const ParameterRange shard = s_->plan.shards()[std::size_t(piece.shard)];
          s_->world.irecv(step.parameters.data() + shard.offset, std::size_t(shard.length), piece.shard,
                          ps::fresh_parameters, s_->pending);
        }
      }
    }
    s_->pending.test();  // MPI progresses only inside MPI calls
  }

  void before_update(const StepView<T>&) {
    std::lock_guard<std::mutex> hold(s_->lock);
    for (index_t left : s_->unsent)
      if (left != 0) throw Error("parameter server: backward reported the gradients of only part of the model");
  }
  template <class U>
  void update(const StepView<T>&, const U&) const {}  // the servers update
  void after_update(const StepView<T>&) {
    std::lock_guard<std::mutex> hold(s_->lock);
    const auto start = std::chrono::steady_clock::now();
    s_->pending.wait(s_->options.wait);
    s_->waited += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    s_->reset();
  }

  // The Trainer's begin point (construction, load): the first worker's parameters, optimizer
  // state and step become the servers'; every worker takes its parameters, batch-norm
  // statistics and step.
  void begin(StepView<T>& step, std::span<T> state) {
    std::lock_guard<std::mutex> hold(s_->lock);
    const index_t n = index_t(step.parameters.size());
    require(n == s_->parameters, "parameter server: the model does not match the plan");
    if (s_->workers.comm().rank() == 0) {
      const ps::Message m{ps::begin, step.step, n, index_t(s_->plan.pieces().size()),
                          index_t(step.optimizer_state.size()) / n};
      for (int server = 0; server < s_->options.servers; ++server) {
        const ParameterRange shard = s_->plan.shards()[std::size_t(server)];
        mpi::Requests out;
        command(server, m, out);
        s_->world.isend(step.parameters.data() + shard.offset, std::size_t(shard.length), server, ps::begin_parameters,
                        out);
        for (index_t k = 0; k < m.state_planes; ++k)
          s_->world.isend(step.optimizer_state.data() + k * n + shard.offset, std::size_t(shard.length), server,
                          ps::begin_state, out);
        std::int64_t ok = 0;  // the server has taken it before any gradient can reach it
        s_->world.irecv(&ok, 1, server, ps::acknowledge, out);
        out.wait(s_->options.wait);
      }
    }
    mpi::Requests all;
    const mpi::Comm& workers = s_->workers.comm();
    workers.ibcast(step.parameters.data(), step.parameters.size(), 0, all);
    workers.ibcast(state.data(), state.size(), 0, all);
    workers.ibcast(&step.step, 1, 0, all);
    all.wait(s_->options.wait);
  }

  // The Trainer's synchronize(): the first worker gathers the servers' optimizer state (and
  // parameters, which every worker already holds after a step), and the workers average their
  // batch-norm statistics.
  void synchronize(StepView<T>& step, std::span<T> state) {
    std::lock_guard<std::mutex> hold(s_->lock);
    const index_t n = index_t(step.parameters.size());
    if (s_->workers.comm().rank() == 0) {
      const ps::Message m{ps::gather, step.step, n, index_t(s_->plan.pieces().size()),
                          index_t(step.optimizer_state.size()) / n};
      mpi::Requests in;
      for (int server = 0; server < s_->options.servers; ++server) {
        const ParameterRange shard = s_->plan.shards()[std::size_t(server)];
        command(server, m, in);
        s_->world.irecv(step.parameters.data() + shard.offset, std::size_t(shard.length), server,
                        ps::gather_parameters, in);
        for (index_t k = 0; k < m.state_planes; ++k)
          s_->world.irecv(step.optimizer_state.data() + k * n + shard.offset, std::size_t(shard.length), server,
                          ps::gather_state, in);
      }
      s_->world.irecv(&step.step, 1, 0, ps::gather_step, in);  // asynchronous: more updates than own steps
      in.wait(s_->options.wait);
    }
    const mpi::Comm& workers = s_->workers.comm();
    mpi::Requests all;
    workers.iallreduce_sum(state.data(), state.size(), all);
    all.wait(s_->options.wait);
    const T scale = T(1) / T(workers.size());
    for (T& v : state) v *= scale;
  }

  // Tells the servers this worker is done; also done, as well as it can be, at destruction.
  void finish() {
    std::lock_guard<std::mutex> hold(s_->lock);
    s_->finish();
  }

  int servers() const { return s_->options.servers; }
  int workers() const { return s_->workers.comm().size(); }
  int worker_index() const { return s_->workers.comm().rank(); }
  const PiecePlan& plan() const { return s_->plan; }
  // Seconds the steps spent waiting, after backward, for the servers' fresh parameters.
  double wait_seconds() const { return s_->waited; }

 private:
  // Sends a command; the header buffer lives in the Shared state until the send completes.
  void command(int server, const ps::Message& m, mpi::Requests& out) {
    s_->header = m.words();
    s_->world.isend(s_->header.data(), s_->header.size(), server, ps::command, out);
  }

  // Behind a pointer: a Trainer moves its policy in, and MPI holds the addresses of what is pending.
  struct Shared {
    Shared(MPI_Comm w, const std::vector<LeafRanges>& leaves, index_t n, const ParameterServerOptions& o)
        : world(w),
          options(o),
          parameters(n),
          plan(ps::plan(leaves, n, o)),
          workers((ps::check_world(w, o.servers), w), 1, world.rank()) {
      require(world.rank() >= o.servers, "parameter server: rank " + std::to_string(world.rank()) +
                                             " is a server; servers call serve(), not the worker's policy");
      reset();
    }
    ~Shared() {
      try {
        finish();
      } catch (...) {  // the servers then give up on their own, after their timeout
      }
    }
    void reset() {
      waiting_for.clear();
      for (const Bucket& b : plan.buckets().buckets()) waiting_for.push_back(b.leaves);
      unsent.clear();
      for (int s = 0; s < options.servers; ++s) unsent.push_back(index_t(plan.of_shard(s).size()));
    }
    void finish() {
      int finalized = 0;
      MPI_Finalized(&finalized);
      if (finished || finalized) return;
      finished = true;
      mpi::Requests out;
      header = ps::Message{ps::end}.words();
      for (int server = 0; server < options.servers; ++server)
        world.isend(header.data(), header.size(), server, ps::command, out);
      out.wait(options.wait);
    }

    mpi::Comm world;
    ParameterServerOptions options;
    index_t parameters;
    PiecePlan plan;  // its buckets too
    mpi::SplitComm workers;          // color 1: the workers, in world order
    std::vector<index_t> waiting_for;  // per bucket: leaves not yet reported this step
    std::vector<index_t> unsent;       // per shard: pieces not yet sent this step
    std::array<std::int64_t, 5> header{};
    mpi::Requests pending;
    double waited = 0;
    bool finished = false;
    std::mutex lock;
  };
  std::unique_ptr<Shared> s_;
};

struct ServeResult {
  std::int64_t updates = 0;        // optimizer steps this server applied
  double wait_seconds = 0;         // time spent waiting for messages
  std::int64_t max_staleness = 0;  // asynchronous: the most updates a gradient's parameters were behind
};

// The server's side: rank r < servers of `world` keeps shard r and serves the workers until
// every one of them has ended. opt must be the workers' optimizer; ex: the update's threads.
template <class T, class Opt>
  requires optim::OptimizerFor<Opt, T>
ServeResult serve(const Opt& opt, const std::vector<LeafRanges>& leaves, index_t parameters,
                  ParameterServerOptions options = {}, parallel::Execution ex = {1, 1, {}},
                  MPI_Comm world = MPI_COMM_WORLD) {
  ps::check_world(world, options.servers);
  const mpi::Comm comm(world);
  const int me = comm.rank();
  require(me < options.servers, "serve: rank " + std::to_string(me) + " is a worker, not a server");
  const mpi::SplitComm servers(world, 0, me);  // the workers split off theirs at the same time
  const PiecePlan plan = ps::plan(leaves, parameters, options);
  const ParameterRange shard = plan.shards()[std::size_t(me)];
  const int first_worker = options.servers, workers = comm.size() - options.servers;
  const index_t len = shard.length;
  const auto& mine = plan.of_shard(me);

  const bool synchronous = options.synchronous;
  // Asynchronous replies go out while the next worker's update changes w: each has its own copy.
  AlignedBuffer<T> w(len), state(Opt::state_per_param * len), sum(len), received(len * workers),
      replies(synchronous ? 0 : len * workers);
  std::int64_t step = 0;
  ServeResult result;
  std::array<std::int64_t, 5> header{};
  mpi::Requests command;
  std::vector<mpi::Requests> from(static_cast<std::size_t>(workers)), to(static_cast<std::size_t>(workers));  // per worker
  std::vector<std::int64_t> given(static_cast<std::size_t>(workers), 0);  // the step of the values a worker last got
  auto post_command = [&] { comm.irecv(header.data(), header.size(), MPI_ANY_SOURCE, ps::command, command); };
  auto post_gradients = [&](int k) {  // one receive per piece: its own tag, its own source
    for (index_t p : mine) {
      const Piece& piece = plan.pieces()[std::size_t(p)];
      comm.irecv(received.data() + k * len + (piece.span.offset - shard.offset), std::size_t(piece.span.length),
                 first_worker + k, ps::gradients + int(p), from[std::size_t(k)]);
    }
  };
  const std::vector<ParameterRange> exempt = decay_exempt_ranges(leaves, options.decay_rule);
  Opt no_decay = opt;
  no_decay.weight_decay = 0.0;
  auto apply = [&](const T* g) {
    // The shard in runs of equal decay, each updated as the whole shard would update it.
    for_each_decay_run(shard, exempt, [&](index_t offset, index_t length, bool decays) {
      const index_t at = offset - shard.offset;
      (decays ? opt : no_decay)
          .update(w.span().subspan(std::size_t(at), std::size_t(length)),
                  std::span<const T>(g + at, std::size_t(length)), optim::StatePlanes<T>{state.data() + at, len}, step,
                  opt.learning_rate(step), ex);
    });
    ++step;
    ++result.updates;
  };
  auto pending = [&]() -> mpi::Requests& {  // for a timeout's message: a worker not heard from
    for (auto& f : from)
      if (!f.empty()) return f;
    return command;
  };
  auto check = [&](const ps::Message& m) {
    if (m.parameters != parameters || m.pieces != index_t(plan.pieces().size()) ||
        m.state_planes != Opt::state_per_param)
      throw Error("parameter server " + std::to_string(me) +
                  ": the workers planned another model or optimizer (parameters " + std::to_string(m.parameters) +
                  ", pieces " + std::to_string(m.pieces) + ", state planes " + std::to_string(m.state_planes) + ")");
  };
  auto exchange = [&](auto&& post) {  // the first worker's side of begin and gather, to completion
    mpi::Requests io;
    post(io);
    io.wait(options.wait);
  };

  bool active = false;  // after the first begin: gradients may arrive
  int ended = 0;
  auto quiet_since = std::chrono::steady_clock::now();
  post_command();
  while (ended < workers) {
    bool progressed = false;
    if (command.test()) {  // commands first: a step's gradients never precede its begin
      progressed = true;
      const ps::Message m = ps::Message::of(header);
      if (m.command == ps::end) {
        ++ended;
      } else if (m.command == ps::begin) {
        check(m);
        step = m.step;
        exchange([&](mpi::Requests& io) {
          comm.irecv(w.data(), std::size_t(len), first_worker, ps::begin_parameters, io);
          for (index_t k = 0; k < Opt::state_per_param; ++k)
            comm.irecv(state.data() + k * len, std::size_t(len), first_worker, ps::begin_state, io);
        });
        std::int64_t ok = 1;
        exchange([&](mpi::Requests& io) { comm.isend(&ok, 1, first_worker, ps::acknowledge, io); });
        std::fill(given.begin(), given.end(), step);
        if (!active)
          for (int k = 0; k < workers; ++k) post_gradients(k);
        active = true;
      } else if (m.command == ps::gather) {
        check(m);
        exchange([&](mpi::Requests& io) {
          comm.isend(w.data(), std::size_t(len), first_worker, ps::gather_parameters, io);
          for (index_t k = 0; k < Opt::state_per_param; ++k)
            comm.isend(state.data() + k * len, std::size_t(len), first_worker, ps::gather_state, io);
          if (me == 0) comm.isend(&step, 1, first_worker, ps::gather_step, io);  // the updates applied
        });
      } else {
        throw Error("parameter server " + std::to_string(me) + ": unknown command " + std::to_string(m.command));
      }
      if (ended < workers) post_command();
    } else if (active && synchronous) {
      bool all = true;
      for (auto& f : from) all = f.test() && all;  // test every set: each call progresses MPI
      if (all) {
        progressed = true;
        // The sum in rank order, then the average: the same bits whatever order the messages came in.
        std::copy(received.data(), received.data() + len, sum.data());
        for (int k = 1; k < workers; ++k) {
          const T* g = received.data() + k * len;
          for (index_t i = 0; i < len; ++i) sum.data()[i] += g[i];
        }
        const T scale = T(1) / T(workers);
        for (index_t i = 0; i < len; ++i) sum.data()[i] *= scale;
        apply(sum.data());
        // Receives before replies: a worker may send its next step as soon as it has them.
        for (int k = 0; k < workers; ++k) post_gradients(k);
        exchange([&](mpi::Requests& io) {
          for (int k = 0; k < workers; ++k)
            comm.isend(w.data(), std::size_t(len), first_worker + k, ps::fresh_parameters, io);
        });
      }
    } else if (active) {
      // Asynchronous: whichever worker's gradients are complete, applied as they are (each is its
      // own batch's mean), and the new values go back to that worker alone.
      for (int k = 0; k < workers; ++k) {
        auto& f = from[std::size_t(k)];
        if (f.empty() || !f.test()) continue;
        progressed = true;
        result.max_staleness = std::max(result.max_staleness, step - given[std::size_t(k)]);
        apply(received.data() + k * len);
        post_gradients(k);
        to[std::size_t(k)].wait(options.wait);  // its previous reply has gone: the copy is free
        T* reply = replies.data() + k * len;
        std::copy(w.data(), w.data() + len, reply);
        given[std::size_t(k)] = step;
        comm.isend(reply, std::size_t(len), first_worker + k, ps::fresh_parameters, to[std::size_t(k)]);
      }
    }
    const auto now = std::chrono::steady_clock::now();
    if (progressed) {
      quiet_since = now;
    } else {
      if (options.wait.timeout.count() > 0 && now - quiet_since > options.wait.timeout)
        throw (active ? pending() : command).expired(options.wait);
      if (options.wait.mode == mpi::WaitMode::poll) std::this_thread::sleep_for(options.wait.nap);
      result.wait_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - now).count();
    }
  }
  for (auto& f : from) f.cancel();
  for (auto& t : to) t.wait(options.wait);
  command.cancel();
  return result;
}

}  // namespace tinycnn::distributed
