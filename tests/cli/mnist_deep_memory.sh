#!/bin/sh
# A batch the machine cannot hold stops mnist_deep before any allocation, with exit 1 and a line
# naming the need and the limit: against the machine's memory (a batch of 2^20 images needs
# hundreds of GiB), and against an address-space limit (ulimit -v, as a job may have) that
# refuses a batch twice as large as one it lets train.
#   tests/cli/mnist_deep_memory.sh MNIST_DEEP
exe=$1
work=$(mktemp -d /tmp/tinycnn-mnist-memory.XXXXXX)
trap 'rm -rf "$work"' EXIT
. "$(dirname "$0")/expect_lines.sh"
small="--test_images 50 --num_intra_threads 1 --epochs 1"

run_as huge "$exe" $small --train_images 100 --batch_size 1048576
expect huge 1 1 "^mnist_deep: tinycnn: --batch_size 1048576 needs about [0-9.]+ GiB \(activations [0-9.]+ GiB, .*\), more than the [0-9.]+ GiB this process may still take \(.*\): lower --batch_size$"

# Under a 1 GiB address-space limit a batch of 4000 images (about 1.2 GiB) is refused, and one of
# 2000 (about 0.6 GiB) trains.
run_as limited sh -c "ulimit -v 1048576 && exec \"$exe\" $small --train_images 4000 --batch_size 4000"
expect limited 1 1 "^mnist_deep: tinycnn: --batch_size 4000 needs about [0-9.]+ GiB .*, more than the [0-9.]+ GiB this process may still take \(the address-space limit \(ulimit -v 1048576 kB, [0-9]+ MiB mapped\)\): lower --batch_size$"
run_as fits sh -c "ulimit -v 1048576 && exec \"$exe\" $small --train_images 2000 --batch_size 2000"
expect fits 0 1 "^epoch 1: test accuracy"

finish "mnist_deep refuses a batch that does not fit, naming the need and the limit"
