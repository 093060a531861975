// The numbers the TensorFlow CNN benchmark prints about step times, and the report's summary
// over repetitions. Formulas follow tf_cnn_benchmarks' get_perf_timing (numpy semantics: the
// standard deviation is the population one, ddof = 0) so our "+/-" and "jitter" mean the same.
#pragma once
#include <algorithm>
#include <cmath>
#include <span>
#include <vector>

namespace tinycnn::bench {

inline double mean(std::span<const double> x) {
  if (x.empty()) return 0.0;
  double s = 0;
  for (double v : x) s += v;
  return s / double(x.size());
}

// Mean of the two middle values for an even count, as numpy.median.
inline double median(std::span<const double> x) {
  if (x.empty()) return 0.0;
  std::vector<double> v(x.begin(), x.end());
  const std::size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(mid), v.end());
  double hi = v[mid];
  if (v.size() % 2 == 1) return hi;
  double lo = *std::max_element(v.begin(), v.begin() + std::ptrdiff_t(mid));
  return 0.5 * (lo + hi);
}

// numpy.std(x) / sqrt(n): the benchmark's "+/-".
inline double standard_error(std::span<const double> x) {
  if (x.empty()) return 0.0;
  const double m = mean(x);
  double ss = 0;
  for (double v : x) ss += (v - m) * (v - m);
  return std::sqrt(ss / double(x.size())) / std::sqrt(double(x.size()));
}

// 1.4826 x the median absolute deviation: a spread estimate that one slow step cannot inflate
// (1.4826 makes it equal the standard deviation for normal data).
inline double jitter(std::span<const double> x) {
  if (x.empty()) return 0.0;
  const double m = median(x);
  std::vector<double> dev;
  dev.reserve(x.size());
  for (double v : x) dev.push_back(std::abs(v - m));
  return 1.4826 * median(dev);
}

// The report's error bar over repetitions.
inline double max_minus_min(std::span<const double> x) {
  if (x.empty()) return 0.0;
  auto [lo, hi] = std::minmax_element(x.begin(), x.end());
  return *hi - *lo;
}

// One "images/sec: A +/- B (jitter = C)" triple over the timed steps so far.
struct SpeedStats {
  double images_per_sec = 0;  // batch / mean step time (not the mean of the speeds)
  double uncertainty = 0;     // standard error of the per-step speeds
  double jitter = 0;          // of the per-step speeds
};

inline SpeedStats speed_stats(double batch, std::span<const double> step_seconds) {
  SpeedStats s;
  if (step_seconds.empty()) return s;
  std::vector<double> speeds;
  speeds.reserve(step_seconds.size());
  for (double t : step_seconds) speeds.push_back(batch / t);
  s.images_per_sec = batch / mean(step_seconds);
  s.uncertainty = standard_error(speeds);
  s.jitter = bench::jitter(speeds);
  return s;
}

}  // namespace tinycnn::bench
