// What a network needs for a batch, known before the network is made, and the check that it fits
// in what the process may still take (core/available_memory.hpp). A batch too large for the
// machine then ends with a message that names the need and the limit, before any allocation,
// instead of std::bad_alloc or the OOM killer.
#pragma once
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>

#include "tinycnn/core/available_memory.hpp"
#include "tinycnn/core/error.hpp"
#include "tinycnn/graph/memory_plan.hpp"
#include "tinycnn/layers/plan_traits.hpp"

namespace tinycnn {

// Net is a Network type. Every buffer of a network is fixed (parameters, gradients, batch-norm
// statistics) or grows linearly with the batch (activations, backward's gradient arena), so a
// network of one image and of two give the need for any batch. The kernel workspace grows in
// steps (GEMM panels, up to their cache-sized limit) and is taken at two images: a little short
// (tests/graph/memory_estimate_test bounds it), beside activations that are most of a large
// batch's need. The estimate makes one such small network and drops it.
template <class Net>
MemoryPlan estimate_memory(index_t batch, bool training, int intra_threads = 0, int inter_threads = 1) {
  using T = typename Net::value_type;
  Net net(1, intra_threads, inter_threads);
  auto need = [&](index_t b) {
    net.set_batch(b);
    MemoryPlan m = net.memory();
    // Both are allocated by the first step, not by planning.
    m.backward_scratch = training ? std::size_t(std::max<index_t>(scratch_size_of<typename Net::root_type>(b), 1)) * sizeof(T) : 0;
    m.workspace = net.planned_workspace_bytes(training);
    return m;
  };
  const MemoryPlan one = need(1), two = need(2);
  auto grow = [&](std::size_t at1, std::size_t at2) {
    return at1 + std::size_t(batch - 1) * (at2 > at1 ? at2 - at1 : 0);
  };
  return {grow(one.activations, two.activations), one.parameters, one.gradients,
          grow(one.backward_scratch, two.backward_scratch), grow(one.workspace, two.workspace), one.state};
}

// Throws when `need` bytes are more than the process may still take, naming what needs them
// (`what`, e.g. "--batch_size=20000"), the need by purpose, the limit and where it comes from.
// `others` are bytes needed besides the network (input data, optimizer state).
inline void require_memory_fits(const MemoryPlan& plan, std::size_t others, const std::string& what,
                                const std::string& advice, const AvailableMemory& available = available_memory()) {
  const std::uint64_t need = std::uint64_t(plan.total()) + others;
  if (need <= available.bytes) return;
  auto gib = [](std::uint64_t bytes) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f GiB", double(bytes) / double(1ull << 30));
    return std::string(text);
  };
  throw Error(what + " needs about " + gib(need) + " (activations " + gib(plan.activations) + ", parameters and gradients " +
              gib(plan.parameters + plan.gradients) + ", backward's arena " + gib(plan.backward_scratch) +
              ", kernel workspace " + gib(plan.workspace) + ", data and optimizer state " + gib(others) +
              "), more than the " + gib(available.bytes) + " this process may still take (" + available.source + "): " +
              advice);
}

}  // namespace tinycnn
