// Measures the machine's FMA peak, the yardstick for every GFLOP/s figure we print: each thread
// runs 12 independent chains of vector FMAs (enough to cover latency x throughput on current
// x86 cores), so the loop is limited only by the FMA units (kernels/fma_peak.hpp).
#pragma once
#include "tinycnn/kernels/all.hpp"

namespace tinycnn::bench {

// GFLOP/s of `threads` threads together, with the vectors of the instruction set in use
// (kernels::isa_in_use()).
inline double measure_fma_peak_gflops(int threads, double seconds = 0.2) {
  return kernels::fma_peak_gflops<float>(threads, seconds);
}

}  // namespace tinycnn::bench
