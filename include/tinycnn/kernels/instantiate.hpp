// Every kernel, and the macros that say where a translation unit's float kernels are compiled:
// see kernels/all.hpp (this name is kept for the programs that include it).
#pragma once
#include "tinycnn/kernels/all.hpp"
