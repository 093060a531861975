#include <doctest/doctest.h>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tinycnn/parallel/branches.hpp"

using namespace tinycnn::parallel;
using namespace std::chrono_literals;

namespace {

struct BranchFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Restores the library's thread settings whatever a test case does.
struct ThreadSettings {
  int inter, intra;
  ThreadSettings(int inter_, int intra_) : inter(inter_threads_setting().load()), intra(intra_threads_setting().load()) {
    set_inter_threads(inter_);
    set_intra_threads(intra_);
  }
  ~ThreadSettings() {
    set_inter_threads(inter);
    set_intra_threads(intra);
  }
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

TEST_CASE("one branch at a time: every branch once, in order, on the caller's thread") {
  ThreadSettings s(1, 0);
  const auto caller = std::this_thread::get_id();
  std::vector<int> order;
  bool on_caller = true;
  run_branches(5, [&](int i) {
    order.push_back(i);
    on_caller = on_caller && std::this_thread::get_id() == caller;
  });
  CHECK(order == std::vector<int>{0, 1, 2, 3, 4});
  CHECK(on_caller);
}

TEST_CASE("two at a time: every branch exactly once, two of them really at once, never more than two") {
  ThreadSettings s(2, 0);
  omp_set_num_threads(4);  // more than inter_threads(): the branch runner must not take them all
  constexpr int n = 8;
  std::vector<std::atomic<int>> calls(n);
  std::atomic<int> running{0}, most{0};
  std::atomic<bool> first_started{false}, second_started{false}, overlapped{false};
  run_branches(n, [&](int i) {
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
  for (auto [intra, inter, share] : {std::tuple{4, 2, 2}, std::tuple{5, 2, 2}, std::tuple{1, 2, 1}}) {
    ThreadSettings s(inter, intra);
    omp_set_max_active_levels(1);  // as a program starts: the runner must raise it itself
    std::mutex m;
    std::vector<int> seen, team;
    int levels = 0;
    run_branches(4, [&](int) {
      const int mine = intra_threads();
      int team_size = 0;
#pragma omp parallel num_threads(mine)
      {
#pragma omp single
        team_size = omp_get_num_threads();
      }
      std::lock_guard<std::mutex> lock(m);
      seen.push_back(mine);
      team.push_back(team_size);
      levels = omp_get_max_active_levels();
    });
    INFO("intra " << intra << ", inter " << inter);
    CHECK(std::all_of(seen.begin(), seen.end(), [&](int t) { return t == share; }));
    CHECK(std::all_of(team.begin(), team.end(), [&](int t) { return t == share; }));
    CHECK(levels >= 2);
    // The share is the branches' alone: the caller's kernels get all the threads again.
    CHECK(intra_threads_override() == 0);
    CHECK(intra_threads() == intra);
  }
}

TEST_CASE("inside an OpenMP region the branches run one after another on the calling thread") {
  ThreadSettings s(2, 0);
  std::atomic<int> wrong_thread{0}, out_of_order{0};
#pragma omp parallel num_threads(2)
  {
    const auto me = std::this_thread::get_id();
    int next = 0;
    run_branches(3, [&](int i) {
      wrong_thread += std::this_thread::get_id() != me;
      out_of_order += i != next++;
    });
  }
  CHECK(wrong_thread == 0);
  CHECK(out_of_order == 0);
}

TEST_CASE("one at a time, an exception in a branch reaches the caller and ends the loop") {
  ThreadSettings s(1, 0);
  std::vector<int> calls(6);
  CHECK_THROWS_WITH_AS(run_branches(6,
                                    [&](int i) {
                                      ++calls[std::size_t(i)];
                                      if (i == 2) throw BranchFailure("branch 2 failed");
                                    }),
                       "branch 2 failed", BranchFailure);
  CHECK(calls == std::vector<int>{1, 1, 1, 0, 0, 0});
}

TEST_CASE("side by side, an exception in a branch reaches the caller after every other branch has run") {
  ThreadSettings s(2, 4);
  const auto caller = std::this_thread::get_id();
  std::vector<std::atomic<int>> calls(6);
  std::atomic<int> entered{0};
  // Branches 0 and 1 each wait until both have started, so they run on the two different
  // threads, one of them the caller's; the caller's one fails. Its thread share must not
  // stay behind on the calling thread when the exception leaves.
  CHECK_THROWS_WITH_AS(run_branches(6,
                                    [&](int i) {
                                      ++calls[std::size_t(i)];
                                      if (i >= 2) return;
                                      ++entered;
                                      REQUIRE(wait_for([&] { return entered.load() >= 2; }));
                                      if (std::this_thread::get_id() == caller)
                                        throw BranchFailure("the caller's branch failed");
                                    }),
                       "the caller's branch failed", BranchFailure);
  for (std::size_t i = 0; i < calls.size(); ++i) CHECK(calls[i] == 1);
  CHECK(intra_threads_override() == 0);
  CHECK(intra_threads() == 4);
}

TEST_CASE("when several branches fail, one of their exceptions arrives, and the runner works again") {
  ThreadSettings s(2, 0);
  std::string what;
  try {
    run_branches(6, [](int i) {
      if (i % 2) throw BranchFailure("branch " + std::to_string(i));
    });
  } catch (const BranchFailure& e) {
    what = e.what();
  }
  CHECK((what == "branch 1" || what == "branch 3" || what == "branch 5"));
  std::atomic<int> calls{0};
  run_branches(6, [&](int) { ++calls; });
  CHECK(calls == 6);
}
