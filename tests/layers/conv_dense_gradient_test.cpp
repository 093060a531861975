#include <doctest/doctest.h>

#include "support/check.hpp"
#include "tinycnn/graph/sequential.hpp"
#include "tinycnn/layers/conv2d.hpp"
#include "tinycnn/layers/dense.hpp"
#include "tinycnn/layers/flatten.hpp"
#include "tinycnn/graph/gradient_check.hpp"

using namespace tinycnn;

namespace {

// Each check's tolerance is a small multiple of the worst error measured for it, written beside it.
void check(const GradientCheck& r, double tol, const std::source_location where = std::source_location::current()) {
  INFO(r.worst);
  test::report_margin(std::max(r.input_error, r.param_error), tol, r.worst, where);
  CHECK(r.passed(tol));
  CHECK(r.inputs_checked > 0);
  CHECK(r.params_checked > 0);
}
}  // namespace

TEST_CASE("Conv2D backward agrees with finite differences") {
  check(check_gradients<Conv2D<3, 3>>(Input<5, 6, 2>{}, 2), 1e-9);  // measured worst 1.2e-10
  check(check_gradients<Conv2D<4, 3, Stride<2>, Pad::Valid>>(Input<7, 8, 3>{}, 2), 5e-10);  // measured worst 6.3e-11
  // measured worst 3.2e-11
  check(check_gradients<Conv2D<2, Kernel{1, 3}, Stride<1, 2>, Pad::Explicit<1, 2>, NoBias>>(Input<5, 5, 2>{}, 1), 2e-10);
  check(check_gradients<Conv2D<5, 1>>(Input<3, 3, 4>{}, 3), 1e-9);  // pointwise path; measured worst 1.2e-10
}

TEST_CASE("Dense and Flatten backward agree with finite differences") {
  check(check_gradients<Sequential<Flatten, Dense<7>>>(Input<2, 3, 2>{}, 3), 5e-10);  // measured worst 7.6e-11
  check(check_gradients<Dense<4, NoBias>>(Input<1, 1, 9>{}, 2), 2e-10);  // measured worst 2.9e-11
}

TEST_CASE("layer shapes and parameter counts come from the types") {
  using L = impl_of<Conv2D<32, 5, Stride<2>>, float, Dims<28, 28, 3>>;
  static_assert(std::is_same_v<L::out_dims, Dims<14, 14, 32>>);
  static_assert(L::num_params == 5 * 5 * 3 * 32 + 32);
  using V = impl_of<Conv2D<8, 3, Pad::Valid, NoBias>, float, Dims<10, 9, 2>>;
  static_assert(std::is_same_v<V::out_dims, Dims<8, 7, 8>>);
  static_assert(V::num_params == 3 * 3 * 2 * 8);
  using D = impl_of<Sequential<Flatten, Dense<10>>, float, Dims<7, 7, 64>>;
  static_assert(D::num_params == 7 * 7 * 64 * 10 + 10);
  static_assert(D::param_storage % 16 == 0);
  CHECK(D::describe() == "Sequential(Flatten, Dense 3136->10)");
}
