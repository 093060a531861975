// expect: Residual's main path and shortcut produce different shapes
// A strided main path beside an identity shortcut: the shapes cannot be added.
#include "tinycnn/all.hpp"
using namespace tinycnn;
#ifdef TINYCNN_SHOULD_COMPILE
using Block = Residual<Sequential<Conv2D<8, 3, Stride<2>>, ReLU>, Conv2D<8, 1, Stride<2>>>;
#else
using Block = Residual<Sequential<Conv2D<8, 3, Stride<2>>, ReLU>>;
#endif
int main() {
  auto net = make_model<Block>(Input<8, 8, 8>{}, 2);
  return int(net.num_params == 0);
}
