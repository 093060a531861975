// One include for users: the whole library except distribution policies that need MPI
// (include those from tinycnn/distributed/ yourself; Local and the policy interface are here).
#pragma once
#include "tinycnn/version.hpp"

#include "tinycnn/core/aligned_buffer.hpp"
#include "tinycnn/core/error.hpp"
#include "tinycnn/core/random.hpp"
#include "tinycnn/core/shape.hpp"
#include "tinycnn/core/tensor.hpp"

#include "tinycnn/kernels/conv.hpp"
#include "tinycnn/kernels/gemm.hpp"

#include "tinycnn/parallel/branches.hpp"
#include "tinycnn/parallel/threads.hpp"

#include "tinycnn/layers/batch_norm.hpp"
#include "tinycnn/layers/conv2d.hpp"
#include "tinycnn/layers/dense.hpp"
#include "tinycnn/layers/dropout.hpp"
#include "tinycnn/layers/flatten.hpp"
#include "tinycnn/layers/gradient_check.hpp"
#include "tinycnn/layers/pooling.hpp"
#include "tinycnn/layers/relu.hpp"

#include "tinycnn/graph/concat.hpp"
#include "tinycnn/graph/gradient_hook.hpp"
#include "tinycnn/graph/profiler.hpp"
#include "tinycnn/graph/network.hpp"
#include "tinycnn/graph/parameter_ranges.hpp"
#include "tinycnn/graph/repeat.hpp"
#include "tinycnn/graph/residual.hpp"
#include "tinycnn/graph/sequential.hpp"
#include "tinycnn/graph/visit.hpp"

#include "tinycnn/optim/all.hpp"

#include "tinycnn/distributed/local.hpp"
#include "tinycnn/distributed/policy.hpp"

#include "tinycnn/train/step_profiler.hpp"
#include "tinycnn/train/trainer.hpp"

#include "tinycnn/io/checkpoint.hpp"
#include "tinycnn/io/idx.hpp"

#include "tinycnn/bench/fma_peak.hpp"
#include "tinycnn/bench/json.hpp"
#include "tinycnn/bench/memory.hpp"
#include "tinycnn/bench/omp_environment.hpp"
#include "tinycnn/bench/report.hpp"
#include "tinycnn/bench/result.hpp"
#include "tinycnn/bench/run.hpp"
#include "tinycnn/bench/statistics.hpp"
#include "tinycnn/bench/synthetic_data.hpp"

#include "tinycnn/models/alexnet.hpp"
#include "tinycnn/models/inception_v3.hpp"
#include "tinycnn/models/mnist_deep.hpp"
#include "tinycnn/models/resnet.hpp"
#include "tinycnn/models/trivial.hpp"
#include "tinycnn/models/vgg16.hpp"
