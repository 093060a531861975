#!/bin/sh
# A resumed mnist_deep run is the uninterrupted run, bit for bit: the same losses from the first
# resumed step, the same final checkpoint bytes, whether it stopped at an epoch's end or in the
# middle of one (--max_steps). A resume that would misplace the data (another batch size or
# training set) is refused.
#   tests/cli/mnist_deep_resume.sh MNIST_DEEP
exe=$1
work=$(mktemp -d /tmp/tinycnn-mnist-resume.XXXXXX)
trap 'rm -rf "$work"' EXIT
. "$(dirname "$0")/expect_lines.sh"
# 200 images in batches of 20: 10 steps an epoch; dropout draws at every step.
base="--test_images 50 --num_intra_threads 1 --display_every 1"
small="$base --train_images 200 --batch_size 20"

# The step and loss of every progress line, and every test result: what must match.
losses() { sed -n -e 's/^step *\([0-9]*\)\/[0-9]*.* loss \([^ ]*\) .*/\1 \2/p' -e 's/^\(epoch [0-9]*: test accuracy [^,]*, [^,]*\),.*/\1/p' "$work/$1.out"; }

run_as whole "$exe" $small --epochs 2 --checkpoint "$work/whole.ckpt"
expect whole 0 1 "^saved .*whole.ckpt \(step 20\)$"

# Stopped at the end of epoch 1, then resumed.
run_as first "$exe" $small --epochs 1 --checkpoint "$work/split.ckpt"
expect first 0 1 "^saved .*split.ckpt \(step 10\)$"
run_as rest "$exe" $small --epochs 2 --checkpoint "$work/split.ckpt" --resume
expect rest 0 1 "^resumed from .*split.ckpt at step 10$"
cmp "$work/whole.ckpt" "$work/split.ckpt" || fail "split at an epoch's end: the final checkpoints differ"
losses first > "$work/split.losses"
losses rest >> "$work/split.losses"
losses whole > "$work/whole.losses"
[ "$(grep -c . "$work/whole.losses")" -eq 22 ] || fail "expected 20 step losses and 2 test results, got: $(cat "$work/whole.losses")"
diff "$work/whole.losses" "$work/split.losses" || fail "split at an epoch's end: the losses differ"

# Stopped in the middle of epoch 1 (step 7), then resumed.
run_as head "$exe" $small --epochs 2 --max_steps 7 --checkpoint "$work/mid.ckpt"
expect head 0 1 "^saved .*mid.ckpt \(step 7\)$"
run_as tail "$exe" $small --epochs 2 --checkpoint "$work/mid.ckpt" --resume
expect tail 0 1 "^resumed from .*mid.ckpt at step 7$"
cmp "$work/whole.ckpt" "$work/mid.ckpt" || fail "split inside an epoch: the final checkpoints differ"
losses tail > "$work/mid.losses"
grep -v '^[1-7] ' "$work/whole.losses" > "$work/whole_after7.losses"
diff "$work/whole_after7.losses" "$work/mid.losses" || fail "split inside an epoch: the losses after step 7 differ"

# The step means a place in the data only for the same batch and training set.
cp "$work/mid.ckpt" "$work/keep.ckpt"
run_as other_batch "$exe" $base --train_images 200 --batch_size 25 --epochs 2 --checkpoint "$work/mid.ckpt" --resume
expect other_batch 1 1 "mid.ckpt was saved by a run with a global batch of 20 \(batch x workers\) and 200 training images; this run has 25 and 200: resume with the same --batch_size"
run_as other_data "$exe" $base --train_images 100 --batch_size 20 --epochs 2 --checkpoint "$work/mid.ckpt" --resume
expect other_data 1 1 "global batch of 20 .* and 200 training images; this run has 20 and 100"
cmp "$work/keep.ckpt" "$work/mid.ckpt" || fail "a refused resume changed the checkpoint"

finish "a resumed mnist_deep run equals the uninterrupted one, checkpoint bytes included"
