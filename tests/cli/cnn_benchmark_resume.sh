#!/bin/sh
# cnn_benchmark continues from the latest checkpoint in --train_dir, as tf_cnn_benchmarks does,
# and the continuation is the uninterrupted run bit for bit: 3 + 3 steps end in the same
# checkpoint bytes, with the same losses, as 6 steps. mnist_deep's dropout draws at every step,
# so a lost random-number state would show.
#   tests/cli/cnn_benchmark_resume.sh CNN_BENCHMARK
exe=$1
work=$(mktemp -d /tmp/tinycnn-cnn-resume.XXXXXX)
trap 'rm -rf "$work"' EXIT
. "$(dirname "$0")/expect_lines.sh"
flags="--model=mnist_deep --batch_size=8 --num_warmup_batches=0 --display_every=1 --num_intra_threads=1"

losses() { sed -n 's/^\([0-9]*\)\timages\/sec: .*\t\([^\t]*\)$/\2/p' "$work/$1.out"; }

run_as whole "$exe" $flags --num_batches=6 --train_dir="$work/whole"
expect whole 0 1 "^saved checkpoint .*/whole/model.ckpt-6$"
expect whole 0 0 "^Restored "

run_as first "$exe" $flags --num_batches=3 --train_dir="$work/split"
expect first 0 1 "^saved checkpoint .*/split/model.ckpt-3$"
run_as second "$exe" $flags --num_batches=3 --train_dir="$work/split"
expect second 0 1 "^Restored .*/split/model.ckpt-3 \(step 3\)$"
expect second 0 1 "^saved checkpoint .*/split/model.ckpt-6$"
cmp "$work/whole/model.ckpt-6" "$work/split/model.ckpt-6" || fail "3 + 3 steps saved another checkpoint than 6 steps"
{ losses first; losses second; } > "$work/split.losses"
losses whole > "$work/whole.losses"
[ "$(grep -c . "$work/whole.losses")" -eq 6 ] || fail "expected 6 losses, got: $(cat "$work/whole.losses")"
diff "$work/whole.losses" "$work/split.losses" || fail "the resumed run's losses differ"

# The latest checkpoint is the one with the largest step, and only a regular file counts.
mkdir "$work/split/model.ckpt-99"
run_as third "$exe" $flags --num_batches=1 --train_dir="$work/split"
expect third 0 1 "^Restored .*/split/model.ckpt-6 \(step 6\)$"
expect third 0 1 "^saved checkpoint .*/split/model.ckpt-7$"

finish "cnn_benchmark continues from --train_dir bit for bit"
