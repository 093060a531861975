#include <doctest/doctest.h>

#include <chrono>
#include <thread>
#include <vector>

#include "tinycnn/bench/timing.hpp"

using tinycnn::bench::best_seconds;
using namespace std::chrono_literals;

// These tests rely only on what a sleep guarantees, that it never returns early: a loaded
// machine may make a run longer, which none of the bounds below can be broken by.

TEST_CASE("best_seconds runs the warm-up once and then exactly min_reps timed runs when no time is asked") {
  for (int reps : {1, 2, 5}) {
    int calls = 0;
    best_seconds([&] { ++calls; }, 0.0, reps);
    CHECK(calls == 1 + reps);
  }
  int calls = 0;
  best_seconds([&] { ++calls; }, 0.0);
  CHECK(calls == 3);  // min_reps defaults to 2
}

TEST_CASE("best_seconds leaves the warm-up run out of the figure") {
  // The warm-up returns at once, every timed run sleeps 5 ms: counting the warm-up would give
  // microseconds.
  int calls = 0;
  const double best = best_seconds(
      [&] {
        if (calls++ > 0) std::this_thread::sleep_for(5ms);
      },
      0.0, 3);
  CHECK(best >= 0.005);
}

TEST_CASE("best_seconds returns the fastest run, not the first, the last, the mean or the total") {
  // Timed runs sleep 100, 5, 100, 100 ms: only the second is fast. The mean would be 76 ms; the
  // fastest is 5 ms plus whatever a busy machine adds, which stays far below 50 ms.
  const std::vector<int> sleep_ms{0, 100, 5, 100, 100};
  std::size_t call = 0;
  const double best = best_seconds(
      [&] {
        REQUIRE(call < sleep_ms.size());
        std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms[call++]));
      },
      0.0, 4);
  CHECK(call == sleep_ms.size());
  CHECK(best >= 0.005);
  CHECK(best < 0.050);
}

TEST_CASE("best_seconds keeps running until min_seconds have passed, and then stops") {
  // Runs of at least 1 ms with 30 ms asked: the timed runs must add up to 30 ms, and since the
  // loop stops as soon as they do, at most 30 of them can be needed (29 would not have reached
  // 30 ms only if each had taken under 1 ms).
  int calls = 0;
  const auto t0 = std::chrono::steady_clock::now();
  const double best = best_seconds(
      [&] {
        ++calls;
        std::this_thread::sleep_for(1ms);
      },
      0.030, 2);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  INFO("calls " << calls << ", wall " << wall << " s, best " << best << " s");
  CHECK(wall >= 0.030);
  CHECK(calls - 1 >= 2);
  CHECK(calls - 1 <= 30);
  CHECK(best >= 0.001);
  CHECK(best <= wall);
}
