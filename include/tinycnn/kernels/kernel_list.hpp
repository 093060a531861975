// The float kernels a model's layers call, listed once: kernels/all.hpp compiles, declares or
// routes them from this list, and kernels/dispatch.hpp builds its table of them.
#pragma once
#include <cstddef>
#include <string_view>

#include "tinycnn/core/shape.hpp"
#include "tinycnn/kernels/batch_norm_config.hpp"
#include "tinycnn/kernels/conv_shape.hpp"
#include "tinycnn/kernels/gemm/problem.hpp"
#include "tinycnn/kernels/window.hpp"
#include "tinycnn/parallel/execution.hpp"

// X(return type, name, (parameters), (arguments)): every float kernel (and workspace size) the
// layers call, and the FMA peak that their speed is measured against.
#define TINYCNN_DISPATCHED_KERNELS(X)                                                                           \
  X(void, conv_forward,                                                                                          \
    (const ConvShape& s, const float* x, const float* w, float* y, float beta, const parallel::Execution& ex,      \
     std::string_view impl),                                                                                     \
    (s, x, w, y, beta, ex, impl))                                                                                \
  X(void, conv_backward_weights,                                                                                 \
    (const ConvShape& s, const float* x, const float* dy, float* dw, float beta, const parallel::Execution& ex,     \
     std::string_view impl),                                                                                     \
    (s, x, dy, dw, beta, ex, impl))                                                                              \
  X(void, conv_backward_data,                                                                                    \
    (const ConvShape& s, const float* dy, const float* w, float* dx, const parallel::Execution& ex,                \
     std::string_view impl),                                                                                     \
    (s, dy, w, dx, ex, impl))                                                                                    \
  X(std::size_t, conv_forward_workspace, (const ConvShape& s, int threads, std::string_view impl),                 \
    (s, threads, impl))                                                                                          \
  X(std::size_t, conv_backward_data_workspace, (const ConvShape& s, int threads, std::string_view impl),           \
    (s, threads, impl))                                                                                          \
  X(std::size_t, conv_backward_weights_workspace, (const ConvShape& s, int threads, std::string_view impl),        \
    (s, threads, impl))                                                                                          \
  X(void, gemm,                                                                                                  \
    (Trans ta, Trans tb, index_t M, index_t N, index_t K, float alpha, const float* A, index_t lda,               \
     const float* B, index_t ldb, float beta, float* C, index_t ldc, const parallel::Execution& ex,              \
     std::string_view impl),                                                                                     \
    (ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, ex, impl))                                            \
  X(std::size_t, gemm_workspace, (const GemmProblem& p, int threads, std::string_view impl), (p, threads, impl))  \
  X(void, batch_norm_forward_training,                                                                           \
    (const float* x, float* y, index_t rows, index_t c, const float* gamma, const float* beta,                   \
     const BatchNormConfig& config, float* save_mean, float* save_invstd, float* save_scale, float* save_offset,   \
     float* running_mean, float* running_var, const parallel::Execution& ex),                                    \
    (x, y, rows, c, gamma, beta, config, save_mean, save_invstd, save_scale, save_offset, running_mean,          \
     running_var, ex))                                                                                           \
  X(void, batch_norm_apply,                                                                                      \
    (const float* x, float* y, index_t rows, index_t c, const float* scale, const float* offset, bool relu,      \
     const parallel::Execution& ex),                                                                             \
    (x, y, rows, c, scale, offset, relu, ex))                                                                    \
  X(void, batch_norm_forward_inference,                                                                          \
    (const float* x, float* y, index_t rows, index_t c, const float* gamma, const float* beta,                   \
     const float* running_mean, const float* running_var, double epsilon, bool relu,                             \
     const parallel::Execution& ex),                                                                             \
    (x, y, rows, c, gamma, beta, running_mean, running_var, epsilon, relu, ex))                                  \
  X(void, batch_norm_backward,                                                                                   \
    (const float* x, const float* dy, float* dx, index_t rows, index_t c, const float* gamma,                    \
     const float* save_mean, const float* save_invstd, float* dgamma, float* dbeta, const parallel::Execution& ex), \
    (x, dy, dx, rows, c, gamma, save_mean, save_invstd, dgamma, dbeta, ex))                                      \
  X(std::size_t, batch_norm_training_workspace, (index_t rows, index_t c, int threads), (rows, c, threads))       \
  X(std::size_t, batch_norm_inference_workspace, (index_t c), (c))                                               \
  X(std::size_t, batch_norm_backward_workspace, (index_t rows, index_t c, int threads), (rows, c, threads))       \
  X(void, max_pool_forward,                                                                                      \
    (const float* x, float* y, index_t n, index_t c, const Window& w, const parallel::Execution& ex),            \
    (x, y, n, c, w, ex))                                                                                         \
  X(void, max_pool_backward,                                                                                     \
    (const float* x, const float* dy, float* dx, index_t n, index_t c, const Window& w,                          \
     const parallel::Execution& ex),                                                                             \
    (x, dy, dx, n, c, w, ex))                                                                                    \
  X(void, avg_pool_forward,                                                                                      \
    (const float* x, float* y, index_t n, index_t c, const Window& w, const parallel::Execution& ex),            \
    (x, y, n, c, w, ex))                                                                                         \
  X(void, avg_pool_backward,                                                                                     \
    (const float* dy, float* dx, index_t n, index_t c, const Window& w, const parallel::Execution& ex),          \
    (dy, dx, n, c, w, ex))                                                                                       \
  X(void, global_avg_pool_forward,                                                                               \
    (const float* x, float* y, index_t n, index_t h, index_t w, index_t c, const parallel::Execution& ex),       \
    (x, y, n, h, w, c, ex))                                                                                      \
  X(void, global_avg_pool_backward,                                                                              \
    (const float* dy, float* dx, index_t n, index_t h, index_t w, index_t c, const parallel::Execution& ex),     \
    (dy, dx, n, h, w, c, ex))                                                                                    \
  X(void, bias_add_forward,                                                                                      \
    (const float* x, const float* bias, float* y, index_t rows, index_t c, const parallel::Execution& ex),       \
    (x, bias, y, rows, c, ex))                                                                                   \
  X(void, bias_add_backward, (const float* dy, float* dbias, index_t rows, index_t c, const parallel::Execution& ex), \
    (dy, dbias, rows, c, ex))                                                                                    \
  X(std::size_t, bias_add_backward_workspace, (index_t rows, index_t c, int threads), (rows, c, threads))         \
  X(void, relu_forward, (const float* x, float* y, index_t n, const parallel::Execution& ex), (x, y, n, ex))      \
  X(void, relu_backward, (const float* y, const float* dy, float* dx, index_t n, const parallel::Execution& ex),  \
    (y, dy, dx, n, ex))                                                                                          \
  X(void, add, (const float* a, const float* b, float* y, index_t n, const parallel::Execution& ex), (a, b, y, n, ex)) \
  X(void, add_inplace, (float* y, const float* x, index_t n, const parallel::Execution& ex), (y, x, n, ex))       \
  X(double, fma_peak_gflops, (int threads, double seconds), (threads, seconds))
