#include <doctest/doctest.h>

#include "reference/softmax_cross_entropy_reference.hpp"
#include "support/check.hpp"
#include "tinycnn/kernels/softmax_cross_entropy.hpp"

using namespace tinycnn;

namespace {

std::vector<std::int32_t> random_labels(index_t n, index_t classes, Rng& rng) {
  std::vector<std::int32_t> labels(static_cast<std::size_t>(n));
  for (auto& l : labels) l = static_cast<std::int32_t>(rng.below(std::uint64_t(classes)));
  return labels;
}
}  // namespace

TEST_CASE_TEMPLATE("softmax cross-entropy matches the reference", T, float, double) {
  Rng rng(101);
  for (int trial = 0; trial < 20; ++trial) {
    const std::vector<index_t> widths = test::simd_sizes<T>();
    const index_t n = 1 + index_t(rng.below(40));
    const index_t classes = trial < 10 ? widths[std::size_t(trial) % widths.size()] : 1 + index_t(rng.below(30));
    CAPTURE(n); CAPTURE(classes);
    // Wide logits in some trials: exp of the raw values would overflow in float.
    const double spread = trial % 4 == 0 ? 1000.0 : 5.0;
    auto z = test::random_vector<T>(n * classes, rng, -spread, spread);
    auto labels = random_labels(n, classes, rng);
    std::vector<T> dz(z.size());
    const double loss = kernels::softmax_cross_entropy(z.data(), labels.data(), n, classes, dz.data());
    const double want = reference::softmax_cross_entropy(z.data(), labels.data(), n, classes);
    CHECK(std::isfinite(loss));
    CHECK(std::abs(loss - want) <= 1e-12 * (1 + std::abs(want)));  // double inside for both T
    // Measured worst 9.1e-9 (float), 2.5e-17 (double); softmax 1.8e-8 and 0.
    test::check_close(dz, reference::softmax_cross_entropy_grad(z.data(), labels.data(), n, classes),
                      test::by_type<T>(5e-8, 2e-16), "dlogits");
    CHECK(kernels::softmax_cross_entropy(z.data(), labels.data(), n, classes) == loss);  // no gradient asked

    std::vector<T> p(z.size());
    kernels::softmax_forward(z.data(), p.data(), n, classes);
    test::check_close(p, reference::softmax(z.data(), n, classes), test::by_type<T>(1e-7, 2.3e-16), "softmax");

    std::vector<T> inplace = z;  // dlogits may be logits
    CHECK(kernels::softmax_cross_entropy(inplace.data(), labels.data(), n, classes, inplace.data()) == loss);
    CHECK(inplace == dz);
  }
}

TEST_CASE("softmax cross-entropy gradient matches finite differences") {
  Rng rng(55);
  const index_t n = 4, classes = 6;
  auto z = test::random_vector<double>(n * classes, rng, -3, 3);
  auto labels = random_labels(n, classes, rng);
  auto loss = [&] { return kernels::softmax_cross_entropy(z.data(), labels.data(), n, classes); };
  auto numeric = test::numeric_gradient(loss, z.data(), n * classes);
  std::vector<double> dz(z.size());
  kernels::softmax_cross_entropy(z.data(), labels.data(), n, classes, dz.data());
  test::check_close(dz, numeric, 2e-9, "dlogits");  // measured worst 2.8e-10, both widths
}

TEST_CASE("out-of-range labels are refused with the sample named") {
  std::vector<float> z(3 * 10), dz(z.size(), 42.f);
  for (std::int32_t bad : {-1, 10, 1000}) {
    std::vector<std::int32_t> labels = {0, 9, bad};
    std::string message;
    try {
      kernels::softmax_cross_entropy(z.data(), labels.data(), 3, 10, dz.data());
    } catch (const Error& e) {
      message = e.what();
    }
    CHECK(message.find("label " + std::to_string(bad) + " of sample 2") != std::string::npos);
    CHECK(message.find("[0, 10)") != std::string::npos);
    CHECK_THROWS_AS(kernels::count_correct(z.data(), labels.data(), 3, 10), Error);
  }
  CHECK(std::all_of(dz.begin(), dz.end(), [](float v) { return v == 42.f; }));  // nothing written
}

TEST_CASE_TEMPLATE("count_correct takes the first of tied maxima", T, float, double) {
  const std::vector<T> z = {
      0, 3, 1,  // argmax 1
      2, 2, 1,  // tie: class 0
      1, 5, 5,  // tie: class 1
      -1, -2, -0.5,  // argmax 2
  };
  CHECK(kernels::count_correct(z.data(), std::vector<std::int32_t>{1, 0, 1, 2}.data(), 4, 3) == 4);
  CHECK(kernels::count_correct(z.data(), std::vector<std::int32_t>{1, 1, 2, 0}.data(), 4, 3) == 1);
  CHECK(kernels::count_correct(z.data(), std::vector<std::int32_t>{0, 0, 0, 0}.data(), 0, 3) == 0);
}
