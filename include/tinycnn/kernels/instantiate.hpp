// Compiling the float kernels once for a program of many translation units.
//
// Every translation unit that trains a model instantiates the kernels it calls. A program that
// builds several models in separate files (the benchmark driver) can compile them once instead:
//   - in each model file, define TINYCNN_EXTERN_KERNELS before including this header: the
//     kernels are declared there but not compiled (extern template);
//   - in one file, define TINYCNN_INSTANTIATE_KERNELS and include this header: that file compiles
//     them. It can use heavier optimisation than the model files, whose graph code gains little
//     from -O3 and costs most of the compile time.
// Without either macro this header only includes the kernels.
#pragma once
#include "tinycnn/kernels/activation.hpp"
#include "tinycnn/kernels/batch_norm.hpp"
#include "tinycnn/kernels/bias.hpp"
#include "tinycnn/kernels/concat.hpp"
#include "tinycnn/kernels/conv.hpp"
#include "tinycnn/kernels/dropout.hpp"
#include "tinycnn/kernels/elementwise.hpp"
#include "tinycnn/kernels/gemm.hpp"
#include "tinycnn/kernels/pooling.hpp"
#include "tinycnn/kernels/softmax_cross_entropy.hpp"

// X(signature): every float kernel a model's layers call.
#define TINYCNN_FLOAT_KERNELS(X)                                                                         \
  X(void conv_forward<float>(const ConvShape&, const float*, const float*, float*, float, const parallel::Execution&,            \
                             std::string_view))                                                         \
  X(void conv_backward_weights<float>(const ConvShape&, const float*, const float*, float*, float,        \
                                      const parallel::Execution&, std::string_view))                                           \
  X(void conv_backward_data<float>(const ConvShape&, const float*, const float*, float*, const parallel::Execution&,             \
                                   std::string_view))                                                   \
  X(void gemm<float>(Trans, Trans, index_t, index_t, index_t, float, const float*, index_t, const float*, \
                     index_t, float, float*, index_t, const parallel::Execution&, std::string_view))                           \
  X(void batch_norm_forward_training<float>(const float*, float*, index_t, index_t, const float*,        \
                                            const float*, const BatchNormConfig&, float*, float*, float*, \
                                            float*, const parallel::Execution&))                                               \
  X(void batch_norm_forward_inference<float>(const float*, float*, index_t, index_t, const float*,       \
                                             const float*, const float*, const float*, double, const parallel::Execution&))    \
  X(void batch_norm_backward<float>(const float*, const float*, float*, index_t, index_t, const float*,  \
                                    const float*, const float*, float*, float*, const parallel::Execution&))                   \
  X(void max_pool_forward<float>(const float*, float*, index_t, index_t, const Window&, const parallel::Execution&))             \
  X(void max_pool_backward<float>(const float*, const float*, float*, index_t, index_t, const Window&,    \
                                  const parallel::Execution&))                                                                 \
  X(void avg_pool_forward<float>(const float*, float*, index_t, index_t, const Window&, const parallel::Execution&))             \
  X(void avg_pool_backward<float>(const float*, float*, index_t, index_t, const Window&, const parallel::Execution&))            \
  X(void global_avg_pool_forward<float>(const float*, float*, index_t, index_t, index_t, index_t, const parallel::Execution&))   \
  X(void global_avg_pool_backward<float>(const float*, float*, index_t, index_t, index_t, index_t, const parallel::Execution&))  \
  X(void bias_add_forward<float>(const float*, const float*, float*, index_t, index_t, const parallel::Execution&))              \
  X(void bias_add_backward<float>(const float*, float*, index_t, index_t, const parallel::Execution&))                           \
  X(void relu_forward<float>(const float*, float*, index_t, const parallel::Execution&))                                        \
  X(void relu_backward<float>(const float*, const float*, float*, index_t, const parallel::Execution&))                         \
  X(void add<float>(const float*, const float*, float*, index_t, const parallel::Execution&))                                   \
  X(void add_inplace<float>(float*, const float*, index_t, const parallel::Execution&))

#if defined(TINYCNN_INSTANTIATE_KERNELS) && defined(TINYCNN_EXTERN_KERNELS)
#error "define TINYCNN_INSTANTIATE_KERNELS in one file and TINYCNN_EXTERN_KERNELS in the others, not both"
#elif defined(TINYCNN_INSTANTIATE_KERNELS)
#define TINYCNN_KERNEL_INSTANCE(...) template __VA_ARGS__;
#elif defined(TINYCNN_EXTERN_KERNELS)
#define TINYCNN_KERNEL_INSTANCE(...) extern template __VA_ARGS__;
#endif

#ifdef TINYCNN_KERNEL_INSTANCE
namespace tinycnn::kernels {
TINYCNN_FLOAT_KERNELS(TINYCNN_KERNEL_INSTANCE)
}  // namespace tinycnn::kernels
#undef TINYCNN_KERNEL_INSTANCE
#endif
