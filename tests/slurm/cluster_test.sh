#!/usr/bin/env bash
# A real Slurm cluster on this machine (scripts/slurm-cluster.sh: a controller and four virtual
# nodes), and the benchmark run on it the ways users run it: srun across the nodes, srun without
# MPI (refused with the fix), and each of examples/slurm/'s batch scripts through sbatch --wait.
# The cluster is shut down whatever the outcome.
#
#   tests/slurm/cluster_test.sh CNN_BENCHMARK SOURCE_DIR
#
# Exit 77 (CTest: skipped) when not root or Slurm is not installed, unless TINYCNN_REQUIRE_SLURM=1
# (CI), where that is a failure.
set -uo pipefail
benchmark=$1
source_dir=$2

skip() {
  if [ "${TINYCNN_REQUIRE_SLURM:-0}" = 1 ]; then
    echo "FAIL: $1, and TINYCNN_REQUIRE_SLURM=1 asks for the Slurm test"
    exit 1
  fi
  echo "SKIPPED: $1"
  exit 77
}
[ "$(id -u)" -eq 0 ] || skip "the Slurm daemons need root"
for tool in slurmctld slurmd srun sbatch munged; do
  command -v "$tool" > /dev/null || skip "$tool is not installed (apt-get install slurmctld slurmd slurm-client munge)"
done

