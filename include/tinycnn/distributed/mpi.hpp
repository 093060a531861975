// The MPI layer the distribution policies are built on: start and stop, nonblocking point-to-point
// and collective operations, and a wait that does not steal the cores the computation needs.
//
// Why not the blocking calls: a rank blocked in MPI_Recv, MPI_Wait or a blocking collective
// spins most of a core in MPICH, and no MPICH setting makes it sleep. Ranks that share a node
// (a parameter server beside its workers, or more ranks than cores) then take the cores the
// kernels need. So every operation here is nonblocking, and Requests::wait polls it with
// MPI_Testall and a short sleep (WaitMode::poll, the default); WaitMode::spin skips the sleep,
// for ranks with dedicated cores. Either way a wait can time out, and the timeout names the
// ranks that did not answer instead of hanging.
//
// MPI counts are int: a buffer longer than max_count elements travels in several messages of
// the same tag, which MPI delivers in order between one pair of ranks.
//
// Only the distributed headers include <mpi.h>: a program without distributed training builds
// without MPI.
#pragma once
#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "tinycnn/core/error.hpp"

namespace tinycnn::distributed::mpi {

// Throws an Error with MPI's own words when rc is not MPI_SUCCESS. The communicators here return
// errors (MPI_ERRORS_RETURN) instead of aborting the job, so that a lost peer becomes a message.
inline void check(int rc, const std::string& what) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  MPI_Error_string(rc, text, &length);
  throw Error("MPI: " + what + ": " + std::string(text, std::size_t(std::max(length, 0))));
}

template <class T>
MPI_Datatype datatype();
template <>
inline MPI_Datatype datatype<float>() { return MPI_FLOAT; }
template <>
inline MPI_Datatype datatype<double>() { return MPI_DOUBLE; }
template <>
inline MPI_Datatype datatype<std::int32_t>() { return MPI_INT32_T; }
template <>
inline MPI_Datatype datatype<std::int64_t>() { return MPI_INT64_T; }
template <>
inline MPI_Datatype datatype<std::uint64_t>() { return MPI_UINT64_T; }

// MPI_Init_thread at construction, MPI_Finalize at destruction (unless MPI was already running
// when it was made, then it leaves both to whoever started MPI). The Trainer calls MPI only from
// the thread that runs the step and, under a lock, from the gradient hook: SERIALIZED suffices.
class Environment {
 public:
  explicit Environment(int& argc, char**& argv, int required = MPI_THREAD_SERIALIZED) {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (initialized) {
      MPI_Query_thread(&provided_);
    } else {
      check(MPI_Init_thread(&argc, &argv, required, &provided_), "MPI_Init_thread");
      owner_ = true;
    }
    if (provided_ < required)
      throw Error("MPI: this MPI library gives thread level " + std::to_string(provided_) + ", tinycnn needs " +
                  std::to_string(required));
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  }
  ~Environment() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (owner_ && !finalized) MPI_Finalize();
  }
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;

  int thread_level() const { return provided_; }

 private:
  int provided_ = 0;
  bool owner_ = false;
};

enum class WaitMode { poll, spin };

// How a wait behaves: poll sleeps `nap` between tests; timeout zero waits for ever.
struct WaitPolicy {
  WaitMode mode = WaitMode::poll;
  std::chrono::duration<double> timeout{0};
  std::chrono::microseconds nap{100};
};

// A wait that ran out of time. missing(): the ranks whose operations had not completed (a
// collective names no single rank: -1). silent(): the ranks a roll call then did not hear from
// (MPI_COMM_WORLD's numbers), the ones that have stopped, died or are far behind.
class Timeout : public Error {
 public:
  Timeout(const std::string& message, std::vector<int> missing, std::vector<int> silent = {})
      : Error(message), missing_(std::move(missing)), silent_(std::move(silent)) {}
  const std::vector<int>& missing() const { return missing_; }
  const std::vector<int>& silent() const { return silent_; }

 private:
  std::vector<int> missing_, silent_;
};

// The tag of roll-call tokens; the policies' messages use small tags.
inline constexpr int kRollCallTag = 32000;

