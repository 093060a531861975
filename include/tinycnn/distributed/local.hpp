// Local: one process trains alone, the Trainer's default policy. Gradients stay where backward
// left them and the whole buffer is updated in one threaded loop: the plain training step.
#pragma once
#include "tinycnn/distributed/policy.hpp"

namespace tinycnn::distributed {

struct Local {
  template <class T>
  void on_gradients_ready(const StepView<T>&, ParameterRange) const {}
  template <class T>
  void before_update(const StepView<T>&) const {}
  template <class T, class U>
  void update(const StepView<T>&, const U& updater) const {
    updater.whole();
  }
  template <class T>
  void after_update(const StepView<T>&) const {}
};

}  // namespace tinycnn::distributed
