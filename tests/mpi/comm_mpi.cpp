// ranks: 2 3 4
// The MPI layer: point-to-point rings, sums over all ranks, messages split into chunks, and
// waits that poll, spin or time out naming the rank that did not answer.
#include <doctest/doctest.h>

#include <chrono>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "tinycnn/distributed/mpi.hpp"

using namespace tinycnn::distributed::mpi;

TEST_CASE("a ring of nonblocking sends delivers each rank its left neighbour's values, in poll and spin waits") {
  const Comm world;
  const int r = world.rank(), n = world.size();
  for (WaitMode mode : {WaitMode::poll, WaitMode::spin}) {
    std::vector<double> out(1000), in(1000, -1.0);
    std::iota(out.begin(), out.end(), 1000.0 * r);
    Requests pending;
    world.irecv(in.data(), in.size(), (r + n - 1) % n, 7, pending);
    world.isend(out.data(), out.size(), (r + 1) % n, 7, pending);
    pending.wait({mode, std::chrono::seconds(60)});
    CHECK(pending.empty());
    const int left = (r + n - 1) % n;
    for (std::size_t i = 0; i < in.size(); ++i) REQUIRE(in[i] == 1000.0 * left + double(i));
  }
}

TEST_CASE("a message longer than the largest count travels in chunks, in order") {
  const Comm world(MPI_COMM_WORLD, 1000);  // at most 1000 elements per message
  const int r = world.rank(), n = world.size();
  std::vector<float> out(2500), in(2500, -1.f);
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = float(r * 10000 + int(i));
  Requests pending;
  world.irecv(in.data(), in.size(), (r + n - 1) % n, 3, pending);
  world.isend(out.data(), out.size(), (r + 1) % n, 3, pending);
  CHECK(pending.pending() == 6);  // 3 chunks each way
  pending.wait({WaitMode::poll, std::chrono::seconds(60)});
  const int left = (r + n - 1) % n;
  for (std::size_t i = 0; i < in.size(); ++i) REQUIRE(in[i] == float(left * 10000 + int(i)));
}

TEST_CASE("a sum over all ranks is exact for integers, in chunks as in one piece") {
  for (int max_count : {1 << 30, 7}) {
    const Comm world(MPI_COMM_WORLD, max_count);
    const int r = world.rank(), n = world.size();
    std::vector<double> x(20);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = double(r + 1) * double(i);
    Requests pending;
    world.iallreduce_sum(x.data(), x.size(), pending);
    pending.wait({WaitMode::poll, std::chrono::seconds(60)});
    const double ranks_sum = double(n) * double(n + 1) / 2;  // 1 + 2 + ... + n
    for (std::size_t i = 0; i < x.size(); ++i) REQUIRE(x[i] == ranks_sum * double(i));
  }
}

TEST_CASE("a wait that times out names the rank that did not send, and can be resumed") {
  const Comm world;
  const int r = world.rank();
  double value = 0;
  Requests pending;
  if (r == 0) {
    world.irecv(&value, 1, 1, 11, pending);
    bool timed_out = false;
    try {
      pending.wait({WaitMode::poll, std::chrono::milliseconds(200)});
    } catch (const Timeout& e) {
      timed_out = true;
      CHECK(e.missing() == std::vector<int>{1});
      CHECK(std::string(e.what()).find("rank(s) 1 ") != std::string::npos);
      // Rank 1 sleeps, and the others wait in the barrier below: none answers the roll call.
      std::vector<int> others(std::size_t(world.size() - 1));
      std::iota(others.begin(), others.end(), 1);
      CHECK(e.silent() == others);
    }
    CHECK(timed_out);
    CHECK(pending.pending() == 1);
    pending.wait({WaitMode::poll, std::chrono::seconds(60)});  // rank 1 sends after its pause
    CHECK(value == 42.0);
  } else if (r == 1) {
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    value = 42.0;
    world.isend(&value, 1, 0, 11, pending);
    pending.wait({WaitMode::poll, std::chrono::seconds(60)});
  }
  world.barrier({WaitMode::poll, std::chrono::seconds(60)});
}

TEST_CASE("a collective that times out names, by a roll call, the rank that never joined it") {
  const Comm world;
  const int r = world.rank(), late = world.size() - 1;
  double value = 1;
  Requests pending;
  if (r != late) {
    world.iallreduce_sum(&value, 1, pending);
    bool timed_out = false;
    try {
      pending.wait({WaitMode::poll, std::chrono::milliseconds(300)});
    } catch (const Timeout& e) {
      timed_out = true;
      CHECK(e.missing() == std::vector<int>{-1});  // a collective names no rank by itself
      CHECK(e.silent() == std::vector<int>{late});  // the roll call does
      CHECK(std::string(e.what()).find("(waiting for a sum over all ranks); a roll call did not hear from rank(s) " +
                                       std::to_string(late) + ":") != std::string::npos);
    }
    CHECK(timed_out);
    pending.wait({WaitMode::poll, std::chrono::seconds(60)});  // the late rank joins after its pause
  } else {
    // Longer than the others' timeout and roll call (0.3 s each) together.
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    world.iallreduce_sum(&value, 1, pending);
    pending.wait({WaitMode::poll, std::chrono::seconds(60)});
  }
  CHECK(value == double(world.size()));
  world.barrier({WaitMode::poll, std::chrono::seconds(60)});
}
