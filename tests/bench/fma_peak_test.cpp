#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <string>

#include "tinycnn/bench/fma_peak.hpp"

using tinycnn::bench::measure_fma_peak_gflops;
namespace simd = tinycnn::simd;

// Bounds that hold on any x86 machine that runs this build, however fast or busy, and are still
// far from what a miscount (a missing factor of the vector width or the 12 chains, seconds
// taken as milliseconds) produces.
// Above: no core has more than two FMA pipes of the vector width, and none clocks beyond 7 GHz,
// so one thread cannot exceed width * 2 flops * 2 pipes * 7 GHz (448 GFLOP/s with AVX-512).
// Below: the slowest AVX2 core (one FMA pipe at 1 GHz) does 16 GFLOP/s; under 1 would mean the
// thread was off its core 94 % of the time in each of the three attempts.
double most_for(int threads) { return threads * simd::width<float> * 2.0 * 2.0 * 7.0; }
constexpr double kLeast = 1.0;

TEST_CASE("the ISA name matches the vector width the build uses") {
  const std::string isa = simd::isa_name;
  if (simd::width<float> == 16)
    CHECK(isa == "AVX-512");
  else
    CHECK((simd::width<float> == 8 && isa == "AVX2+FMA"));
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512DQ__) && !defined(TINYCNN_NO_AVX512)
  CHECK(simd::width<float> == 16);
#else
  CHECK(simd::width<float> == 8);
#endif
}

TEST_CASE("measure_fma_peak_gflops: a finite figure within what any CPU can do, after running as long as asked") {
  for (int threads : {1, 2}) {
    const double seconds = 0.05;
    const auto t0 = std::chrono::steady_clock::now();
    const double g = measure_fma_peak_gflops(threads, seconds);
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    INFO(threads << " threads: " << g << " GFLOP/s (" << std::string(simd::isa_name) << "), in " << wall << " s");
    CHECK(std::isfinite(g));
    CHECK(g >= kLeast);
    CHECK(g <= most_for(threads));
    CHECK(wall >= seconds);
  }
}
