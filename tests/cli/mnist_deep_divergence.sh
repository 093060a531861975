#!/bin/sh
# mnist_deep never trains on, or saves, weights that are no longer numbers: a learning rate of
# NaN is refused at start (exit 2); one so large that the weights overflow stops the run at the
# evaluation that finds it (exit 1), and the checkpoint from before is left as it was.
#   tests/cli/mnist_deep_divergence.sh MNIST_DEEP
exe=$1
work=$(mktemp -d /tmp/tinycnn-mnist-divergence.XXXXXX)
trap 'rm -rf "$work"' EXIT
. "$(dirname "$0")/expect_lines.sh"
small="--train_images 200 --test_images 50 --num_intra_threads 1"

run_as nan_rate "$exe" $small --learning_rate nan
expect nan_rate 2 1 "^mnist_deep: --learning_rate: must be a positive finite number, got 'nan'$"

# A good checkpoint first, then a diverging run that would replace it.
run_as good "$exe" $small --epochs 1 --checkpoint "$work/model.ckpt"
expect good 0 1 "^saved .*model.ckpt \(step 4\)$"
before=$(cksum < "$work/model.ckpt")
run_as diverging "$exe" $small --epochs 1 --learning_rate 1e38 --checkpoint "$work/model.ckpt"
expect diverging 1 1 "^mnist_deep: tinycnn: the (evaluation loss is .* after step 4 \(the weights are no longer finite numbers\)|loss became .* at step [0-9]+): lower the learning rate"
expect diverging 1 0 "^saved "
[ "$(cksum < "$work/model.ckpt")" = "$before" ] || fail "diverging: the checkpoint from before was replaced"
left=$(ls "$work" | grep -v '\.out$' | grep -vx model.ckpt)
[ -z "$left" ] || fail "diverging: files were left beside the checkpoint: $left"

finish "mnist_deep refuses a NaN learning rate and never saves weights that are not finite"
