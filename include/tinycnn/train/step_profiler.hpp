// StepProfiler: where a Trainer's steps spend their time, per leaf layer and per phase of the
// step. Attach one with Trainer::set_profiler; without one a step reads no clock and the graph
// pays a null check per layer.
#pragma once
#include <chrono>

#include "tinycnn/core/shape.hpp"
#include "tinycnn/graph/profiler.hpp"

namespace tinycnn {

// Seconds summed over the timed training steps, per phase (see Trainer::train_step).
struct PhaseTimes {
  double forward_loss_seconds = 0;  // forward, softmax cross-entropy and the weight-decay term
  double backward_seconds = 0;      // backward, with the policy's on_gradients_ready calls
  double update_seconds = 0;        // the policy's before_update, update and after_update
  index_t steps = 0;
};

class StepProfiler {
 public:
  LayerProfiler layers;  // every leaf's forward and backward, from training steps and evaluation
  PhaseTimes phases;     // training steps only

  void clear() {
    layers.clear();
    phases = {};
  }
};

namespace detail {

// Adds the time since the previous lap to a phase; reads no clock when off.
class PhaseClock {
 public:
  explicit PhaseClock(bool on) : on_(on) {
    if (on_) last_ = std::chrono::steady_clock::now();
  }
  void lap(double& seconds) {
    if (!on_) return;
    const auto now = std::chrono::steady_clock::now();
    seconds += std::chrono::duration<double>(now - last_).count();
    last_ = now;
  }

 private:
  bool on_;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace detail
}  // namespace tinycnn
