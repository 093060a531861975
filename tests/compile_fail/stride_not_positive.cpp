// expect: tinycnn: a stride must be positive
// A zero stride would never move the window.
#include "tinycnn/layers/conv2d.hpp"
using namespace tinycnn;
#ifdef TINYCNN_SHOULD_COMPILE
using Layer = Conv2D<8, 3, Stride<2, 1>>;
#else
using Layer = Conv2D<8, 3, Stride<2, 0>>;
#endif
static_assert(Layer::stride::h == 2);
