#!/usr/bin/env bash
# The main job: installs what is missing, builds in Release, and runs a short benchmark —
# the GEMM against this machine's FMA peak, then two epochs of the TensorFlow tutorial's
# mnist_deep CNN on Fashion-MNIST (training images/sec and test accuracy).
set -euo pipefail
cd "$(dirname "$0")/.."
"scripts/install-deps.sh"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build build -j "$(nproc)" --target gemm_benchmark mnist_deep
build/benchmarks/gemm_benchmark --quick
build/examples/mnist_deep --epochs 2 "$@"
