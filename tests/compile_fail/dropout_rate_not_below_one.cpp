// expect: tinycnn: Dropout's rate must be in [0, 1)
// Dropping every activation leaves nothing to scale back up.
#include "tinycnn/layers/dropout.hpp"
using namespace tinycnn;
#ifdef TINYCNN_SHOULD_COMPILE
using Layer = Dropout<Percent<99>>;
#else
using Layer = Dropout<Percent<100>>;
#endif
static_assert(Layer::keep > 0.0);
