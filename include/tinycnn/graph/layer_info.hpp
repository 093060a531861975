// Every leaf layer of a network by name: its path in the tree, its kind, its output shape, its
// counts, and its parameter tensors with their shapes, layouts and places in the network's flat
// buffers. What a user needs to read, write or compare weights without reconstructing offsets.
//
// A path names the way from the root to the leaf, one part per container: a Sequential's or
// Repeat's child by its index, a Residual's "main" or "shortcut", a Concat's "branch<k>", as the
// model's definition nests them (`cnn_benchmark --summary` prints them all). A leaf at the root
// itself has the empty path.
//
// A leaf with parameters declares its tensors with a static `tensors()` (Conv2D, Dense,
// BatchNorm do); a leaf without one that has parameters shows a single tensor "values" of
// num_params elements.
#pragma once
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "tinycnn/core/shape.hpp"
#include "tinycnn/graph/node.hpp"
#include "tinycnn/graph/parameter_ranges.hpp"
#include "tinycnn/layers/tensor_info.hpp"

namespace tinycnn {

struct LayerInfo {
  std::string path;         // see the top of this file
  std::string kind;         // the first word of description: "Conv2D", "BatchNorm", "ReLU", ...
  std::string description;  // the leaf's describe()
  index_t out_h = 0, out_w = 0, out_c = 0;  // per image
  index_t num_params = 0, num_state = 0;
  double flops = 0;                   // forward, per image (multiply + add = 2)
  std::size_t activation_bytes = 0;   // its output buffer at the network's batch (0 when it shares its input's)
  ParameterRange params, state;       // in the network's parameters() (and gradients()) and state()
  std::vector<TensorInfo> tensors;
};

namespace detail {

inline std::string kind_of(std::string_view description) {
  return std::string(description.substr(0, description.find_first_of(" (")));
}

// The name of a container's child `index` in a path.
inline std::string child_part(std::string_view container_kind, index_t index) {
  if (container_kind == "Residual") return index == 0 ? "main" : "shortcut";
  if (container_kind == "Concat") return "branch" + std::to_string(index);
  return std::to_string(index);
}

template <class Node>
void collect_layers(Node& node, const std::string& path, index_t& params, index_t& state, std::vector<LayerInfo>& out) {
  if constexpr (Container<Node>) {
    const std::string kind = kind_of(Node::describe());
    index_t index = 0;
    node.for_each([&](auto& child) {
      const std::string part = child_part(kind, index++);
      collect_layers(child, path.empty() ? part : path + "/" + part, params, state, out);
    });
  } else {
    LayerInfo l;
    l.path = path;
    l.description = Node::describe();
    l.kind = kind_of(l.description);
    l.out_h = Node::out_dims::height;
    l.out_w = Node::out_dims::width;
    l.out_c = Node::out_dims::channels;
    l.num_params = Node::num_params;
    l.num_state = Node::num_state;
    l.flops = Node::flops;
    if constexpr (requires { node.activation_bytes(); }) l.activation_bytes = node.activation_bytes();
    l.params = {params, Node::num_params};
    l.state = {state, Node::num_state};
    if constexpr (requires { Node::tensors(); })
      l.tensors = Node::tensors();
    else if (Node::num_params > 0)
      l.tensors.push_back({"values", {Node::num_params}, "N", 0, false});
    params += Node::param_storage;
    state += Node::state_storage;
    out.push_back(std::move(l));
  }
}

}  // namespace detail

// One tensor of a network, by layer path and tensor name: its values and (for parameters) its
// gradients, as spans of the network's flat buffers.
template <class T>
struct TensorView {
  TensorInfo info;
  std::span<T> values;
  std::span<T> gradients;  // empty for state (batch-norm statistics)
};

// Every leaf under root in forward order, with offsets counted from the start of root's slices
// (for a Network's root: of parameters() and state()).
template <class Root>
std::vector<LayerInfo> describe_layers(Root& root) {
  std::vector<LayerInfo> layers;
  index_t params = 0, state = 0;
  detail::collect_layers(root, std::string(), params, state, layers);
  return layers;
}

}  // namespace tinycnn
