// MemoryPlan: the bytes a Network holds, by purpose, as Network::memory() reports them and
// the benchmark prints them (docs/architecture.md shows ResNet-50's).
#pragma once
#include <cstddef>

namespace tinycnn {

// What a network holds, in bytes, by purpose.
struct MemoryPlan {
  std::size_t activations = 0;       // layer outputs and the values backward keeps (batch-norm statistics, masks)
  std::size_t parameters = 0;
  std::size_t gradients = 0;
  std::size_t backward_scratch = 0;  // backward's temporary gradients (zero until the first backward)
  std::size_t workspace = 0;         // kernel scratch (parallel/workspace.hpp)
  std::size_t state = 0;             // batch-norm running statistics
  std::size_t total() const { return activations + parameters + gradients + backward_scratch + workspace + state; }
};

}  // namespace tinycnn
