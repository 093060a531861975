// expect: tinycnn: pooling layers accept only Stride<> and Pad::Same/Valid/Explicit<> as options
// Pooling has no weights to initialise.
#include "tinycnn/layers/init.hpp"
#include "tinycnn/layers/pooling.hpp"
using namespace tinycnn;
#ifdef TINYCNN_SHOULD_COMPILE
using Layer = MaxPool<3, Stride<2>>;
#else
using Layer = MaxPool<3, Stride<2>, GlorotUniform>;
#endif
static_assert(Layer::stride::h == 2);