// Who is still there, after a wait on `comm` timed out. When one rank stops, the others end up
// waiting, directly or through another (a worker for its server, the server for the stopped
// worker; everyone in a collective), and time out within about a step of each other. Each then
// sends a token to every other rank and collects theirs for `window`: the waiting ranks hear
// each other, and the ranks never heard from are the stopped, dead or far-behind ones. Returns
// those ranks, as numbered in MPI_COMM_WORLD, sorted. Tokens still unsent or unreceived at the
// end are given up: a process does this once, on its way out.
inline std::vector<int> roll_call(MPI_Comm comm, std::chrono::duration<double> window,
                                  std::chrono::microseconds nap = std::chrono::microseconds(100)) {
  int me = 0, n = 1;
  check(MPI_Comm_rank(comm, &me), "MPI_Comm_rank");
  check(MPI_Comm_size(comm, &n), "MPI_Comm_size");
  static const char token = 1;
  std::vector<char> heard(static_cast<std::size_t>(n), 0);
  std::vector<MPI_Request> in(static_cast<std::size_t>(n), MPI_REQUEST_NULL), out(in);
  for (int r = 0; r < n; ++r) {
    if (r == me) continue;
    check(MPI_Irecv(&heard[std::size_t(r)], 1, MPI_CHAR, r, kRollCallTag, comm, &in[std::size_t(r)]), "MPI_Irecv");
    check(MPI_Isend(&token, 1, MPI_CHAR, r, kRollCallTag, comm, &out[std::size_t(r)]), "MPI_Isend");
  }
  // Each receive on its own: MPI_Testall would leave the finished ones pending until all are.
  const auto end = std::chrono::steady_clock::now() + window;
  for (;;) {
    bool all = true;
    for (MPI_Request& i : in) {
      int done = 0;
      if (i != MPI_REQUEST_NULL) check(MPI_Test(&i, &done, MPI_STATUS_IGNORE), "MPI_Test");
      all = all && i == MPI_REQUEST_NULL;
    }
    if (all || std::chrono::steady_clock::now() >= end) break;
    std::this_thread::sleep_for(nap);
  }
  std::vector<int> silent;
  for (int r = 0; r < n; ++r) {
    MPI_Request& i = in[std::size_t(r)];
    if (r == me || i == MPI_REQUEST_NULL) continue;
    silent.push_back(r);
    MPI_Cancel(&i);
    MPI_Request_free(&i);
  }
  for (MPI_Request& o : out)
    if (o != MPI_REQUEST_NULL) MPI_Request_free(&o);  // a one-byte send; MPI finishes it or drops it
  // The world's numbers, which the launcher and the header's World line use.
  MPI_Group group = MPI_GROUP_NULL, world = MPI_GROUP_NULL;
  std::vector<int> numbers(silent.size(), MPI_UNDEFINED);
  if (MPI_Comm_group(comm, &group) == MPI_SUCCESS && MPI_Comm_group(MPI_COMM_WORLD, &world) == MPI_SUCCESS &&
      !silent.empty())
    MPI_Group_translate_ranks(group, int(silent.size()), silent.data(), world, numbers.data());
  if (group != MPI_GROUP_NULL) MPI_Group_free(&group);
  if (world != MPI_GROUP_NULL) MPI_Group_free(&world);
  for (std::size_t k = 0; k < silent.size(); ++k)
    if (numbers[k] != MPI_UNDEFINED) silent[k] = numbers[k];
  std::sort(silent.begin(), silent.end());
  return silent;
}

// A set of pending operations, each with the rank at its other end.
class Requests {
 public:
  Requests() = default;
  Requests(const Requests&) = delete;
  Requests& operator=(const Requests&) = delete;
  Requests(Requests&&) = default;
  Requests& operator=(Requests&&) = default;
  // Unfinished operations would write into freed memory: a Requests that still holds some is
  // a bug in its owner, which must wait (or cancel) first. Here, as a last resort, they are
  // cancelled or completed so the process does not corrupt itself.
  ~Requests() { drain(); }

  // peer: the rank at the other end, or -1 for a collective; comm: where the roll call of a
  // timeout asks who is still there.
  void add(MPI_Request r, int peer, std::string what, MPI_Comm comm = MPI_COMM_NULL) {
    requests_.push_back(r);
    peers_.push_back(peer);
    what_.push_back(std::move(what));
    comms_.push_back(comm);
  }
  std::size_t pending() const { return requests_.size(); }
  bool empty() const { return requests_.empty(); }

  // Progresses every operation once; true when all are done (and forgotten).
  bool test() {
    if (requests_.empty()) return true;
    int done = 0;
    check(MPI_Testall(int(requests_.size()), requests_.data(), &done, MPI_STATUSES_IGNORE), "MPI_Testall");
    if (done) clear();
    return done != 0;
  }

