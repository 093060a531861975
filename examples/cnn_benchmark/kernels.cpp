// The float kernels, compiled once for every model of the driver, at -O3 (the model files use
// -O2: their graph code is most of the compile time and gains nothing from -O3).
#define TINYCNN_INSTANTIATE_KERNELS
#include "tinycnn/kernels/instantiate.hpp"
