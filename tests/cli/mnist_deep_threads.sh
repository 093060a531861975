#!/bin/sh
# mnist_deep takes the benchmark's thread flags and --max_steps, and shows progress with a total
# and an ETA, and the run's training speed in the benchmark's spelling (what the thread sweep
# reads). Bad values are refused with exit status 2.
#   tests/cli/mnist_deep_threads.sh MNIST_DEEP
exe=$1
work=$(mktemp -d /tmp/tinycnn-mnist-threads.XXXXXX)
trap 'rm -rf "$work"' EXIT
. "$(dirname "$0")/expect_lines.sh"
small="--train_images 400 --test_images 50"
run() {  # run NAME ARGS...
  name=$1
  shift
  run_as "$name" env -u OMP_NUM_THREADS "$exe" "$@"
}

run steps $small --max_steps 7 --display_every 3 --num_intra_threads 1 --num_inter_threads 2
expect steps 0 1 "intra 1 inter 2 threads; 7 steps$"
expect steps 0 3 "^step +[367]/7  epoch 1  images/sec +[0-9.]+  loss [0-9.]+  elapsed [0-9]+:[0-9][0-9]  ETA [0-9]+:[0-9][0-9]$"
expect steps 0 1 "^step +7/7 .* ETA 0:00$"
expect steps 0 1 "^total images/sec: [0-9]+\.[0-9][0-9]$"
expect steps 0 1 "^epoch 1: test accuracy"

run mkl $small --max_steps 2 --num_intra_threads 1 --mkl --kmp_blocktime 0 --kmp_settings 0
expect mkl 0 1 "^OpenMP environment set by --mkl:$"
expect mkl 0 1 "OMP_WAIT_POLICY=passive"
expect mkl 0 1 "^total images/sec:"

run kmp_without_mkl $small --kmp_blocktime 5
expect kmp_without_mkl 2 1 "^mnist_deep: --kmp_blocktime: only takes effect with --mkl"
run too_many_threads $small --num_intra_threads 5000
expect too_many_threads 2 1 "^mnist_deep: --num_intra_threads: must be a whole number from 0 to [0-9]+, got '5000'$"
run negative_steps $small --max_steps -1
expect negative_steps 2 1 "^mnist_deep: --max_steps: must be a whole number from 0 to 1099511627776, got '-1'$"

finish "mnist_deep's thread flags, --max_steps and progress lines work"