  // Until every operation completes, or the policy's timeout passes: then Timeout, naming the
  // ranks of the operations still pending (which stay here, to be waited for again).
  void wait(const WaitPolicy& policy = {}) {
    const auto start = std::chrono::steady_clock::now();
    while (!test()) {
      if (policy.timeout.count() > 0 && std::chrono::steady_clock::now() - start > policy.timeout) throw expired(policy);
      if (policy.mode == WaitMode::poll) std::this_thread::sleep_for(policy.nap);
    }
  }

  // Gives up on what is pending: point-to-point operations are cancelled (see drain()).
  void cancel() { drain(); }

  // The Timeout a wait under `policy` throws when its time is up, for waits written by hand.
  // The rank this one waits for may itself be waiting for another (a worker for its server, the
  // server for a stopped worker), and a collective names no rank at all: so a roll call on the
  // pending operations' communicator (for the timeout or 5 s, whichever is shorter) finds the
  // ranks that are not waiting too, and the message names them.
  Timeout expired(const WaitPolicy& policy) {
    std::vector<int> missing;
    std::string what;
    MPI_Comm comm = MPI_COMM_NULL;
    for (std::size_t i = 0; i < requests_.size(); ++i) {
      int done = 0;
      if (requests_[i] != MPI_REQUEST_NULL) MPI_Request_get_status(requests_[i], &done, MPI_STATUS_IGNORE);
      if (done || requests_[i] == MPI_REQUEST_NULL) continue;
      if (std::find(missing.begin(), missing.end(), peers_[i]) == missing.end()) missing.push_back(peers_[i]);
      if (what.empty()) what = what_[i];
      if (comm == MPI_COMM_NULL) comm = comms_[i];
    }
    std::sort(missing.begin(), missing.end());
    std::string ranks;
    for (int r : missing) ranks += (ranks.empty() ? "" : ", ") + (r < 0 ? std::string("(collective)") : std::to_string(r));
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%g", policy.timeout.count());
    std::string message = "no answer within " + std::string(seconds) + " s from rank(s) " + ranks + " (waiting for " +
                          what + ")";
    std::vector<int> silent;
    if (comm != MPI_COMM_NULL) {
      silent = roll_call(comm, std::min(policy.timeout, std::chrono::duration<double>(5.0)), policy.nap);
      std::string names;
      for (int r : silent) names += (names.empty() ? "" : ", ") + std::to_string(r);
      message += silent.empty() ? "; every rank answered a roll call" : "; a roll call did not hear from rank(s) " + names;
    }
    return Timeout(message + ": a rank has stopped, died or is far behind", missing, silent);
  }

 private:
  void clear() {
    requests_.clear();
    peers_.clear();
    what_.clear();
    comms_.clear();
  }
  // Point-to-point operations are cancelled; a collective cannot be (MPI forbids it), and
  // waiting for one could hang, so it is left to MPI_Finalize. A cancelled send to a rank that
  // has stopped may never complete either (MPICH needs the receiver to agree), and this runs
  // while an error unwinds: after a short wait such a request is freed rather than waited for.
  // MPI may still read its buffer later, never write it, and the process is ending.
  void drain() {
    for (std::size_t i = 0; i < requests_.size(); ++i) {
      MPI_Request& r = requests_[i];
      if (r == MPI_REQUEST_NULL || peers_[i] < 0) continue;
      int done = 0;
      MPI_Test(&r, &done, MPI_STATUS_IGNORE);
      if (done) continue;
      MPI_Cancel(&r);
      const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(50);
      while (!done && std::chrono::steady_clock::now() < give_up) {
        MPI_Test(&r, &done, MPI_STATUS_IGNORE);
        if (!done) std::this_thread::sleep_for(std::chrono::microseconds(100));
      }
      if (!done) MPI_Request_free(&r);
    }
    clear();
  }

  std::vector<MPI_Request> requests_;
  std::vector<int> peers_;
  std::vector<std::string> what_;
  std::vector<MPI_Comm> comms_;  // for the roll call
};

