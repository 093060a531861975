#!/usr/bin/env bash
# The main job: installs what is missing, builds in Release for this machine, and runs a short
# ResNet-50 training benchmark in the TensorFlow benchmark's format (batch 64, 2 warm-up and 10
# timed steps: a couple of minutes on 2 cores). Extra arguments go to cnn_benchmark, e.g.
#   scripts/benchmark.sh --model=inception3 --batch_size=32 --repetitions=5
set -euo pipefail
cd "$(dirname "$0")/.."
"scripts/install-deps.sh"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build build -j "$(nproc)" --target cnn_benchmark
build/examples/cnn_benchmark --model=resnet50 --batch_size=64 --num_batches=10 --num_warmup_batches=2 "$@"
