// Seeded random numbers. One generator type everywhere, so the same seed gives the same model on
// every machine: std::mt19937_64 is fully specified by the standard, but the std:: distributions
// are not, so the distributions here are written out.
#pragma once
#include <bit>
#include <cmath>
#include <cstdint>
#include <random>
#include <span>
#include <sstream>
#include <vector>

#include "tinycnn/core/error.hpp"

namespace tinycnn {

class Rng {
 public:
  explicit Rng(std::uint64_t seed = 1234) : engine_(seed) {}

  std::uint64_t next() { return engine_(); }
  // Uniform in [0, 1), 53 random bits.
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Uniform integer in [0, n). The 2^64 mod n lowest engine values are redrawn: with them, the
  // numbers below 2^64 mod n would each have one engine value more than the others, a bias that
  // reaches 2:1 for n near 2^64. For small n a redraw is so rare (n / 2^64) that the stream is
  // the same as a plain engine() % n.
  std::uint64_t below(std::uint64_t n) {
    if (n == 0) return 0;
    const std::uint64_t redraw_below = (0 - n) % n;
    std::uint64_t x;
    do x = engine_(); while (x < redraw_below);
    return x % n;
  }
  // Standard normal (Box-Muller; the second value is kept for the next call).
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u1 = uniform(), u2 = uniform();
    while (u1 <= 0.0) u1 = uniform();
    double r = std::sqrt(-2.0 * std::log(u1));
    spare_ = r * std::sin(2.0 * M_PI * u2);
    has_spare_ = true;
    return r * std::cos(2.0 * M_PI * u2);
  }
  double normal(double mean, double stddev) { return mean + stddev * normal(); }
  // Normal redrawn until within two standard deviations, as TensorFlow's truncated_normal.
  double truncated_normal(double mean, double stddev) {
    double x;
    do x = normal(); while (std::abs(x) > 2.0);
    return mean + stddev * x;
  }

  // The whole state as numbers, so that a checkpoint can continue the same stream: the numbers
  // of the engine's textual form (its 312 words; libstdc++ adds its position), then the spare
  // normal's bits and whether it is held. The count is the same for every Rng of one C++
  // library.
  std::vector<std::uint64_t> state() const {
    std::stringstream text;
    text << engine_;
    std::vector<std::uint64_t> words;
    for (std::uint64_t w; text >> w;) words.push_back(w);
    words.push_back(std::bit_cast<std::uint64_t>(spare_));
    words.push_back(has_spare_ ? 1 : 0);
    return words;
  }
  void set_state(std::span<const std::uint64_t> words) {
    const std::size_t n = Rng().state().size();
    require(words.size() == n && words.back() <= 1,
            "a random-number state has " + std::to_string(n) + " words, the last 0 or 1");
    std::stringstream text;
    for (std::size_t i = 0; i + 2 < n; ++i) text << words[i] << ' ';
    std::mt19937_64 engine;
    text >> engine;
    require(!text.fail(), "not a state of std::mt19937_64");
    engine_ = engine;
    spare_ = std::bit_cast<double>(words[n - 2]);
    has_spare_ = words.back() == 1;
  }

 private:
  std::mt19937_64 engine_;
  double spare_ = 0.0;
  bool has_spare_ = false;
};

// A checkpoint holds one process's stream; the other workers of a resumed distributed run start
// streams of their own, different from each other and from the ones they had before the stop.
inline Rng resumed_worker_rng(std::uint64_t seed, std::uint64_t worker, std::uint64_t step) {
  return Rng(seed + worker + 7919 * step);
}

}  // namespace tinycnn
