// What a distribution policy is: the class a Trainer calls at the points of each training step,
// so that gradients can be reduced across processes and parameters updated in shards.
//
// A step (Trainer::train_step) is, in this order:
//   1. forward and the loss;
//   2. backward, during which on_gradients_ready(step, range) is called once for each leaf
//      layer's range of the flat gradient buffer, as soon as that leaf's backward is done;
//   3. before_update(step), once backward is over and every range has been reported;
//   4. update(step, updater): the policy decides what the optimizer updates, calling
//      updater.whole() or updater.slice(range) for any ranges it owns;
//   5. after_update(step).
//
// on_gradients_ready follows backward, not the offsets: a chain reports its last layer first,
// a Residual its main path (lower offsets) before its shortcut, and with inter-op threads a
// Concat's branches report concurrently, from their own threads (graph/gradient_hook.hpp). So
// it must be safe to call concurrently for different ranges; ranges never overlap. The other
// points run on the thread that called train_step, after every report has returned.
// Network::parameter_ranges() lists all ranges in advance (a policy can plan its buckets or
// shards from it); gradients share the parameters' offsets, and the optimizer state keeps the
// planar layout of optim/optimizer.hpp, which Updater::slice handles.
#pragma once
#include <cstdint>
#include <span>
#include <type_traits>
#include <vector>

#include "tinycnn/graph/parameter_ranges.hpp"
#include "tinycnn/graph/weight_decay_rule.hpp"
#include "tinycnn/optim/optimizer.hpp"

namespace tinycnn::distributed {

// The step as a policy sees it: the model's flat buffers and the step count.
template <class T>
struct StepView {
  std::span<T> parameters;
  std::span<T> gradients;        // at the parameters' offsets
  std::span<T> optimizer_state;  // planar: slot k of parameter i at [k * parameters.size() + i]
  std::int64_t step = 0;         // updates applied before this step's (0 on the first)
};

// What a policy's update() calls to apply the optimizer at this step's rate, on the network's
// intra-op threads. A slice's update is bit for bit the whole update restricted to the slice,
// optimizer state included, so any partition of the parameters, updated piece by piece, equals
// whole().
// Parameters in `exempt` (graph/weight_decay_rule.hpp) are updated without weight decay.
template <class T, class Opt>
class Updater {
 public:
  Updater(const Opt& optimizer, const StepView<T>& step, double learning_rate, parallel::Execution ex,
          const std::vector<ParameterRange>* exempt = nullptr)
      : opt_(optimizer), no_decay_(optimizer), step_(step), lr_(learning_rate), ex_(ex), exempt_(exempt) {
    no_decay_.weight_decay = 0.0;
  }

  // Every parameter, in one threaded loop (one per run of equal decay).
  void whole() const {
    if (!exempt_ || exempt_->empty() || opt_.weight_decay == 0.0)
      opt_.update(step_.parameters, std::span<const T>(step_.gradients), step_.optimizer_state, step_.step, lr_, ex_);
    else
      slice({0, index_t(step_.parameters.size())});
  }
  // Parameters [r.offset, r.end()) and their optimizer state only.
  void slice(ParameterRange r) const {
    auto run = [&](index_t offset, index_t length, bool decays) {
      optim::update_range(decays ? opt_ : no_decay_, step_.parameters, std::span<const T>(step_.gradients),
                          step_.optimizer_state, offset, length, step_.step, lr_, ex_);
    };
    if (!exempt_ || opt_.weight_decay == 0.0)
      run(r.offset, r.length, true);
    else
      for_each_decay_run(r, *exempt_, run);
  }
  double learning_rate() const { return lr_; }

 private:
  const Opt& opt_;
  std::remove_const_t<Opt> no_decay_;  // opt_ with weight_decay = 0
  StepView<T> step_;
  double lr_;
  parallel::Execution ex_;
  const std::vector<ParameterRange>* exempt_;
};

template <class P, class T, class Opt>
concept PolicyFor = requires(P& p, const StepView<T>& step, ParameterRange range, const Updater<T, Opt>& updater) {
  p.on_gradients_ready(step, range);
  p.before_update(step);
  p.update(step, updater);
  p.after_update(step);
};

}  // namespace tinycnn::distributed
