// The namespace of the code compiled for one instruction set: TINYCNN_ISA_NAMESPACE.
//
// Everything in simd/ and kernels/ that is compiled for an instruction set lives in a namespace
// named after it (inline, so callers write simd::batch and kernels::conv_forward as always). A
// program that chooses the instruction set at run time (kernels/dispatch.hpp) links the kernels
// compiled twice, for AVX2 and for AVX-512, into one binary: distinct names keep the linker from
// taking one copy of a function for both, which would run AVX-512 instructions on a CPU without
// them. The types the two share (ConvShape, GemmProblem, BatchNormConfig, Window) stay outside.
#pragma once

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512DQ__) && !defined(TINYCNN_NO_AVX512)
#define TINYCNN_AVX512_KERNELS 1
#endif

// The namespace of this translation unit's kernels. In a program that dispatches at run time
// (TINYCNN_DISPATCH), its own files compile the kernels it does not dispatch, and the double
// ones, for the baseline: they get a third name, so that the float kernels it routes through
// the table (kernels/dispatch.hpp) never share a name with a table's own copy.
#if defined(TINYCNN_DISPATCH) && !defined(TINYCNN_KERNEL_TABLE)
#define TINYCNN_ISA_NAMESPACE isa_baseline
#elif defined(TINYCNN_AVX512_KERNELS)
#define TINYCNN_ISA_NAMESPACE isa_avx512
#else
#define TINYCNN_ISA_NAMESPACE isa_avx2
#endif
