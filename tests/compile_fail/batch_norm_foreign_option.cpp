// expect: tinycnn: BatchNorm accepts only Epsilon<>, Momentum<> and WithGamma/NoGamma as options
// NoBias is the convolution's switch; batch norm's beta cannot be turned off.
#include "tinycnn/layers/batch_norm.hpp"
using namespace tinycnn;
#ifdef TINYCNN_SHOULD_COMPILE
using Layer = BatchNorm<NoGamma>;
#else
using Layer = BatchNorm<NoBias>;
#endif
static_assert(!Layer::has_gamma);
