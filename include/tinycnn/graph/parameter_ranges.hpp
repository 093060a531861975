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
};

namespace detail {

// Calls f(leaf, ranges) for every leaf under root that owns parameters or state, in forward
// order, with offsets counted from the start of root's slices.
template <class Root, class F>
void for_each_leaf_range(Root& root, F&& f) {
  index_t params = 0, state = 0;
  visit_leaves(root, [&](auto& leaf) {
    using L = std::remove_reference_t<decltype(leaf)>;
    if constexpr (L::num_params > 0 || L::num_state > 0)
      f(leaf, LeafRanges{L::describe(), {params, L::num_params}, {state, L::num_state}});
    params += L::param_storage;
    state += L::state_storage;
  });
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
