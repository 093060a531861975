// The GEMM's shape parameters: the register tile of the micro-kernel and the cache blocks of the
// loops around it, per instruction set.
//
// The tile is MR rows of A broadcast against NR = `vectors` SIMD vectors of B; its MR x vectors
// accumulators, the B vectors and one broadcast must fit in the vector registers, or the
// micro-kernel spills in its inner loop:
//   AVX2:    16 ymm registers: 6 x 2 vectors = 12 accumulators + 2 B + 1 broadcast = 15.
//   AVX-512: the same 6 x 2-vector tile in zmm registers (15 of 32). Taller tiles that use
//            more of them (12 x 2v: 27 registers, 14 x 2v: 31) ran the convolution totals of
//            ResNet-50 and InceptionV3 slower on Zen 5 (docs/performance.md). Likely causes, not
//            isolated: with MR pixels per direct-convolution tile, more tiles cross the ends of
//            short output rows (7, 14, 17, 35 pixels) onto the packed path, and M edges waste
//            more of each tile.
// The micro-kernel files are named by ISA and tile in vectors (micro_kernel_avx2_6x2v.hpp), so
// one file serves float and double: 6 x 2v is 6 x 16 floats or 6 x 8 doubles on AVX2.
#pragma once
#include "tinycnn/core/shape.hpp"
#include "tinycnn/simd/simd.hpp"
#include "tinycnn/simd/isa_namespace.hpp"

namespace tinycnn::kernels::inline TINYCNN_ISA_NAMESPACE {

template <class T>
struct GemmTile {
  static constexpr int mr = 6;
  static constexpr int vectors = 2;  // packers and conv_direct's weight panels assume NR = 2 vectors
  static constexpr int nr = vectors * simd::width<T>;
};

// Cache blocks. The kc x NR panel of B stays in L1 while the MR-row panels of A stream through
// it from L2 (16 KiB of floats with AVX2, 32 KiB with AVX-512); an mc x kc block of A fills a
// part of L2, and the kc x nc block of B is shared by all threads from L3.
template <class T>
struct GemmBlocking {
  static constexpr index_t kc = 256;
  static constexpr index_t mc_max = 192 / GemmTile<T>::mr * GemmTile<T>::mr;  // a multiple of mr
  static constexpr index_t nc = 3072;  // a multiple of nr
  static_assert(mc_max % GemmTile<T>::mr == 0 && nc % GemmTile<T>::nr == 0);
};

}  // namespace tinycnn::kernels::inline TINYCNN_ISA_NAMESPACE
