// One instruction set's table of float kernels, for programs that choose at run time
// (kernels/dispatch.hpp). tinycnn::dispatch compiles this file twice: with -march=haswell it
// defines kernels::kernel_table_avx2(), with -march=x86-64-v4 kernels::kernel_table_avx512().
#define TINYCNN_KERNEL_TABLE
#include "tinycnn/kernels/all.hpp"
