// Sample moments checked against a distribution's exact ones, with a tolerance derived from the
// sample size: 5 standard errors, so a correct generator fails about once in 1.7 million runs
// (and never with the fixed seeds the tests use), while a wrong scale or shape is far outside.
#pragma once
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

namespace tinycnn::test {

struct SampleMoments {
  double mean = 0, var = 0, m4 = 0;  // central second and fourth moments
};

template <class T>
SampleMoments sample_moments(const std::vector<T>& x) {
  const double n = double(x.size());
  SampleMoments s;
  for (T v : x) s.mean += double(v);
  s.mean /= n;
  for (T v : x) {
    const double d = double(v) - s.mean, d2 = d * d;
    s.var += d2;
    s.m4 += d2 * d2;
  }
  s.var /= n;
  s.m4 /= n;
  return s;
}

// The exact central moments of the distribution the sample should come from: variance, and the
// fourth and eighth moments, which give the standard errors of the sample variance and the
// sample fourth moment.
struct ExactMoments {
  double mean = 0, var = 0, m4 = 0, m8 = 0;
};

inline constexpr double standard_errors = 5.0;

// The mean and variance within 5 standard errors; the fourth central moment too when check_m4.
// Every comparison is written so that NaN fails it.
template <class T>
void check_moments(const std::vector<T>& x, const ExactMoments& want, const std::string& what, bool check_m4 = false) {
  const double n = double(x.size());
  const SampleMoments got = sample_moments(x);
  const double se_mean = std::sqrt(want.var / n);
  const double se_var = std::sqrt((want.m4 - want.var * want.var) / n);
  INFO(what << ": n " << n << ", mean " << got.mean << " (want " << want.mean << " +- " << standard_errors * se_mean
            << "), variance " << got.var << " (want " << want.var << " +- " << standard_errors * se_var << ")");
  CHECK(std::abs(got.mean - want.mean) <= standard_errors * se_mean);
  CHECK(std::abs(got.var - want.var) <= standard_errors * se_var);
  if (check_m4) {
    const double se_m4 = std::sqrt((want.m8 - want.m4 * want.m4) / n);
    INFO("fourth central moment " << got.m4 << " (want " << want.m4 << " +- " << standard_errors * se_m4 << ")");
    CHECK(std::abs(got.m4 - want.m4) <= standard_errors * se_m4);
  }
}

// Uniform on [lo, hi]: central moments of a width w are w^2/12, w^4/80 and w^8/2304.
inline ExactMoments uniform_moments(double lo, double hi) {
  const double w = hi - lo, w2 = w * w, w4 = w2 * w2;
  return {(lo + hi) / 2, w2 / 12, w4 / 80, w4 * w4 / 2304};
}

// Normal: sigma^2, 3 sigma^4, 105 sigma^8.
inline ExactMoments normal_moments(double mean, double stddev) {
  const double v = stddev * stddev;
  return {mean, v, 3 * v * v, 105 * v * v * v * v};
}

// A normal truncated to mean +- a standard deviations. With phi the standard normal density and
// Z = P(|x| <= a) = erf(a / sqrt 2), the even moments of the standard truncated normal follow
// from integrating by parts: E x^k = (k - 1) E x^(k-2) - 2 a^(k-1) phi(a) / Z.
inline ExactMoments truncated_normal_moments(double mean, double stddev, double a) {
  const double phi = std::exp(-a * a / 2) / std::sqrt(2 * M_PI), z = std::erf(a / std::sqrt(2.0));
  const double m2 = 1 - 2 * a * phi / z;
  const double m4 = 3 * m2 - 2 * std::pow(a, 3) * phi / z;
  const double m6 = 5 * m4 - 2 * std::pow(a, 5) * phi / z;
  const double m8 = 7 * m6 - 2 * std::pow(a, 7) * phi / z;
  const double v = stddev * stddev;
  return {mean, m2 * v, m4 * v * v, m8 * v * v * v * v};
}

}  // namespace tinycnn::test
