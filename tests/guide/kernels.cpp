// The float kernels, compiled once for all of the guide's programs (see kernels/instantiate.hpp).
#define TINYCNN_INSTANTIATE_KERNELS
#include <tinycnn/kernels/instantiate.hpp>
