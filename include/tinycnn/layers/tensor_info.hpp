// How a layer's parameters (and state) divide into named tensors: what a leaf's static
// `tensors()` returns, so that a user can reach "weights" or "gamma" by name instead of by offset
// (graph/layer_info.hpp lists them for a whole network).
#pragma once
#include <string>
#include <vector>

#include "tinycnn/core/shape.hpp"

namespace tinycnn {

// One named tensor of a leaf: dims in its layout's order, row-major, at offset elements from the
// start of the leaf's parameters (or, for statistics, of its state).
struct TensorInfo {
  std::string name;           // "weights", "bias", "beta", "gamma", "moving_mean", "moving_variance"
  std::vector<index_t> dims;  // e.g. {3, 3, 64, 128}
  std::string layout;         // the dims' meaning: "HWIO" (kernel height, width, in, out), "IO", "C"
  index_t offset = 0;
  bool is_state = false;      // in state() (not trained), not in parameters()
  index_t size() const {
    index_t n = 1;
    for (index_t d : dims) n *= d;
    return n;
  }
};

}  // namespace tinycnn
