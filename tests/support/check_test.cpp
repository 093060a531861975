// The comparison every kernel test goes through must see every NaN and Inf, wherever it is.
#include <doctest/doctest.h>

#include <limits>
#include <vector>

#include "support/check.hpp"

using namespace tinycnn;

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
}  // namespace

TEST_CASE("closeness counts every non-finite value, in the result and in the reference") {
  const std::vector<double> want = {1, 2, 3, 4};
  // Three NaN before a finite last element: a running maximum that NaN compares false against
  // would keep only the last, finite error.
  const std::vector<double> three_nan = {kNaN, kNaN, kNaN, 4};
  test::Closeness c = test::closeness(three_nan.data(), want.data(), 4);
  CHECK(c.non_finite == 3);
  CHECK(c.first_non_finite == 0);
  CHECK_FALSE(c.within(1e300));

  for (std::size_t i = 0; i < want.size(); ++i) {
    CAPTURE(i);
    for (double bad : {kNaN, kInf, -kInf}) {
      std::vector<double> got = want, ref = want;
      got[i] = bad;
      c = test::closeness(got.data(), want.data(), 4);
      CHECK(c.non_finite == 1);
      CHECK(c.first_non_finite == index_t(i));
      CHECK_FALSE(c.within(1e300));
      ref[i] = bad;  // the reference's own NaN fails too: a broken oracle must not pass
      c = test::closeness(want.data(), ref.data(), 4);
      CHECK(c.first_non_finite == index_t(i));
      CHECK_FALSE(c.within(1e300));
    }
  }
}

TEST_CASE("closeness ranks the finite errors relative to 1 + |want|") {
  const std::vector<float> got = {1.0f, 2.5f, 100.0f, -3.0f};
  const std::vector<double> want = {1.0, 2.0, 101.0, -3.0};
  test::Closeness c = test::closeness(got.data(), want.data(), 4);
  CHECK(c.non_finite == 0);
  CHECK(c.at == 1);  // 0.5 / 3 beats 1 / 102
  CHECK(c.worst == doctest::Approx(0.5 / 3.0).epsilon(1e-15));
  CHECK(c.within(0.17));
  CHECK_FALSE(c.within(0.16));
  c = test::closeness(got.data(), want.data(), 0);
  CHECK(c.at == -1);
  CHECK(c.within(0.0));
}

// check_close itself must report a failure for a NaN anywhere: should_fail turns the expected
// failure into a pass, and a check_close that let the NaN through into a failure.
TEST_CASE("check_close fails on a NaN that finite elements follow" * doctest::should_fail()) {
  const std::vector<float> got = {std::numeric_limits<float>::quiet_NaN(), 1.0f, 2.0f}, want = {0.0f, 1.0f, 2.0f};
  test::check_close(got, want, 1e-3, "NaN first");
}

TEST_CASE("check_close fails on an Inf in the reference" * doctest::should_fail()) {
  const std::vector<double> got = {0.0, 1.0, 2.0}, want = {0.0, kInf, 2.0};
  test::check_close(got, want, 1e-3, "Inf in the reference");
}
