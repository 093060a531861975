#include <doctest/doctest.h>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tinycnn/core/aligned_buffer.hpp"
#include "tinycnn/parallel/branches.hpp"

using namespace tinycnn::parallel;
using tinycnn::AlignedBuffer;
using tinycnn::index_t;
using namespace std::chrono_literals;

namespace {

struct BranchFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Waits until pred() holds, for at most 10 s (far beyond any scheduling delay); false if it never did.
template <class P>
bool wait_for(P pred) {
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(100us);
  }
  return true;
}

}  // namespace

Execution threads(int intra, int inter, Workspace ws = {}) { return {intra, inter, ws}; }

TEST_CASE("one branch at a time: every branch once, in order, on the caller's thread, with all of the caller's") {
  const auto caller = std::this_thread::get_id();
  std::vector<int> order;
  bool on_caller = true, same = true;
  AlignedBuffer<std::byte> memory(256);
  const Execution ex = threads(3, 1, Workspace(memory.data(), 256));
  run_branches(ex, 5, 256, [&](int i, const Execution& sub) {
    order.push_back(i);
    on_caller = on_caller && std::this_thread::get_id() == caller;
    same = same && sub.intra == 3 && sub.inter == 1 && sub.workspace.size() == 256;
  });
  CHECK(order == std::vector<int>{0, 1, 2, 3, 4});
  CHECK(on_caller);
  CHECK(same);
}

TEST_CASE("two at a time: every branch exactly once, two of them really at once, never more than two") {
  omp_set_num_threads(4);  // more than inter: the branch runner must not take them all
  constexpr int n = 8;
  std::vector<std::atomic<int>> calls(n);
  std::atomic<int> running{0}, most{0};
  std::atomic<bool> first_started{false}, second_started{false}, overlapped{false};
  run_branches(threads(4, 2), n, 0, [&](int i, const Execution&) {
    ++calls[std::size_t(i)];
    const int now = ++running;
    int seen = most.load();
    while (now > seen && !most.compare_exchange_weak(seen, now)) {
    }
    // The first branch to start waits for a second one: with two runners that must come,
    // with one it never would.
    if (!first_started.exchange(true)) {
      overlapped = wait_for([&] { return second_started.load(); });
    } else {
      second_started = true;
      std::this_thread::sleep_for(5ms);
    }
    --running;
  });
  omp_set_num_threads(2);
  for (int i = 0; i < n; ++i) CHECK(calls[std::size_t(i)] == 1);
  CHECK(overlapped);
  CHECK(most.load() <= 2);
}

TEST_CASE("a branch running beside others gets its share of the intra-op threads, and nested OpenMP") {
  for (const auto& setting : {std::tuple{4, 2, 2}, std::tuple{5, 2, 2}, std::tuple{1, 2, 1}}) {
    const int intra = std::get<0>(setting), inter = std::get<1>(setting), share = std::get<2>(setting);  // named, not bound: OpenMP builds may not capture bindings
    omp_set_max_active_levels(1);  // as a program starts: the runner must raise it itself
    std::mutex m;
    std::vector<int> seen, team, nested_inter;
    int levels = 0;
    run_branches(threads(intra, inter), 4, 0, [&](int, const Execution& sub) {
      int team_size = 0;
#pragma omp parallel num_threads(sub.intra)
      {
#pragma omp single
        team_size = omp_get_num_threads();
      }
      std::lock_guard<std::mutex> lock(m);
      seen.push_back(sub.intra);
      team.push_back(team_size);
      nested_inter.push_back(sub.inter);
      levels = omp_get_max_active_levels();
    });
    INFO("intra " << intra << ", inter " << inter);
    CHECK(std::all_of(seen.begin(), seen.end(), [&](int t) { return t == share; }));
    CHECK(std::all_of(team.begin(), team.end(), [&](int t) { return t == share; }));
    // Branches inside a branch run one after another: the cores are all given out already.
    CHECK(std::all_of(nested_inter.begin(), nested_inter.end(), [](int t) { return t == 1; }));
    CHECK(levels >= 2);
  }
}

