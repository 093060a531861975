// The FMA peak of the instruction set compiled here: the yardstick of every GFLOP/s figure.
#pragma once
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <type_traits>

#include "tinycnn/core/attributes.hpp"
#include "tinycnn/simd/simd.hpp"

namespace tinycnn::kernels::inline TINYCNN_ISA_NAMESPACE {

// GFLOP/s (a fused multiply-add counts as 2) of `threads` threads together. Each thread runs for
// `seconds` inside one parallel region and counts its own rounds: a version that met at a barrier
// every 0.2 ms collapsed on a shared node, where one descheduled thread stalls the others (we
// saw 0.8 GFLOP/s for 2 threads that deliver 50+); here a thread loses only the time it is
// actually off its core. The vectors are those of the instruction set compiled here; bench::measure_fma_peak_gflops
// asks the one in use (kernels/dispatch.hpp).
template <class T = float>
TINYCNN_KERNEL double fma_peak_gflops(int threads, double seconds) {
  static_assert(std::is_same_v<T, float>, "the peak is measured in float FMAs");
  using V = simd::batch<float>;
  constexpr int W = simd::width<float>;
  constexpr long inner = 1 << 12;
  double best = 0;
  for (int attempt = 0; attempt < 3; ++attempt) {
    double flops = 0, wall = 0;
    const auto start = std::chrono::steady_clock::now();
#pragma omp parallel num_threads(threads) reduction(+ : flops)
    {
      V a(1.0f + 1e-7f * float(omp_get_thread_num())), b(0.999999f);
      V c0(0.f), c1(0.f), c2(0.f), c3(0.f), c4(0.f), c5(0.f), c6(0.f), c7(0.f), c8(0.f), c9(0.f), c10(0.f), c11(0.f);
      long rounds = 0;
      const auto t0 = std::chrono::steady_clock::now();
      while (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() < seconds) {
        for (long i = 0; i < inner; ++i) {
          c0 = simd::fma(a, b, c0); c1 = simd::fma(a, b, c1); c2 = simd::fma(a, b, c2);
          c3 = simd::fma(a, b, c3); c4 = simd::fma(a, b, c4); c5 = simd::fma(a, b, c5);
          c6 = simd::fma(a, b, c6); c7 = simd::fma(a, b, c7); c8 = simd::fma(a, b, c8);
          c9 = simd::fma(a, b, c9); c10 = simd::fma(a, b, c10); c11 = simd::fma(a, b, c11);
          asm volatile("" : "+x"(c0.data), "+x"(c1.data), "+x"(c2.data), "+x"(c3.data), "+x"(c4.data),
                       "+x"(c5.data), "+x"(c6.data), "+x"(c7.data), "+x"(c8.data), "+x"(c9.data),
                       "+x"(c10.data), "+x"(c11.data));
        }
        ++rounds;
      }
      float sink = simd::sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
      asm volatile("" ::"x"(sink));
      flops += double(rounds) * inner * 12.0 * W * 2.0;
    }
    wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::max(best, flops / wall / 1e9);
  }
  return best;
}

}  // namespace tinycnn::kernels::inline TINYCNN_ISA_NAMESPACE
