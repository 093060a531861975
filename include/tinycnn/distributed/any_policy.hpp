// AnyPolicy: a distribution policy chosen at run time, behind one type.
//
// A Trainer's policy is a template parameter, which is what a library user wants: no virtual
// call in the step, and a policy the compiler checks. A driver that picks the policy from a
// flag would instead instantiate every model once per policy; with AnyPolicy it instantiates
// each model once, and the policies (and MPI) stay in a translation unit of their own.
//
// AnyPolicy does not own its policy: the policy outlives the Trainers that use it (a benchmark
// starts a fresh Trainer for every repetition while the parameter servers keep serving). An
// empty AnyPolicy is Local.
#pragma once
#include <memory>
#include <span>
#include <utility>

#include "tinycnn/distributed/policy.hpp"

namespace tinycnn::distributed {

// Any Updater<T, Opt>, seen without its optimizer type.
template <class T>
class AnyUpdater {
 public:
  template <class Opt>
  explicit AnyUpdater(const Updater<T, Opt>& u)
      : updater_(&u),
        whole_([](const void* p) { static_cast<const Updater<T, Opt>*>(p)->whole(); }),
        slice_([](const void* p, ParameterRange r) { static_cast<const Updater<T, Opt>*>(p)->slice(r); }),
        learning_rate_(u.learning_rate()) {}
  void whole() const { whole_(updater_); }
  void slice(ParameterRange r) const { slice_(updater_, r); }
  double learning_rate() const { return learning_rate_; }

 private:
  const void* updater_;
  void (*whole_)(const void*);
  void (*slice_)(const void*, ParameterRange);
  double learning_rate_;
};

// The points of a step (policy.hpp), and the optional begin and synchronize, as virtual calls.
template <class T>
class PolicyBase {
 public:
  virtual ~PolicyBase() = default;
  virtual void on_gradients_ready(const StepView<T>& step, ParameterRange range) = 0;
  virtual void before_update(const StepView<T>& step) = 0;
  virtual void update(const StepView<T>& step, const AnyUpdater<T>& updater) = 0;
  virtual void after_update(const StepView<T>& step) = 0;
  virtual void begin(StepView<T>&, std::span<T>) {}
  virtual void synchronize(StepView<T>&, std::span<T>) {}
};

// PolicyBase around a concrete policy P (whose update accepts any updater).
template <class T, class P>
class PolicyOf final : public PolicyBase<T> {
 public:
  explicit PolicyOf(P policy) : p_(std::move(policy)) {}
  void on_gradients_ready(const StepView<T>& s, ParameterRange r) override { p_.on_gradients_ready(s, r); }
  void before_update(const StepView<T>& s) override { p_.before_update(s); }
  void update(const StepView<T>& s, const AnyUpdater<T>& u) override { p_.update(s, u); }
  void after_update(const StepView<T>& s) override { p_.after_update(s); }
  void begin(StepView<T>& s, std::span<T> state) override {
    if constexpr (requires { p_.begin(s, state); }) p_.begin(s, state);
  }
  void synchronize(StepView<T>& s, std::span<T> state) override {
    if constexpr (requires { p_.synchronize(s, state); }) p_.synchronize(s, state);
  }
  P& policy() { return p_; }

 private:
  P p_;
};

template <class T>
class AnyPolicy {
 public:
  AnyPolicy() = default;  // Local
  explicit AnyPolicy(PolicyBase<T>* policy) : p_(policy) {}

  void on_gradients_ready(const StepView<T>& s, ParameterRange r) const {
    if (p_) p_->on_gradients_ready(s, r);
  }
  void before_update(const StepView<T>& s) const {
    if (p_) p_->before_update(s);
  }
  template <class Opt>
  void update(const StepView<T>& s, const Updater<T, Opt>& u) const {
    if (p_) p_->update(s, AnyUpdater<T>(u));
    else u.whole();
  }
  void after_update(const StepView<T>& s) const {
    if (p_) p_->after_update(s);
  }
  void begin(StepView<T>& s, std::span<T> state) const {
    if (p_) p_->begin(s, state);
  }
  void synchronize(StepView<T>& s, std::span<T> state) const {
    if (p_) p_->synchronize(s, state);
  }

 private:
  PolicyBase<T>* p_ = nullptr;
};

}  // namespace tinycnn::distributed
