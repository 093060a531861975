// The float kernels of kernels/kernel_list.hpp, compiled once for every test program.
#define TINYCNN_INSTANTIATE_KERNELS
#include "tinycnn/kernels/all.hpp"
