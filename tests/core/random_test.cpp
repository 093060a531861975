#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "support/moments.hpp"
#include "tinycnn/core/random.hpp"

using namespace tinycnn;

namespace {

constexpr int kDraws = 1'000'000;

template <class F>
std::vector<double> draw(F&& f, int n = kDraws) {
  std::vector<double> x(static_cast<std::size_t>(n));
  for (auto& v : x) v = f();
  return x;
}

// Pearson's chi-square of counts against equal expected counts.
double chi_square(const std::vector<std::int64_t>& counts, double draws) {
  const double expected = draws / double(counts.size());
  double chi2 = 0;
  for (auto c : counts) chi2 += (double(c) - expected) * (double(c) - expected) / expected;
  return chi2;
}

}  // namespace

TEST_CASE("a seed fixes every stream: equal seeds agree, different seeds differ") {
  Rng a(99), b(99), c(100);
  int same_as_other_seed = 0;
  for (int i = 0; i < 1000; ++i) {
    const auto x = a.next();
    REQUIRE(x == b.next());
    same_as_other_seed += x == c.next();
  }
  CHECK(same_as_other_seed == 0);
  for (int i = 0; i < 1000; ++i) {
    REQUIRE(a.uniform() == b.uniform());
    REQUIRE(a.below(37) == b.below(37));
    REQUIRE(a.normal() == b.normal());
    REQUIRE(a.truncated_normal(1.0, 3.0) == b.truncated_normal(1.0, 3.0));
  }
}

TEST_CASE("the engine is std::mt19937_64, whose 10000th output the C++ standard fixes") {
  // [rand.predef]: the 10000th invocation of a default-constructed mt19937_64 (seed 5489).
  Rng r(5489);
  std::uint64_t x = 0;
  for (int i = 0; i < 10000; ++i) x = r.next();
  CHECK(x == 9981545732273789042ull);
}

TEST_CASE("seed 1234 gives the same numbers on every machine and in every version") {
  // Recorded from this implementation. Every model's initial weights come from these streams,
  // so a change here changes every trained result: change these figures only on purpose.
  Rng r(1234);
  CHECK(r.uniform() == 0x1.e4fb8ade22ad8p-1);
  CHECK(r.uniform() == 0x1.abd05ada3c0bp-5);
  CHECK(r.uniform() == 0x1.f2d9d8522a5e6p-1);
  CHECK(r.below(1000) == 934);
  CHECK(r.below(1000) == 375);
  CHECK(r.below(1000) == 817);
  // Box-Muller goes through log, sin and cos, which a C library may round differently in the
  // last place: a relative 1e-12 allows that, and nothing else.
  CHECK(r.normal() == doctest::Approx(0.46936425222131301).epsilon(1e-12));
  CHECK(r.normal() == doctest::Approx(-0.17206080207275284).epsilon(1e-12));
  CHECK(r.normal() == doctest::Approx(0.0075176797839970992).epsilon(1e-12));
  CHECK(r.truncated_normal(0, 1) == doctest::Approx(0.24772584497199227).epsilon(1e-12));
  CHECK(r.truncated_normal(0, 1) == doctest::Approx(0.21067138614362543).epsilon(1e-12));
  CHECK(r.truncated_normal(0, 1) == doctest::Approx(1.196686210753324).epsilon(1e-12));
}

TEST_CASE("uniform() lies in [0, 1), carries 53 random bits and has the uniform moments") {
  Rng r(1);
  const auto x = draw([&] { return r.uniform(); });
  CHECK(*std::min_element(x.begin(), x.end()) >= 0.0);
  CHECK(*std::max_element(x.begin(), x.end()) < 1.0);
  test::check_moments(x, test::uniform_moments(0.0, 1.0), "uniform()", true);
  // Every value is a multiple of 2^-53, and the lowest of the 53 bits is as often set as not
  // (a 32-bit generator scaled up would leave it always clear).
  std::int64_t odd = 0, not_multiple = 0;
  for (double v : x) {
    const double k = v * 0x1.0p53;
    not_multiple += k != std::floor(k);
    odd += std::fmod(k, 2.0) == 1.0;
  }
  CHECK(not_multiple == 0);
  CHECK(std::abs(double(odd) / kDraws - 0.5) <= test::standard_errors * std::sqrt(0.25 / kDraws));
}

TEST_CASE("uniform(lo, hi) lies in [lo, hi] with the uniform moments") {
  Rng r(2);
  const double lo = -3.0, hi = 5.0;
  const auto x = draw([&] { return r.uniform(lo, hi); });
  CHECK(*std::min_element(x.begin(), x.end()) >= lo);
  CHECK(*std::max_element(x.begin(), x.end()) <= hi);
  test::check_moments(x, test::uniform_moments(lo, hi), "uniform(-3, 5)", true);
}

