// Every kernel, and where a translation unit's float kernels come from.
//
// The float kernels that the layers call are listed once, below (TINYCNN_DISPATCHED_KERNELS).
// By default each translation unit compiles the ones it calls. Macros change that:
//   - TINYCNN_EXTERN_KERNELS / TINYCNN_INSTANTIATE_KERNELS: a program of many files (the
//     benchmark driver) compiles them once. In each model file define TINYCNN_EXTERN_KERNELS:
//     the kernels are declared there but not compiled (extern template). In one file define
//     TINYCNN_INSTANTIATE_KERNELS: that file compiles them, and can use heavier optimisation
//     than the model files, whose graph code gains little from -O3 and costs most of the
//     compile time.
//   - TINYCNN_DISPATCH (set by linking tinycnn::dispatch): the float kernels run from a table
//     of kernels compiled for AVX2 and for AVX-512, chosen once at startup from the CPU
//     (kernels/dispatch.hpp). The two macros above are then ignored: the tables hold the
//     only compiled copy.
//   - TINYCNN_KERNEL_TABLE: the file that compiles one such table (src/kernel_table.cpp).
#pragma once
#include <cstddef>
#include <string_view>

#include "tinycnn/kernels/activation.hpp"
#include "tinycnn/kernels/batch_norm.hpp"
#include "tinycnn/kernels/bias.hpp"
#include "tinycnn/kernels/concat.hpp"
#include "tinycnn/kernels/conv.hpp"
#include "tinycnn/kernels/dropout.hpp"
#include "tinycnn/kernels/elementwise.hpp"
#include "tinycnn/kernels/fma_peak.hpp"
#include "tinycnn/kernels/gemm.hpp"
#include "tinycnn/kernels/pooling.hpp"
#include "tinycnn/kernels/softmax_cross_entropy.hpp"
#include "tinycnn/kernels/dispatch.hpp"
#include "tinycnn/kernels/kernel_list.hpp"

#define TINYCNN_KERNEL_INSTANCE(R, name, params, args) template R name<float> params;
#define TINYCNN_KERNEL_EXTERN(R, name, params, args) extern template R name<float> params;
#define TINYCNN_KERNEL_VIA_TABLE(R, name, params, args) \
  template <>                                           \
  inline R name<float> params {                         \
    return kernel_table().name args;                    \
  }

#if defined(TINYCNN_DISPATCH) && !defined(TINYCNN_KERNEL_TABLE)
namespace tinycnn::kernels::inline TINYCNN_ISA_NAMESPACE {
TINYCNN_DISPATCHED_KERNELS(TINYCNN_KERNEL_VIA_TABLE)
}  // namespace tinycnn::kernels::inline TINYCNN_ISA_NAMESPACE
#elif defined(TINYCNN_KERNEL_TABLE)
namespace tinycnn::kernels {
inline namespace TINYCNN_ISA_NAMESPACE {
TINYCNN_DISPATCHED_KERNELS(TINYCNN_KERNEL_INSTANCE)
}  // namespace TINYCNN_ISA_NAMESPACE
#define TINYCNN_KERNEL_TABLE_ENTRY(R, name, params, args) .name = &name<float>,
const KernelTable& TINYCNN_KERNEL_TABLE_GETTER() {
  static constexpr KernelTable table{.isa = compiled_isa, TINYCNN_DISPATCHED_KERNELS(TINYCNN_KERNEL_TABLE_ENTRY)};
  return table;
}
#undef TINYCNN_KERNEL_TABLE_ENTRY
}  // namespace tinycnn::kernels
#elif defined(TINYCNN_INSTANTIATE_KERNELS) && defined(TINYCNN_EXTERN_KERNELS)
#error "define TINYCNN_INSTANTIATE_KERNELS in one file and TINYCNN_EXTERN_KERNELS in the others, not both"
#elif defined(TINYCNN_INSTANTIATE_KERNELS)
namespace tinycnn::kernels::inline TINYCNN_ISA_NAMESPACE {
TINYCNN_DISPATCHED_KERNELS(TINYCNN_KERNEL_INSTANCE)
}  // namespace tinycnn::kernels::inline TINYCNN_ISA_NAMESPACE
#elif defined(TINYCNN_EXTERN_KERNELS)
namespace tinycnn::kernels::inline TINYCNN_ISA_NAMESPACE {
TINYCNN_DISPATCHED_KERNELS(TINYCNN_KERNEL_EXTERN)
}  // namespace tinycnn::kernels::inline TINYCNN_ISA_NAMESPACE
#endif
#undef TINYCNN_KERNEL_INSTANCE
#undef TINYCNN_KERNEL_EXTERN
#undef TINYCNN_KERNEL_VIA_TABLE
