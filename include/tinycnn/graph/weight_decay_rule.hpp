// Which parameters the L2 weight-decay term covers. TensorFlow's CNN benchmark computes it over
// every trainable variable except batch norm's (filter_l2_loss_vars: the names holding
// "batchnorm"), and that is the default here. A rule names layer kinds, the first word of a
// leaf's describe() ("BatchNorm", "Conv2D", "Dense"), and layer paths (graph/layer_info.hpp: a
// path exempts its layer and everything under it, "6" the whole of root child 6); every
// parameter of an exempt layer takes no decay, and every other one the optimizer's weight_decay.
#pragma once
#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "tinycnn/graph/parameter_ranges.hpp"

namespace tinycnn {

struct WeightDecayRule {
  std::vector<std::string> exempt_kinds{"BatchNorm"};  // TensorFlow's benchmark
  std::vector<std::string> exempt_paths{};

  // Decay on every parameter, batch norm's included (tinycnn's rule before it followed TensorFlow's).
  static WeightDecayRule every_parameter() { return WeightDecayRule{{}, {}}; }

  bool exempts(const LeafRanges& leaf) const {
    const std::string_view layer = leaf.layer, kind = layer.substr(0, layer.find(' '));
    if (std::find(exempt_kinds.begin(), exempt_kinds.end(), kind) != exempt_kinds.end()) return true;
    for (const std::string& p : exempt_paths)
      if (leaf.path == p || (leaf.path.size() > p.size() && leaf.path.compare(0, p.size(), p) == 0 &&
                             leaf.path[p.size()] == '/'))
        return true;
    return false;
  }
};

// The runs of a network's parameters() that the rule exempts from decay, in order, disjoint.
inline std::vector<ParameterRange> decay_exempt_ranges(const std::vector<LeafRanges>& leaves, const WeightDecayRule& rule) {
  std::vector<ParameterRange> exempt;
  for (const LeafRanges& leaf : leaves)
    if (leaf.params.length > 0 && rule.exempts(leaf)) exempt.push_back(leaf.params);
  return exempt;
}

// Calls f(offset, length, decays) for the pieces of r in order: r cut where the (ordered,
// disjoint) exempt ranges begin and end, decays false on the exempt pieces.
template <class F>
void for_each_decay_run(ParameterRange r, const std::vector<ParameterRange>& exempt, F&& f) {
  index_t at = r.offset;
  for (const ParameterRange& e : exempt) {
    if (e.end() <= at) continue;
    if (e.offset >= r.end()) break;
    if (e.offset > at) f(at, e.offset - at, true);
    const index_t stop = std::min(e.end(), r.end());
    f(std::max(at, e.offset), stop - std::max(at, e.offset), false);
    at = stop;
  }
  if (at < r.end()) f(at, r.end() - at, true);
}

}  // namespace tinycnn
