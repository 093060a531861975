// expect: Concat's branches produce different heights or widths
// One branch keeps 9x9, the other halves it: they cannot be joined along channels.
#include "tinycnn/all.hpp"
using namespace tinycnn;
#ifdef TINYCNN_SHOULD_COMPILE
using Module = Concat<Conv2D<4, 1>, Conv2D<4, 3>>;
#else
using Module = Concat<Conv2D<4, 1>, Conv2D<4, 3, Stride<2>>>;
#endif
int main() {
  auto net = make_model<Module>(Input<9, 9, 3>{}, 2);
  return int(net.num_params == 0);
}
