#!/bin/sh
# tinycnn_checkpoint info on a checkpoint custom_model saved: every field, each section with its
# size; a corrupt, a truncated and a missing file exit 1 with the reason; no command exits 2.
#   tests/cli/checkpoint_tool.sh TINYCNN_CHECKPOINT CUSTOM_MODEL
tool=$1
model=$2
work=$(mktemp -d /tmp/tinycnn-checkpoint-tool.XXXXXX)
trap 'rm -rf "$work"' EXIT
. "$(dirname "$0")/expect_lines.sh"

run_as train env OMP_NUM_THREADS=2 "$model" --steps 3 --batch_size 4 --checkpoint "$work/model.ckpt"
expect train 0 1 "^saved "

run_as info "$tool" info "$work/model.ckpt"
expect info 0 1 "^format: +tinycnn checkpoint, version 2$"
expect info 0 1 "^numbers: +float$"
expect info 0 1 "^step: +3$"
expect info 0 1 "^written by: +a Trainer with optimizer nesterov$"
expect info 0 1 "^signature: +Sequential\(.* \| float \| nesterov$"
expect info 0 1 "^checksum: +[0-9a-f]{16} \(FNV-1a 64\), verified$"
expect info 0 1 "^sections: +4$"
# The parameters, the optimizer's accumulator (one per parameter, so the same count) and the
# batch-norm statistics are float32; the random numbers' state is uint64.
params=$(sed -n 's/^  params  *float32  *\([0-9]*\)  .*/\1/p' "$work/info.out")
[ -n "$params" ] && [ "$params" -gt 1000 ] || fail "no params row with a plausible count: '$params'"
expect info 0 1 "^  optimizer +float32 +$params +"
expect info 0 1 "^  state +float32 +[0-9]+ +"
expect info 0 1 "^  rng +uint64 +[0-9]+ +"
expect info 0 1 "^data: +[0-9.]+ (KiB|MiB) in all$"

# One flipped byte in the middle: the checksum catches it.
cp "$work/model.ckpt" "$work/corrupt.ckpt"
size=$(wc -c < "$work/model.ckpt")
printf '\377' | dd of="$work/corrupt.ckpt" bs=1 seek=$((size / 2)) conv=notrunc 2> /dev/null
run_as corrupt "$tool" info "$work/corrupt.ckpt"
expect corrupt 1 1 "^tinycnn_checkpoint: tinycnn: checkpoint '.*corrupt.ckpt': checksum mismatch: the file is corrupt$"
head -c $((size - 9)) "$work/model.ckpt" > "$work/short.ckpt"
run_as short "$tool" info "$work/short.ckpt"
expect short 1 1 "^tinycnn_checkpoint: tinycnn: checkpoint '.*short.ckpt': file is truncated"
run_as missing "$tool" info "$work/none.ckpt"
expect missing 1 1 "^tinycnn_checkpoint: tinycnn: checkpoint .*none.ckpt.: file not found$"
run_as bare "$tool"
expect bare 2 1 "^tinycnn_checkpoint: A subcommand is required \(see --help\)$"

[ "$failures" -eq 0 ] || exit 1
