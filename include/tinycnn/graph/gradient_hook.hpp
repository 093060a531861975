// GradientHook: told, during backward, as soon as a leaf layer's parameter gradients are final.
// Put a pointer to one in the Context (ctx.gradients_ready) and the graph calls it after each
// leaf with parameters has finished its backward (graph/node.hpp); without one the cost is a
// null check per such leaf. Distributed training starts reducing a layer's gradients there while
// backward goes on through the layers below it. Network::gradient_hook builds one that turns
// leaves into their ranges of the gradient buffer (graph/parameter_ranges.hpp).
//
// Order: a leaf's gradients are final when its own backward has run, so leaves report in
// backward order, which is not the order of their offsets: a chain reports its last leaf first,
// and a Residual its main path (the lower offsets) before its shortcut. With inter-op threads
// (parallel/branches.hpp) a Concat's branches run at once and report from their own threads,
// interleaved in any order: an implementation must be safe to call concurrently. Each leaf with
// parameters reports exactly once per backward, after its layer's time has been taken by a
// LayerProfiler, so the hook's own work is not counted as the layer's.
#pragma once

namespace tinycnn {

class GradientHook {
 public:
  // leaf: the address of the leaf layer whose backward has just returned.
  virtual void leaf_gradients_ready(const void* leaf) = 0;

 protected:
  ~GradientHook() = default;
};

}  // namespace tinycnn
