// estimate_memory: the need of a network for any batch, from networks of one image and two,
// against what a real network of that batch holds after a training step; and the refusal of a
// need above what is available, with the need, the limit and its source in the message.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "tinycnn/all.hpp"

using namespace tinycnn;

namespace {

using Small = Sequential<Conv2D<8, 3>, BatchNorm<>, ReLU, MaxPool<2>, Residual<Sequential<Conv2D<8, 3>, ReLU>>,
                         Flatten, Dense<16>, Dropout<Percent<10>>, Dense<4>>;
using Net = decltype(make_model<Small>(Input<12, 12, 3>{}, 1));

// What a network of this batch holds once a training step has made every buffer.
MemoryPlan held_after_a_step(index_t batch) {
  Net net(batch, 2, 1);
  net.init(1);
  std::vector<float> x(std::size_t(batch) * Net::in_dims::size, 0.5f), dy(std::size_t(batch) * Net::classes, 0.1f);
  Rng rng(1);
  Context ctx{Mode::Train, &rng};
  net.forward(x.data(), ctx);
  net.backward(x.data(), dy.data(), ctx);
  return net.memory();
}

void check_near(std::size_t estimate, std::size_t held, const char* what) {
  CAPTURE(what);
  CAPTURE(estimate);
  CAPTURE(held);
  CHECK(double(estimate) >= 0.97 * double(held));
  CHECK(double(estimate) <= 1.03 * double(held) + 4096);
}

}  // namespace

TEST_CASE("estimate_memory: within 3 % of what a network of the batch holds after a step, but its workspace") {
  for (index_t batch : {1, 3, 17, 64}) {
    CAPTURE(batch);
    const MemoryPlan estimate = estimate_memory<Net>(batch, /*training=*/true, 2, 1);
    const MemoryPlan held = held_after_a_step(batch);
    REQUIRE(held.activations > 0);
    REQUIRE(held.backward_scratch > 0);
    check_near(estimate.activations, held.activations, "activations");
    check_near(estimate.backward_scratch, held.backward_scratch, "backward scratch");
    // The kernel workspace grows in steps with the batch (GEMM panels up to their cache-sized
    // limit), not linearly: the two-image size stands for it, short by less than a MiB.
    CHECK(estimate.workspace <= held.workspace);
    CHECK(held.workspace - estimate.workspace < (std::size_t(1) << 20));
    CHECK(estimate.parameters == held.parameters);
    CHECK(estimate.gradients == held.gradients);
    CHECK(estimate.state == held.state);
  }
  // Inference needs no backward arena.
  CHECK(estimate_memory<Net>(8, /*training=*/false).backward_scratch == 0);
}

TEST_CASE("require_memory_fits: a need above the limit is refused with the need, the limit and its source") {
  const MemoryPlan plan{3ull << 30, 1ull << 30, 1ull << 30, 0, 0, 0};  // 5 GiB
  const AvailableMemory four{4ull << 30, "the cgroup memory limit (memory.max 4096 MiB at /job, 0 MiB in use)"};
  CHECK_THROWS_WITH_AS(require_memory_fits(plan, 0, "--batch_size 20000", "lower --batch_size", four),
                       "tinycnn: --batch_size 20000 needs about 5.0 GiB (activations 3.0 GiB, parameters and gradients 2.0 GiB, "
                       "backward's arena 0.0 GiB, kernel workspace 0.0 GiB, data and optimizer state 0.0 GiB), more than "
                       "the 4.0 GiB this process may still take (the cgroup memory limit (memory.max 4096 MiB at /job, "
                       "0 MiB in use)): lower --batch_size",
                       Error);
  CHECK_NOTHROW(require_memory_fits(plan, 0, "x", "y", AvailableMemory{5ull << 30, "enough"}));
  CHECK_THROWS_AS(require_memory_fits(plan, 1, "x", "y", AvailableMemory{5ull << 30, "one byte short"}), Error);
}
