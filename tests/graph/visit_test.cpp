// visit_leaves walks every container kind down to the leaves, in forward order.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tinycnn/graph/concat.hpp"
#include "tinycnn/graph/network.hpp"
#include "tinycnn/graph/repeat.hpp"
#include "tinycnn/graph/residual.hpp"
#include "tinycnn/graph/sequential.hpp"
#include "tinycnn/graph/visit.hpp"
#include "tinycnn/layers/batch_norm.hpp"
#include "tinycnn/layers/conv2d.hpp"
#include "tinycnn/layers/flatten.hpp"
#include "tinycnn/layers/pooling.hpp"
#include "tinycnn/layers/relu.hpp"

using namespace tinycnn;

namespace {
// 6x6x3 in. 10 convolutions: 1 in front, 3 in the residual (2 on the main path, 1 projection
// shortcut), 3 in the concat, 2 in the repeat, 1 strided at the end; 7 other leaves: ReLU x3,
// MaxPool, BatchNorm, Identity (the repeat's shortcut), Flatten.
using Small = Sequential<
    Conv2D<4, 3>, ReLU,                                                            // 6x6x4
    Residual<Sequential<Conv2D<4, 3>, ReLU, Conv2D<8, 1>>, Conv2D<8, 1, NoBias>>,  // 6x6x8
    Concat<Conv2D<2, 1>, Sequential<Conv2D<3, 1>, Conv2D<5, Kernel{1, 3}>>,
           MaxPool<3, Stride<1>, Pad::Same>>,                                      // 6x6x15
    BatchNorm<>, ReLU, Residual<Repeat<2, Conv2D<15, 1>>>,
    Conv2D<6, Kernel{1, 3}, Stride<2>, Pad::Valid>,                                // 3x2x6
    Flatten>;

struct Seen {
  std::vector<kernels::ConvShape> convs;
  std::vector<std::string> leaves;
};

template <class Root>
Seen walk(Root& root) {
  Seen s;
  visit_leaves(root, [&](auto& leaf) {
    s.leaves.push_back(leaf.describe());
    if constexpr (requires { leaf.conv_shape(); }) s.convs.push_back(leaf.conv_shape());
  });
  return s;
}
}  // namespace

TEST_CASE("visit_leaves finds every Conv2D under Sequential, Residual, Concat and Repeat, in forward order") {
  auto net = make_model<Small>(Input<6, 6, 3>{}, 3);
  Seen s = walk(net.root());
  CHECK(s.leaves.size() == 17);
  REQUIRE(s.convs.size() == 10);
  const index_t in_c[] = {3, 4, 4, 4, 8, 8, 3, 15, 15, 15};
  const index_t out_c[] = {4, 4, 8, 8, 2, 3, 5, 15, 15, 6};
  for (std::size_t i = 0; i < s.convs.size(); ++i) {
    INFO("convolution " << i);
    CHECK(s.convs[i].in_c == in_c[i]);
    CHECK(s.convs[i].out_c == out_c[i]);
    CHECK(s.convs[i].batch == 3);  // planned at the network's batch
  }
  // The last one, strided 1x3 VALID: 6x6 in, 3x2 out.
  CHECK(s.convs[9].win.kh == 1);
  CHECK(s.convs[9].win.kw == 3);
  CHECK(s.convs[9].win.out_h == 3);
  CHECK(s.convs[9].win.out_w == 2);
  CHECK(s.leaves.front() == "Conv2D 3x3/1 SAME 3->4");
  CHECK(s.leaves[5] == "Conv2D 1x1/1 SAME 4->8 nobias");  // the projection shortcut, after the main path
  CHECK(s.leaves[14] == "Identity");                      // the repeat's residual shortcut
  CHECK(s.leaves.back() == "Flatten");
}

TEST_CASE("visit_leaves on a leaf visits the leaf itself") {
  impl_of<Conv2D<7, 3>, float, Dims<5, 5, 2>> conv;
  conv.plan(1);
  Seen s = walk(conv);
  CHECK(s.leaves.size() == 1);
  REQUIRE(s.convs.size() == 1);
  CHECK(s.convs[0].out_c == 7);
}
