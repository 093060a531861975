// expect: tinycnn: Dense accepts only WithBias/NoBias, a weight initialiser and BiasInit<> as options
// A type that is no option at all (here a layer, as if a comma had replaced a closing bracket).
#include "tinycnn/layers/dense.hpp"
#include "tinycnn/layers/relu.hpp"
using namespace tinycnn;
#ifdef TINYCNN_SHOULD_COMPILE
using Layer = Dense<10, WithBias>;
#else
using Layer = Dense<10, ReLU>;
#endif
static_assert(Layer::has_bias);