work=$(mktemp -d /tmp/tinycnn-slurm.XXXXXX)
cleanup() {
  "$source_dir/scripts/slurm-cluster.sh" stop "$work/cluster"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

failures=0
fail() { echo "FAIL: $1"; failures=$((failures + 1)); }
expect_in() {  # expect_in FILE EXTENDED_REGEX WHAT
  grep -Eq -- "$2" "$1" || { fail "$3: no line matches /$2/ in:"; sed 's/^/    /' "$1"; }
}

"$source_dir/scripts/slurm-cluster.sh" start "$work/cluster" 4 || { echo "FAIL: the cluster did not start"; exit 1; }
export SLURM_CONF=$work/cluster/slurm.conf
sinfo -N

# Small runs: these check launching and output, not speed.
quick=(--model=mnist_deep --batch_size=8 --num_batches=3 --num_warmup_batches=1 --num_intra_threads=1)
export OMP_WAIT_POLICY=PASSIVE UCX_LOG_LEVEL=error

# 1. One MPI job over four nodes: rank 0 serves, ranks 1-3 work, one on each node. The nodes
#    share this one host (and its cores), and the header says so.
echo "--- srun -N 4 --ntasks-per-node=1 --mpi=pmi2 (parameter server)"
timeout 120 srun -N 4 --ntasks-per-node=1 --mpi=pmi2 "$benchmark" "${quick[@]}" \
  --variable_update=parameter_server --comm_timeout=60 > "$work/srun.out" 2>&1
rc=$?
cat "$work/srun.out"
[ $rc -eq 0 ] || fail "srun -N 4 exited $rc"
[ "$(grep -c '^total images/sec: [0-9.]*$' "$work/srun.out")" -eq 1 ] || fail "srun -N 4: not exactly one total images/sec line"
expect_in "$work/srun.out" '^World: +4 ranks on 1 host: rank 0 server \([^ ]*/n1 pid [0-9]+\); ranks 1-3 workers \([^ ]*/n2 pid [0-9]+, [^ ]*/n3 pid [0-9]+, [^ ]*/n4 pid [0-9]+\)' \
  "srun -N 4: the header names the server and workers on n1..n4"
expect_in "$work/srun.out" '^Variables: +parameter_server \(1 server, 3 workers' "srun -N 4: the header's variables"

# 2. srun without MPI starts lone programs: each stops at once and says what to add.
echo "--- srun --mpi=none -n 2 (refused)"
timeout 60 srun --mpi=none -n 2 "$benchmark" "${quick[@]}" --variable_update=parameter_server > "$work/none.out" 2>&1
rc=$?
cat "$work/none.out"
[ $rc -ne 0 ] || fail "srun --mpi=none -n 2 exited 0"
expect_in "$work/none.out" "Slurm started 2 tasks .*but MPI sees 1 rank in each.*srun --mpi=pmi2" "srun --mpi=none: the message"
grep -q 'images/sec' "$work/none.out" && fail "srun --mpi=none: a lone rank trained"

# 3. The batch scripts users adapt, each as a batch job; their output files are checked.
cd "$work"
submit() {  # submit SCRIPT SBATCH_OPTIONS...: runs it to the end; prints the output file's name
  local script=$1
  shift
  timeout 120 sbatch --wait --parsable "$@" \
    --export=ALL,BENCHMARK="$benchmark",MODEL=mnist_deep,BATCH_SIZE=8,NUM_BATCHES=3 \
    "$source_dir/examples/slurm/$script" > "$work/$script.id" 2> "$work/$script.err"
}
check_job() {  # check_job SCRIPT PREFIX WORLD_REGEX
  local script=$1 prefix=$2 world=$3 rc=$4 id out
  id=$(cut -d';' -f1 < "$work/$script.id")
  out=$work/$prefix-$id.out
  echo "--- sbatch --wait $script (job $id, exit $rc)"
  cat "$work/$script.err"
  [ -f "$out" ] || { fail "$script: no output file $out"; return; }
  cat "$out"
  [ "$rc" -eq 0 ] || fail "$script: sbatch --wait exited $rc"
  expect_in "$out" '^total images/sec: [0-9.]+$' "$script: the benchmark's result"
  expect_in "$out" "$world" "$script: the header's world"
  [ -s "$work/$prefix-$id.json" ] || fail "$script: no JSON result $prefix-$id.json"
}
submit parameter_server.sbatch --nodes=4
check_job parameter_server.sbatch tinycnn-ps '^World: +4 ranks on 1 host: rank 0 server \([^ ]*/n1 pid .*; ranks 1-3 workers' $?
submit all_reduce.sbatch --nodes=2
check_job all_reduce.sbatch tinycnn-allreduce '^World: +2 ranks on 1 host: ranks 0-1 workers \([^ ]*/n1 pid [0-9]+, [^ ]*/n2 pid' $?
submit ranks_per_node.sbatch --nodes=1 --ntasks-per-node=2 --cpus-per-task=1
check_job ranks_per_node.sbatch tinycnn-ranks '^World: +2 ranks on 1 host: ranks 0-1 workers \([^ ]*/n1 pid [0-9]+, [^ ]*/n1 pid' $?

# 4. One process inside a larger allocation (mpiexec -n 1 in a batch script) is not the error
#    of case 2: the job step has one task.
echo "--- sbatch -N 2 --wrap 'mpiexec -n 1 ...' (allowed)"
timeout 120 sbatch --wait --parsable -N 2 --ntasks-per-node=1 -o "$work/single-%j.out" \
  --wrap "mpiexec -n 1 $benchmark ${quick[*]}" > "$work/single.id"
rc=$?
single=$work/single-$(cut -d';' -f1 < "$work/single.id").out
cat "$single"
[ $rc -eq 0 ] || fail "mpiexec -n 1 in a 2-node job exited $rc"
expect_in "$single" '^total images/sec: [0-9.]+$' "mpiexec -n 1 in a 2-node job"

# 5. A worker killed (SIGKILL) under srun: Slurm, unlike mpiexec, leaves the other tasks running,
#    so they time out, hold a roll call, and name it; the step ends non-zero, never hangs.
#    (MPICH's mpiexec ends every rank within a tenth of a second instead: faults/ps_killed_worker.)
echo "--- srun -N 3, worker rank 2 killed"
marker=$work/killed-run
timeout 120 srun -N 3 --ntasks-per-node=1 --mpi=pmi2 "$benchmark" --model=mnist_deep --batch_size=8 \
  --num_batches=1000000 --num_warmup_batches=1 --num_intra_threads=1 --variable_update=parameter_server \
  --comm_timeout=3 --train_dir="$marker" > "$work/killed.out" 2> "$work/killed.err" &
step=$!
victim=""
for _ in $(seq 1 600); do
  for p in $(pgrep -f "$marker"); do
    if tr '\0' '\n' < "/proc/$p/environ" 2> /dev/null | grep -qx "PMI_RANK=2" &&
       grep -q "^Step" "$work/killed.out"; then victim=$p; fi
  done
  [ -n "$victim" ] && break
  sleep 0.1
done
if [ -z "$victim" ]; then
  fail "srun -N 3: rank 2 never started training"
  cat "$work/killed.out" "$work/killed.err"
  kill "$step" 2> /dev/null
else
  start=$(date +%s)
  kill -KILL "$victim"
  wait "$step"
  rc=$?
  elapsed=$(($(date +%s) - start))
  echo "rank 2 killed; srun ended after $elapsed s with status $rc"
  cat "$work/killed.err"
  [ $rc -ne 0 ] || fail "srun with a killed worker exited 0"
  [ $elapsed -le 30 ] || fail "srun with a killed worker took $elapsed s to end (timeout 3 s)"
  # A survivor that was moving data from the killed process when it died may be ended by the
  # transport (UCX: "process_vm_readv ... No such process"), so one naming it is required.
  expect_in "$work/killed.err" "rank [01]: .*a roll call did not hear from rank\\(s\\) ([0-9], )*2:" \
    "srun with a killed worker: a surviving rank names rank 2"
fi

if [ $failures -ne 0 ]; then
  echo "$failures check(s) failed; the controller's and nodes' logs:"
  tail -n 20 "$work"/cluster/*.log
  exit 1
fi
echo "all Slurm checks passed"
