// One include for users: the whole library, floor by floor, bottom first (docs/architecture.md),
// except distribution policies that need MPI (include those from tinycnn/distributed/ yourself;
// Local and the policy interface are here). It stands above the floors, so no header of the
// library includes it.
#pragma once
#include "tinycnn/version.hpp"

#include "tinycnn/core/aligned_buffer.hpp"
#include "tinycnn/core/available_memory.hpp"
#include "tinycnn/core/error.hpp"
#include "tinycnn/core/random.hpp"
#include "tinycnn/core/shape.hpp"
#include "tinycnn/core/tensor.hpp"

#include "tinycnn/simd/simd.hpp"

#include "tinycnn/parallel/branches.hpp"
#include "tinycnn/parallel/cpu_mask.hpp"
#include "tinycnn/parallel/execution.hpp"
#include "tinycnn/parallel/omp_environment.hpp"
#include "tinycnn/parallel/openmp_probe.hpp"
#include "tinycnn/parallel/trace.hpp"
#include "tinycnn/parallel/workspace.hpp"

#include "tinycnn/kernels/conv.hpp"
#include "tinycnn/kernels/conv_reference.hpp"
#include "tinycnn/kernels/gemm.hpp"
#include "tinycnn/kernels/impl_list.hpp"

#include "tinycnn/layers/batch_norm.hpp"
#include "tinycnn/layers/conv2d.hpp"
#include "tinycnn/layers/dense.hpp"
#include "tinycnn/layers/dropout.hpp"
#include "tinycnn/layers/flatten.hpp"
#include "tinycnn/layers/plan_traits.hpp"
#include "tinycnn/layers/pooling.hpp"
#include "tinycnn/layers/relu.hpp"

#include "tinycnn/graph/concat.hpp"
#include "tinycnn/graph/gradient_check.hpp"
#include "tinycnn/graph/gradient_hook.hpp"
#include "tinycnn/graph/memory_estimate.hpp"
#include "tinycnn/graph/memory_plan.hpp"
#include "tinycnn/graph/network.hpp"
#include "tinycnn/graph/parameter_ranges.hpp"
#include "tinycnn/graph/profiler.hpp"
#include "tinycnn/graph/repeat.hpp"
#include "tinycnn/graph/residual.hpp"
#include "tinycnn/graph/sequential.hpp"
#include "tinycnn/graph/visit.hpp"
#include "tinycnn/graph/weight_decay_rule.hpp"

#include "tinycnn/models/alexnet.hpp"
#include "tinycnn/models/inception_v3.hpp"
#include "tinycnn/models/mnist_deep.hpp"
#include "tinycnn/models/resnet.hpp"
#include "tinycnn/models/trivial.hpp"
#include "tinycnn/models/vgg16.hpp"

#include "tinycnn/optim/all.hpp"

#include "tinycnn/io/checkpoint.hpp"
#include "tinycnn/io/dataset.hpp"
#include "tinycnn/io/file.hpp"
#include "tinycnn/io/idx.hpp"
#include "tinycnn/io/mnist.hpp"

#include "tinycnn/distributed/any_policy.hpp"
#include "tinycnn/distributed/buckets.hpp"
#include "tinycnn/distributed/launch.hpp"
#include "tinycnn/distributed/local.hpp"
#include "tinycnn/distributed/policy.hpp"
#include "tinycnn/distributed/shards.hpp"

#include "tinycnn/train/predict.hpp"
#include "tinycnn/train/step_profiler.hpp"
#include "tinycnn/train/trainer.hpp"
#include "tinycnn/train/weights.hpp"

#include "tinycnn/bench/fma_peak.hpp"
#include "tinycnn/bench/json.hpp"
#include "tinycnn/bench/memory.hpp"
#include "tinycnn/bench/provenance.hpp"
#include "tinycnn/bench/report.hpp"
#include "tinycnn/bench/result.hpp"
#include "tinycnn/bench/run.hpp"
#include "tinycnn/bench/statistics.hpp"
#include "tinycnn/bench/synthetic_data.hpp"
#include "tinycnn/bench/timing.hpp"
