// Where each leaf layer's parameters, gradients and state lie in a Network's flat buffers.
//
// Containers bind their children back to back, in the order visit_leaves walks them (a
// Sequential's or Repeat's children in order, a Residual's main path then its shortcut, a
// Concat's branches in order), each leaf taking param_storage and state_storage elements. So
// walking the leaves and adding up those sizes gives each leaf's offsets without asking it.
// A range covers the values a leaf uses (num_params, num_state); the padding that keeps the
// next slice on a cache line lies between ranges and belongs to none.
//
// GradientRangeHook, below, is that map in the form of a GradientHook: it tells a callback the
// range of each leaf whose gradients are ready.
#pragma once
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "tinycnn/core/shape.hpp"
#include "tinycnn/graph/gradient_hook.hpp"
#include "tinycnn/graph/visit.hpp"

namespace tinycnn {

// [offset, offset + length) of a flat buffer.
struct ParameterRange {
  index_t offset = 0;
  index_t length = 0;
  index_t end() const { return offset + length; }
  friend bool operator==(const ParameterRange&, const ParameterRange&) = default;
};

// One leaf's part of the flat buffers. Gradients lie at the parameters' offsets.
struct LeafRanges {
  std::string layer;      // the leaf's describe()
  ParameterRange params;  // in parameters() and gradients(): its num_params values
  ParameterRange state;   // in state(): its num_state values (batch-norm statistics)
  std::string path;       // where it is in the model (graph/layer_info.hpp)
};

namespace detail {

// A leaf that owns parameters or state: where it is, its name and its ranges.
struct LeafPlace {
  const void* leaf = nullptr;
  std::string (*describe)() = nullptr;
  ParameterRange params, state;
};

// Every leaf under root that owns parameters or state, in forward order, with offsets counted
// from the start of root's slices. One walk per model type, whatever asks for it.
template <class Root>
std::vector<LeafPlace> leaf_places(Root& root) {
  std::vector<LeafPlace> places;
  index_t params = 0, state = 0;
  visit_leaves(root, [&](auto& leaf) {
    using L = std::remove_reference_t<decltype(leaf)>;
    if constexpr (L::num_params > 0 || L::num_state > 0)
      places.push_back({&leaf, &L::describe, {params, L::num_params}, {state, L::num_state}});
    params += L::param_storage;
    state += L::state_storage;
  });
  return places;
}

// The gradient range of each leaf with parameters, by the leaf's address.
inline std::unordered_map<const void*, ParameterRange> gradient_ranges_by_leaf(const std::vector<LeafPlace>& places) {
  std::unordered_map<const void*, ParameterRange> by_leaf;
  for (const LeafPlace& p : places)
    if (p.params.length > 0) by_leaf.emplace(p.leaf, p.params);
  return by_leaf;
}

}  // namespace detail

// The hook Network::gradient_hook builds: it knows each leaf's range of the gradient buffer and
// calls f(ParameterRange) with it. Looking a leaf up only reads the map, so concurrent calls
// are as safe as f is. It holds the leaves' addresses: build it again if the network moves.
template <class F>
class GradientRangeHook final : public GradientHook {
 public:
  GradientRangeHook(std::unordered_map<const void*, ParameterRange> ranges, F f)
      : ranges_(std::move(ranges)), f_(std::move(f)) {}

  void leaf_gradients_ready(const void* leaf) override {
    if (auto it = ranges_.find(leaf); it != ranges_.end()) f_(it->second);
  }
  F& callback() { return f_; }
  const F& callback() const { return f_; }

 private:
  std::unordered_map<const void*, ParameterRange> ranges_;  // by the leaves' addresses
  F f_;
};

}  // namespace tinycnn
