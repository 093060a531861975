// expect: tinycnn: Conv2D accepts only Stride<>, Pad::Same/Valid/Explicit<>, WithBias/NoBias, a weight initialiser and BiasInit<> as options
// A batch-norm option given to a convolution would otherwise be silently ignored.
#include <ratio>

#include "tinycnn/layers/conv2d.hpp"
using namespace tinycnn;
#ifdef TINYCNN_SHOULD_COMPILE
using Layer = Conv2D<8, 3, Pad::Valid, TruncatedNormal<std::ratio<1, 10>>>;
#else
using Layer = Conv2D<8, 3, Pad::Valid, Momentum<std::ratio<9, 10>>>;
#endif
static_assert(Layer::has_bias);
