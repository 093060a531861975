// A GEMM problem as the implementation lists and the kernel table see it: one type for every
// instruction set.
#pragma once
#include "tinycnn/core/shape.hpp"

namespace tinycnn::kernels {

struct GemmProblem {
  index_t M = 0, N = 0, K = 0;
};

enum class Trans { No, Yes };  // whether gemm() reads an operand transposed

}  // namespace tinycnn::kernels
