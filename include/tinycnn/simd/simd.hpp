// The thin layer over xsimd: which architecture, which batch width, and the few operations the
// kernels use. Everything version-specific about xsimd 8.1 stays in this file.
//
// The architecture is the widest the compiler was allowed: AVX-512 when the build enables it
// (-march=native on a machine that has it, or link tinycnn::native), else AVX2 + FMA. On CPUs
// with full-width AVX-512 units (AMD Zen 5, Intel server cores) that doubles the FMA peak;
// define TINYCNN_NO_AVX512 to stay on AVX2 anyway.
// Its contents live in the namespace of the instruction set (simd/isa_namespace.hpp).
#pragma once

#if !defined(__AVX2__) || !defined(__FMA__)
#error "tinycnn needs AVX2 and FMA: compile with -march=haswell (or newer), or link the CMake target tinycnn::haswell"
#endif

#include <xsimd/xsimd.hpp>

#include "tinycnn/simd/isa_namespace.hpp"

namespace tinycnn::simd::inline TINYCNN_ISA_NAMESPACE {

#if defined(TINYCNN_AVX512_KERNELS)
using arch = xsimd::avx512bw;
inline constexpr const char* isa_name = "AVX-512";
#else
// Pinned to AVX2+FMA: with plain xsimd::avx2, xsimd 8.1 may turn fma() into a multiply and an add.
using arch = xsimd::fma3<xsimd::avx2>;
inline constexpr const char* isa_name = "AVX2+FMA";
#endif

template <class T>
using batch = xsimd::batch<T, arch>;

template <class T>
inline constexpr int width = static_cast<int>(batch<T>::size);  // floats: 8 (AVX2), 16 (AVX-512)

template <class T>
inline batch<T> load(const T* p) { return batch<T>::load_unaligned(p); }
template <class T>
inline batch<T> load_aligned(const T* p) { return batch<T>::load_aligned(p); }
template <class T>
inline void store(T* p, const batch<T>& v) { v.store_unaligned(p); }
template <class T>
inline batch<T> splat(T x) { return batch<T>(x); }
template <class T>
inline batch<T> fma(const batch<T>& a, const batch<T>& b, const batch<T>& c) { return xsimd::fma(a, b, c); }
template <class T>
inline T sum(const batch<T>& v) { return xsimd::hadd(v); }  // reduce_add from xsimd 9 on
template <class T>
inline batch<T> sqrt(const batch<T>& v) { return xsimd::sqrt(v); }
template <class T>
inline batch<T> max(const batch<T>& a, const batch<T>& b) { return xsimd::max(a, b); }
// Elementwise cond ? a : b, cond from a comparison of batches.
template <class Cond, class T>
inline batch<T> select(const Cond& cond, const batch<T>& a, const batch<T>& b) { return xsimd::select(cond, a, b); }

}  // namespace tinycnn::simd::inline TINYCNN_ISA_NAMESPACE
