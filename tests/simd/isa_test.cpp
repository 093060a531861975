// The build asks for an instruction set (TINYCNN_ARCH); the kernels must really run it. An
// AVX-512 build that silently fell back to AVX2 would pass every numeric test at half the speed.
#include <doctest/doctest.h>

#include <string>
#include <type_traits>

#include "tinycnn/simd/simd.hpp"

using namespace tinycnn;

TEST_CASE("the kernels use the vector width the build asked for") {
  const std::string arch = TINYCNN_TEST_ARCH;
  CAPTURE(arch);
  const std::string isa = simd::isa_name;
  if (arch == "haswell") {
    CHECK(simd::width<float> == 8);
    CHECK(simd::width<double> == 4);
    // Pinned to FMA3: with plain xsimd::avx2, xsimd 8.1 may turn fma() into a multiply and an add.
    CHECK(std::is_same_v<simd::arch, xsimd::fma3<xsimd::avx2>>);
    CHECK(isa == "AVX2+FMA");
  } else if (arch == "avx512") {
    CHECK(simd::width<float> == 16);
    CHECK(simd::width<double> == 8);
    CHECK(std::is_same_v<simd::arch, xsimd::avx512bw>);
    CHECK(isa == "AVX-512");
  } else {
    REQUIRE(arch == "native");
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512DQ__)
    CHECK(simd::width<float> == 16);  // the machine has AVX-512: the native build must use it
#else
    CHECK(simd::width<float> == 8);
#endif
  }
}
