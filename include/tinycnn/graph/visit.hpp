// visit_leaves(node, f): calls f(leaf) on every leaf layer under a concrete layer tree, in
// forward order, through the containers' for_each (a Sequential's or Repeat's children in order,
// a Residual's main path then its shortcut, a Concat's branches in order). A leaf passed in is
// visited itself. f is called with each leaf's own type, so it can ask at compile time what the
// leaf offers:
//   auto net = make_model<Net>(Input<28, 28, 1>{}, 1);
//   visit_leaves(net.root(), [&](auto& leaf) {
//     if constexpr (requires { leaf.conv_shape(); }) shapes.push_back(leaf.conv_shape());
//   });
#pragma once
#include <type_traits>

#include "tinycnn/graph/node.hpp"

namespace tinycnn {

template <class Node, class F>
void visit_leaves(Node& node, F&& f) {
  static_assert(!std::is_const_v<Node>,
                "tinycnn: visit_leaves needs a non-const layer tree (containers visit children through a non-const for_each)");
  if constexpr (detail::Container<Node>)
    node.for_each([&f](auto& child) { visit_leaves(child, f); });
  else
    f(node);
}

}  // namespace tinycnn
