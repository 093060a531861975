#include <doctest/doctest.h>

#include <cmath>
#include <vector>

#include "tinycnn/bench/statistics.hpp"

using namespace tinycnn::bench;

namespace {
// Double arithmetic on a few small numbers: within a few units in the last place of the
// hand-computed value (doctest's default Approx, 1e-5, would pass a wrong jitter constant).
doctest::Approx near(double v) { return doctest::Approx(v).epsilon(1e-14); }
}  // namespace

TEST_CASE("mean, median, standard error, jitter and max - min on hand-computed data") {
  const std::vector<double> x{1, 2, 3, 4, 10};
  CHECK(mean(x) == near(4.0));
  CHECK(median(x) == near(3.0));
  // Population variance (numpy's np.std): (9 + 4 + 1 + 0 + 36) / 5 = 10; / sqrt(5) -> sqrt(2).
  CHECK(standard_error(x) == near(std::sqrt(2.0)));
  // |x - 3| = {2, 1, 0, 1, 7}, median 1.
  CHECK(jitter(x) == near(1.4826));
  CHECK(max_minus_min(x) == near(9.0));
}

TEST_CASE("the median of an even count is the mean of the middle two") {
  CHECK(median(std::vector<double>{4, 1, 3, 2}) == near(2.5));
}

TEST_CASE("one value has no spread; no values give zeros") {
  const std::vector<double> one{5.0}, none;
  CHECK(standard_error(one) == 0.0);
  CHECK(jitter(one) == 0.0);
  CHECK(max_minus_min(one) == 0.0);
  CHECK(mean(none) == 0.0);
  CHECK(speed_stats(10, none).images_per_sec == 0.0);
}

TEST_CASE("speed_stats: batch over the mean time, spread of the per-step speeds") {
  // Step times 1, 2, 4, 1 s with 10 images: speeds 10, 5, 2.5, 10; mean time 2 s.
  const std::vector<double> t{1, 2, 4, 1};
  SpeedStats s = speed_stats(10, t);
  CHECK(s.images_per_sec == near(5.0));  // not the mean speed, 6.875
  // Speeds' mean 6.875, squared deviations sum 42.1875, population variance 10.546875.
  CHECK(s.uncertainty == near(std::sqrt(10.546875) / 2.0));
  // Median speed 7.5; |deviations| 2.5, 2.5, 5, 2.5; their median 2.5.
  CHECK(s.jitter == near(1.4826 * 2.5));
}