TEST_CASE("branches side by side write to disjoint slots of the caller's workspace") {
  // Each branch fills its whole slot with its own number and checks, after the others had time
  // to run, that nobody wrote over it; the slots lie inside the caller's memory.
  constexpr std::size_t slot = 1000;  // not a multiple of a cache line: slots are rounded up
  const std::size_t bytes = branch_slots_bytes(branch_split(4, 2, 6), slot);
  CHECK(bytes == 2 * 1024);
  AlignedBuffer<std::byte> memory{index_t(bytes)};
  std::atomic<int> overwritten{0}, outside{0}, small{0};
  run_branches(threads(4, 2, Workspace(memory.data(), bytes)), 6, slot, [&](int i, const Execution& sub) {
    Workspace ws = sub.workspace;
    if (ws.size() < slot) ++small;
    unsigned char* p = ws.take<unsigned char>(index_t(slot));
    if (p < reinterpret_cast<unsigned char*>(memory.data()) ||
        p + slot > reinterpret_cast<unsigned char*>(memory.data()) + bytes)
      ++outside;
    std::memset(p, i + 1, slot);
    std::this_thread::sleep_for(2ms);
    for (std::size_t k = 0; k < slot; ++k)
      if (p[k] != i + 1) {
        ++overwritten;
        break;
      }
  });
  CHECK(small == 0);
  CHECK(outside == 0);
  CHECK(overwritten == 0);
  // Too little workspace for the slots is refused before any branch runs.
  int ran = 0;
  CHECK_THROWS_AS(run_branches(threads(4, 2, Workspace(memory.data(), bytes - 64)), 6, slot,
                               [&](int, const Execution&) { ++ran; }),
                  tinycnn::Error);
  CHECK(ran == 0);
}

TEST_CASE("one at a time, an exception in a branch reaches the caller and ends the loop") {
  std::vector<int> calls(6);
  CHECK_THROWS_WITH_AS(run_branches(threads(2, 1), 6, 0,
                                    [&](int i, const Execution&) {
                                      ++calls[std::size_t(i)];
                                      if (i == 2) throw BranchFailure("branch 2 failed");
                                    }),
                       "branch 2 failed", BranchFailure);
  CHECK(calls == std::vector<int>{1, 1, 1, 0, 0, 0});
}

TEST_CASE("side by side, an exception in a branch reaches the caller after every other branch has run") {
  const auto caller = std::this_thread::get_id();
  std::vector<std::atomic<int>> calls(6);
  std::atomic<int> entered{0};
  // Branches 0 and 1 each wait until both have started, so they run on the two different
  // threads, one of them the caller's; the caller's one fails.
  CHECK_THROWS_WITH_AS(run_branches(threads(4, 2), 6, 0,
                                    [&](int i, const Execution&) {
                                      ++calls[std::size_t(i)];
                                      if (i >= 2) return;
                                      ++entered;
                                      REQUIRE(wait_for([&] { return entered.load() >= 2; }));
                                      if (std::this_thread::get_id() == caller)
                                        throw BranchFailure("the caller's branch failed");
                                    }),
                       "the caller's branch failed", BranchFailure);
  for (std::size_t i = 0; i < calls.size(); ++i) CHECK(calls[i] == 1);
}

TEST_CASE("when several branches fail, one of their exceptions arrives, and the runner works again") {
  std::string what;
  try {
    run_branches(threads(2, 2), 6, 0, [](int i, const Execution&) {
      if (i % 2) throw BranchFailure("branch " + std::to_string(i));
    });
  } catch (const BranchFailure& e) {
    what = e.what();
  }
  CHECK((what == "branch 1" || what == "branch 3" || what == "branch 5"));
  std::atomic<int> calls{0};
  run_branches(threads(2, 2), 6, 0, [&](int, const Execution&) { ++calls; });
  CHECK(calls == 6);
}
