#!/bin/sh
# A rank that stops answering in the middle of a distributed run: the job must end with a
# non-zero status within --comm_timeout plus a few seconds, never hang, and say what happened: a
# stopped rank (SIGSTOP) is named by every other rank, after a roll call it does not answer; a
# killed rank (SIGKILL) makes MPICH's launcher end the job at once.
#
#   lost_rank.sh MPIEXEC CNN_BENCHMARK POLICY RANKS SIGNAL VICTIM [MPIEXEC_FLAGS...]
#
# POLICY: parameter_server or distributed_all_reduce; SIGNAL: STOP (the rank hangs) or KILL (it
# dies); VICTIM: the rank that gets it, once the first worker has finished its warm-up.
set -u
mpiexec=$1 exe=$2 policy=$3 ranks=$4 signal=$5 victim=$6
shift 6
timeout=3
dir=$(mktemp -d)
trap 'pkill -CONT -f "$dir/marker" 2>/dev/null; pkill -KILL -f "$dir/marker" 2>/dev/null; rm -rf "$dir"' EXIT

# The marker in the arguments (an unused --train_dir) finds this run's processes and no other's.
"$mpiexec" "$@" -n "$ranks" "$exe" --model=mnist_deep --batch_size=4 --num_batches=1000000 --num_warmup_batches=1 \
    --variable_update="$policy" --num_intra_threads=1 --comm_timeout=$timeout --train_dir="$dir/marker" \
    > "$dir/out" 2> "$dir/err" &
launcher=$!

# Wait for the first worker's step heading, then find the victim by its rank.
for _ in $(seq 1 600); do
  grep -q "^Step" "$dir/out" 2>/dev/null && break
  sleep 0.1
done
grep -q "^Step" "$dir/out" || { echo "the run never started:"; cat "$dir/out" "$dir/err"; exit 1; }
pid=""
for p in $(pgrep -f "$dir/marker"); do
  if tr '\0' '\n' < /proc/$p/environ 2>/dev/null | grep -qx "PMI_RANK=$victim"; then pid=$p; fi
done
[ -n "$pid" ] || { echo "no process of rank $victim"; exit 1; }
start=$(date +%s)
kill -"$signal" "$pid"

# The job must end by itself within the timeout and a margin.
limit=$((timeout + 15))
while kill -0 $launcher 2>/dev/null; do
  if [ $(( $(date +%s) - start )) -gt $limit ]; then
    echo "still running $limit s after rank $victim got SIG$signal: a hang"
    cat "$dir/err"
    exit 1
  fi
  sleep 0.2
done
wait $launcher
rc=$?
elapsed=$(( $(date +%s) - start ))
echo "rank $victim got SIG$signal; the job ended after ${elapsed} s with status $rc; stderr:"
cat "$dir/err"; echo "stdout (last lines):"; tail -n 20 "$dir/out"
[ $rc -ne 0 ] || { echo "FAIL: the job ended with status 0"; exit 1; }
if [ "$signal" = KILL ]; then
  # MPICH's launcher ends the job as soon as a process dies and prints the process id of one
  # process it ended; that is not always the killed one, so only the prompt end is checked.
  grep -q "BAD TERMINATION" "$dir/out" || { echo "FAIL: the launcher did not report the lost process"; exit 1; }
else
  # Every other rank names the victim: the ranks wait for it directly or through another, time
  # out, and hold a roll call that it does not answer. A live rank that timed out later than the
  # roll call's window (a loaded machine) may be named beside it, as the message warns.
  for r in $(seq 0 $((ranks - 1))); do
    [ "$r" = "$victim" ] && continue
    grep -q "rank $r: .*no answer within $timeout s from .*; a roll call did not hear from rank(s) \([0-9]*, \)*$victim\(, [0-9]*\)*:" "$dir/err" ||
      { echo "FAIL: rank $r does not name rank $victim"; exit 1; }
  done
fi
echo "ok"