// A communicator (not owned: MPI_COMM_WORLD by default) with the operations the policies use.
// Every operation is nonblocking and adds its requests to the caller's set.
class Comm {
 public:
  explicit Comm(MPI_Comm comm = MPI_COMM_WORLD, int max_count = INT_MAX) : comm_(comm), max_count_(max_count) {
    check(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
    check(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
  }
  int rank() const { return rank_; }
  int size() const { return size_; }
  MPI_Comm handle() const { return comm_; }

  template <class T>
  void isend(const T* data, std::size_t count, int to, int tag, Requests& pending) const {
    for_chunks(count, [&](std::size_t at, int n) {
      MPI_Request r;
      check(MPI_Isend(data + at, n, datatype<T>(), to, tag, comm_, &r), "MPI_Isend to rank " + std::to_string(to));
      pending.add(r, to, "a send to rank " + std::to_string(to), comm_);
    });
  }
  template <class T>
  void irecv(T* data, std::size_t count, int from, int tag, Requests& pending) const {
    for_chunks(count, [&](std::size_t at, int n) {
      MPI_Request r;
      check(MPI_Irecv(data + at, n, datatype<T>(), from, tag, comm_, &r),
            "MPI_Irecv from rank " + std::to_string(from));
      pending.add(r, from, "a message from rank " + std::to_string(from), comm_);
    });
  }
  // data = the elementwise sum of every rank's data, in place.
  template <class T>
  void iallreduce_sum(T* data, std::size_t count, Requests& pending) const {
    iallreduce(data, count, MPI_SUM, "a sum over all ranks", pending);
  }
  // data = the elementwise maximum over the ranks, in place.
  template <class T>
  void iallreduce_max(T* data, std::size_t count, Requests& pending) const {
    iallreduce(data, count, MPI_MAX, "a maximum over all ranks", pending);
  }
  template <class T>
  void ibcast(T* data, std::size_t count, int root, Requests& pending) const {
    for_chunks(count, [&](std::size_t at, int n) {
      MPI_Request r;
      check(MPI_Ibcast(data + at, n, datatype<T>(), root, comm_, &r), "MPI_Ibcast");
      pending.add(r, root, "a broadcast from rank " + std::to_string(root), comm_);
    });
  }
  void ibarrier(Requests& pending) const {
    MPI_Request r;
    check(MPI_Ibarrier(comm_, &r), "MPI_Ibarrier");
    pending.add(r, -1, "a barrier", comm_);
  }
  // A barrier that waits politely (and can time out).
  void barrier(const WaitPolicy& policy = {}) const {
    Requests pending;
    ibarrier(pending);
    pending.wait(policy);
  }

 private:
  template <class T>
  void iallreduce(T* data, std::size_t count, MPI_Op op, const char* what, Requests& pending) const {
    for_chunks(count, [&](std::size_t at, int n) {
      MPI_Request r;
      check(MPI_Iallreduce(MPI_IN_PLACE, data + at, n, datatype<T>(), op, comm_, &r), "MPI_Iallreduce");
      pending.add(r, -1, what, comm_);
    });
  }
  template <class F>
  void for_chunks(std::size_t count, F&& f) const {
    if (count == 0) return f(0, 0);  // an empty message still matches its partner
    for (std::size_t at = 0; at < count; at += std::size_t(max_count_))
      f(at, int(std::min<std::size_t>(count - at, std::size_t(max_count_))));
  }

  MPI_Comm comm_;
  int max_count_;
  int rank_ = 0, size_ = 1;
};

// A communicator made here from a part of another (MPI_Comm_split: the ranks with the same
// color, ordered by key), freed at destruction. Like the world, it returns errors.
class SplitComm {
 public:
  SplitComm(MPI_Comm parent, int color, int key) : comm_(split(parent, color, key)) {}
  ~SplitComm() {
    int finalized = 0;
    MPI_Finalized(&finalized);
    MPI_Comm handle = comm_.handle();
    if (!finalized) MPI_Comm_free(&handle);
  }
  SplitComm(const SplitComm&) = delete;
  SplitComm& operator=(const SplitComm&) = delete;
  const Comm& comm() const { return comm_; }

 private:
  static MPI_Comm split(MPI_Comm parent, int color, int key) {
    MPI_Comm c = MPI_COMM_NULL;
    check(MPI_Comm_split(parent, color, key, &c), "MPI_Comm_split");
    MPI_Comm_set_errhandler(c, MPI_ERRORS_RETURN);
    return c;
  }
  Comm comm_;
};

// Ends every rank of the job (MPI_Abort) after an error on this one, rather than let the others
// wait for it until their timeout. It first waits `grace_seconds`: a rank that timed out waits on
// another, which may itself be waiting on the silent rank (a worker on its server, the server on
// a stopped worker), and the grace lets those ranks time out too and say whom they waited for.
// Does nothing when MPI is not running.
inline void abort_all(double grace_seconds, int code = 1) {
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (!initialized || finalized) return;
  std::this_thread::sleep_for(std::chrono::duration<double>(std::max(0.0, grace_seconds)));
  MPI_Abort(MPI_COMM_WORLD, code);
}

}  // namespace tinycnn::distributed::mpi