TEST_CASE("normal() has the standard normal's moments and tail") {
  Rng r(3);
  const auto x = draw([&] { return r.normal(); });
  test::check_moments(x, test::normal_moments(0.0, 1.0), "normal()", true);
  // The share beyond two standard deviations, 1 - erf(sqrt 2) = 0.0455: pins the shape of the
  // tails, which the first moments alone do not.
  const double p = std::erfc(std::sqrt(2.0));
  const double beyond = double(std::count_if(x.begin(), x.end(), [](double v) { return std::abs(v) > 2.0; })) / kDraws;
  CHECK(std::abs(beyond - p) <= test::standard_errors * std::sqrt(p * (1 - p) / kDraws));
  // The pair from one Box-Muller draw is independent: the correlation of consecutive values is 0.
  double c = 0;
  for (std::size_t i = 0; i + 1 < x.size(); i += 2) c += x[i] * x[i + 1];
  CHECK(std::abs(c / (kDraws / 2)) <= test::standard_errors / std::sqrt(kDraws / 2.0));
}

TEST_CASE("normal(mean, stddev) shifts and scales") {
  Rng r(4);
  const auto x = draw([&] { return r.normal(10.0, 0.5); });
  test::check_moments(x, test::normal_moments(10.0, 0.5), "normal(10, 0.5)", true);
}

TEST_CASE("truncated_normal stays within two standard deviations and has the truncated moments") {
  Rng r(5);
  const double mean = -1.5, sd = 0.25;
  const auto x = draw([&] { return r.truncated_normal(mean, sd); });
  const auto [lo, hi] = std::minmax_element(x.begin(), x.end());
  // Exact bounds: mean + sd * t with |t| <= 2 cannot round past mean +- 2 sd.
  CHECK(*lo >= mean - 2 * sd);
  CHECK(*hi <= mean + 2 * sd);
  // ... and it reaches them: about 0.11 % of the draws lie within 0.01 sd of either bound.
  CHECK(*lo < mean - 1.99 * sd);
  CHECK(*hi > mean + 1.99 * sd);
  test::check_moments(x, test::truncated_normal_moments(mean, sd, 2.0), "truncated_normal(-1.5, 0.25)", true);
}

TEST_CASE("below(n) stays in [0, n); below(0) and below(1) are 0") {
  Rng r(6);
  for (std::uint64_t n : {1ull, 2ull, 3ull, 7ull, 1000ull, (1ull << 63) + 1})
    for (int i = 0; i < 10000; ++i) REQUIRE(r.below(n) < n);
  for (int i = 0; i < 100; ++i) {
    REQUIRE(r.below(0) == 0);
    REQUIRE(r.below(1) == 0);
  }
}

TEST_CASE("below(10) is uniform: chi-square over the ten values") {
  Rng r(7);
  constexpr int draws = 100'000;
  std::vector<std::int64_t> counts(10);
  for (int i = 0; i < draws; ++i) ++counts[r.below(10)];
  // 9 degrees of freedom: a uniform source exceeds 44.8 with probability 1e-6. A bias of 1 % on
  // one value already adds about 10.
  const double chi2 = chi_square(counts, draws);
  INFO("chi-square " << chi2);
  CHECK(chi2 <= 44.8);
}

TEST_CASE("below(n) is uniform for n near 2^64 too") {
  // n = 3 * 2^62 does not divide 2^64: a plain engine() % n maps two engine values onto each
  // number below 2^62 and one onto each above, so the lowest third would get half the draws.
  Rng r(8);
  constexpr std::uint64_t third = 1ull << 62, n = 3 * third;
  constexpr int draws = 30'000;
  std::vector<std::int64_t> counts(3);
  for (int i = 0; i < draws; ++i) ++counts[r.below(n) / third];
  // 2 degrees of freedom: a uniform source exceeds 27.6 with probability 1e-6.
  const double chi2 = chi_square(counts, draws);
  INFO("counts " << counts[0] << " " << counts[1] << " " << counts[2] << ", chi-square " << chi2);
  CHECK(chi2 <= 27.6);
}

TEST_CASE("a generator's saved state continues its stream exactly, the spare normal included") {
  Rng a(99);
  for (int i = 0; i < 1000; ++i) a.next();
  (void)a.normal();  // leaves a spare normal for the next call
  const std::vector<std::uint64_t> saved = a.state();
  Rng b(7);
  REQUIRE(b.next() != Rng(99).next());
  b.set_state(saved);
  CHECK(b.state() == saved);
  CHECK(b.normal() == a.normal());  // the spare
  for (int i = 0; i < 1000; ++i) CHECK(b.next() == a.next());

  std::vector<std::uint64_t> bad = saved;
  bad.pop_back();
  CHECK_THROWS_AS(b.set_state(bad), Error);
  bad = saved;
  bad.back() = 2;
  CHECK_THROWS_AS(b.set_state(bad), Error);
}
