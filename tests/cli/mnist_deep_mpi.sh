#!/bin/sh
# mnist_deep under mpiexec on a few hundred Fashion-MNIST images: every policy trains, the first
# worker alone evaluates and saves, and the checkpoints cross between policies and a single
# process.
#   tests/cli/mnist_deep_mpi.sh MPIEXEC MNIST_DEEP
# Synchronous parameter servers (1 and 2) and allreduce average the same two gradients in the
# same order, so their checkpoints are the same bytes.
mpiexec=$1
exe=$2
work=$(mktemp -d /tmp/tinycnn-mnist-mpi.XXXXXX)
trap 'rm -rf "$work"' EXIT
. "$(dirname "$0")/expect_lines.sh"
small="--train_images 200 --test_images 100 --threads 1 --display_every 5"

run() {  # run NAME RANKS ARGS...: RANKS 0 runs the program alone
  name=$1 ranks=$2
  shift 2
  if [ "$ranks" = 0 ]; then run_as "$name" "$exe" "$@"; else
    run_as "$name" timeout 120 "$mpiexec" -n "$ranks" "$exe" "$@"; fi
}

run ps 3 --variable_update=parameter_server --epochs 1 --batch_size 10 $small --checkpoint "$work/ps.ckpt"
expect ps 0 1 '^epoch 1: test accuracy [0-9.]+ % \(100 images\)'
expect ps 0 1 '^parameter_server: 1 server, 2 workers, synchronous'
expect ps 0 1 "^saved $work/ps.ckpt \(step 10\)$"
run ps2 4 --variable_update=parameter_server --num_ps=2 --epochs 1 --batch_size 10 $small --checkpoint "$work/ps2.ckpt"
expect ps2 0 1 '^epoch 1: test accuracy'
run ar 2 --variable_update=distributed_all_reduce --epochs 1 --batch_size 10 $small --checkpoint "$work/ar.ckpt"
expect ar 0 1 '^epoch 1: test accuracy'
expect ar 0 1 '^distributed_all_reduce: 2 ranks'
cmp "$work/ps.ckpt" "$work/ps2.ckpt" || fail "1 and 2 servers saved different checkpoints"
cmp "$work/ps.ckpt" "$work/ar.ckpt" || fail "parameter servers and allreduce saved different checkpoints"

# A distributed checkpoint resumes in one process with the global batch, and a single process's
# checkpoint resumes distributed.
run resume_alone 0 --epochs 2 --batch_size 20 $small --checkpoint "$work/ar.ckpt" --resume
expect resume_alone 0 1 "^resumed from $work/ar.ckpt at step 10$"
expect resume_alone 0 1 '^epoch 2: test accuracy'
expect resume_alone 0 0 '^epoch 1: '
run alone 0 --epochs 1 --batch_size 20 $small --checkpoint "$work/alone.ckpt"
expect alone 0 1 '^epoch 1: test accuracy'
run resume_ps 3 --variable_update=parameter_server --epochs 2 --batch_size 10 $small --checkpoint "$work/alone.ckpt" --resume
expect resume_ps 0 1 "^resumed from $work/alone.ckpt at step 10$"
expect resume_ps 0 1 "^saved $work/alone.ckpt \(step 20\)$"

# Asynchronous servers: every worker's step is an update. The first worker saves what the
# servers hold when it ends its epoch: its own 10 updates and those the other has made so far.
run async 3 --variable_update=parameter_server --cross_replica_sync=false --epochs 1 --batch_size 10 $small --checkpoint "$work/async.ckpt"
expect async 0 1 '^parameter_server: 1 server, 2 workers, asynchronous'
expect async 0 1 '^epoch 1: test accuracy'
expect async 0 1 "^saved $work/async.ckpt \\(step (1[0-9]|20)\\)$"

# Launches that cannot work: exit 2, said once.
run one_rank 1 --variable_update=parameter_server --epochs 1 $small
expect one_rank 2 1 "^mnist_deep: --variable_update=parameter_server needs several MPI ranks, and this is one"
run all_servers 2 --variable_update=parameter_server --num_ps=2 --epochs 1 $small
expect all_servers 2 1 "^mnist_deep: --num_ps=2 leaves no worker among 2 ranks: use at most --num_ps=1$"
run local_twice 2 --epochs 1 $small
expect local_twice 2 1 "^mnist_deep: 2 processes were started together, and --variable_update=local would make each train alone"
run async_resume 0 --variable_update=parameter_server --cross_replica_sync=false --checkpoint "$work/x.ckpt" --resume
expect async_resume 2 1 "^mnist_deep: --resume: asynchronous servers count every worker's updates"

finish "all mnist_deep MPI checks passed"
