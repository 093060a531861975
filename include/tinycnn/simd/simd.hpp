// The thin layer over xsimd: which architecture, which batch width, and the few operations the
// kernels use. Everything version-specific about xsimd 8.1 stays in this file.
#pragma once

#if !defined(__AVX2__) || !defined(__FMA__)
#error "tinycnn needs AVX2 and FMA: compile with -march=haswell (or newer), or link the CMake target tinycnn::haswell"
#endif

#include <xsimd/xsimd.hpp>

namespace tinycnn::simd {

// Pinned to AVX2+FMA: with plain xsimd::avx2, xsimd 8.1 may turn fma() into a multiply and an add.
using arch = xsimd::fma3<xsimd::avx2>;

template <class T>
using batch = xsimd::batch<T, arch>;

template <class T>
inline constexpr int width = static_cast<int>(batch<T>::size);  // 8 floats, 4 doubles

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

}  // namespace tinycnn::simd
