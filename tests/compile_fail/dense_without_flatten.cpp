// expect: put Flatten before Dense
// A Dense layer directly after a convolution: its input is an image, not a vector.
#include "tinycnn/all.hpp"
using namespace tinycnn;
#ifdef TINYCNN_SHOULD_COMPILE
using Net = Sequential<Conv2D<4, 3>, ReLU, Flatten, Dense<10>>;
#else
using Net = Sequential<Conv2D<4, 3>, ReLU, Dense<10>>;
#endif
int main() {
  auto net = make_model<Net>(Input<8, 8, 1>{}, 2);
  return int(net.num_params == 0);
}
