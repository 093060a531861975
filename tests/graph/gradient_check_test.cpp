// check_gradients is a public API users trust with their own layers: it must fail on a wrong
// backward, on a NaN or Inf anywhere in the gradients, and on a wrong evaluation-mode backward.
#include <doctest/doctest.h>

#include <limits>

#include "tinycnn/all.hpp"

using namespace tinycnn;

namespace {

// ReLU whose backward is right except where Bad says: the layers below break it on purpose.
template <class Bad>
struct BrokenReLU {
  template <class T, class In>
  struct impl : ReLU::impl<T, In> {
    void backward(const T* x, const T* dy, T* dx, Context& ctx) {
      ReLU::impl<T, In>::backward(x, dy, dx, ctx);
      if (dx) Bad::apply(dx, this->size_);
    }
  };
};

struct NaNAtHalf {  // every other input gradient NaN
  template <class T>
  static void apply(T* dx, index_t n) {
    for (index_t i = 0; i < n; i += 2) dx[i] = std::numeric_limits<T>::quiet_NaN();
  }
};
struct InfAtLast {  // one Inf, at the very end
  template <class T>
  static void apply(T* dx, index_t n) { dx[n - 1] = std::numeric_limits<T>::infinity(); }
};
struct Halved {  // finite but wrong
  template <class T>
  static void apply(T* dx, index_t n) {
    for (index_t i = 0; i < n; ++i) dx[i] *= T(0.5);
  }
};

}  // namespace

TEST_CASE("check_gradients passes a correct layer") {
  GradientCheck r = check_gradients<ReLU>(Input<3, 4, 5>{}, 2);
  INFO(r.worst);
  CHECK(r.passed(1e-7));
  CHECK(r.non_finite == 0);
}

TEST_CASE("check_gradients fails on NaN gradients, however many finite ones follow") {
  GradientCheck r = check_gradients<BrokenReLU<NaNAtHalf>>(Input<3, 4, 5>{}, 2);
  CHECK_FALSE(r.passed(1e300));
  CHECK(r.non_finite >= 60);
  CHECK(r.worst.find("input[0]") == 0);
  CHECK(r.worst.find("not finite") != std::string::npos);
}

TEST_CASE("check_gradients fails on a single Inf, also where it samples") {
  // 2 x 20 x 20 x 3 = 2400 inputs with 300 checks: the last one is not among the samples.
  GradientCheck r = check_gradients<BrokenReLU<InfAtLast>>(Input<20, 20, 3>{}, 2);
  CHECK(r.inputs_checked < 2400);
  CHECK_FALSE(r.passed(1e300));
  CHECK(r.non_finite == 1);
  CHECK(r.worst.find("input[2399]") == 0);
}

TEST_CASE("check_gradients fails on a finite but wrong gradient") {
  GradientCheck r = check_gradients<BrokenReLU<Halved>>(Input<3, 4, 5>{}, 2);
  CHECK(r.non_finite == 0);
  CHECK(r.input_error > 0.1);
  CHECK_FALSE(r.passed(1e-7));
}

namespace {

// y = x * s per channel, s a saved (non-trained) state that starts at 1, as a running variance
// does. With the state left at 1 a backward that forgets s is right by accident; the check must
// move the state to see it.
template <bool forget_state>
struct ScaleByState {
  template <class T, class In>
  struct impl : LayerBase<T, In, In> {
    static constexpr index_t C = In::channels;
    static constexpr index_t num_state = C;
    static constexpr index_t state_storage = storage_for<T>(C);
    static std::string describe() { return "ScaleByState"; }
    void plan(index_t batch) {
      out_.reshape(shape_of<In>(batch));
      n_ = batch * In::size;
    }
    void bind(Slices<T> s) { state_ = s.state; }
    void init(Rng&) { std::fill(state_, state_ + C, T(1)); }
    const T* forward(const T* x, Context&) {
      for (index_t i = 0; i < n_; ++i) out_.data()[i] = x[i] * state_[i % C];
      return out_.data();
    }
    void backward(const T*, const T* dy, T* dx, Context&) {
      if (dx)
        for (index_t i = 0; i < n_; ++i) dx[i] = forget_state ? dy[i] : dy[i] * state_[i % C];
    }
    T* state_ = nullptr;
    index_t n_ = 0;
    Tensor<T> out_;
  };
};

}  // namespace

TEST_CASE("check_gradients randomises the state, so a backward that ignores it fails") {
  GradientCheck right = check_gradients<ScaleByState<false>>(Input<2, 3, 4>{}, 2, 1, Mode::Eval);
  INFO(right.worst);
  CHECK(right.passed(1e-7));
  GradientCheck wrong = check_gradients<ScaleByState<true>>(Input<2, 3, 4>{}, 2, 1, Mode::Eval);
  CHECK(wrong.non_finite == 0);
  CHECK(wrong.input_error > 1e-3);
  CHECK_FALSE(wrong.passed(1e-7));
}
