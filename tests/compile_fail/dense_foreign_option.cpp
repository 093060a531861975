// expect: tinycnn: Dense accepts only WithBias/NoBias, a weight initialiser and BiasInit<> as options
// A stride means nothing to a fully connected layer.
#include "tinycnn/layers/dense.hpp"
using namespace tinycnn;
#ifdef TINYCNN_SHOULD_COMPILE
using Layer = Dense<10, NoBias>;
#else
using Layer = Dense<10, NoBias, Stride<2>>;
#endif
static_assert(!Layer::has_bias);
