#!/bin/sh
# The OpenMP settings cnn_benchmark is given take effect: the re-executed program reports, from
# inside (--output_json's "openmp": omp_get_proc_bind, omp_get_place_num, its CPU mask, and the
# CPU time an idle team thread burns), what the runtime really did with each of them.
#   openmp_settings.sh CNN_BENCHMARK
set -eu
exe=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
ncpus=$(python3 -c 'import os; print(len(os.sched_getaffinity(0)))')

# Runs the benchmark's smallest model with a clean OpenMP environment and the given flags;
# leaves the JSON in $dir/$1.json.
run() {
  name=$1
  shift
  if ! env -u OMP_NUM_THREADS -u OMP_WAIT_POLICY -u OMP_PROC_BIND -u OMP_PLACES -u GOMP_SPINCOUNT \
       -u KMP_BLOCKTIME -u KMP_AFFINITY -u KMP_SETTINGS \
       "$exe" --model=trivial --batch_size=2 --num_batches=1 --num_warmup_batches=0 \
       --output_json="$dir/$name.json" "$@" > "$dir/$name.txt" 2>&1; then
    cat "$dir/$name.txt"
    echo "FAILED: $name ($*)"
    exit 1
  fi
}

# Checks a Python expression over the run's "openmp" object (o) and configuration (c).
expect() {
  name=$1 what=$2
  python3 - "$dir/$name.json" "$what" <<'PY' || { cat "$dir/$name.txt"; exit 1; }
import json, sys
doc = json.load(open(sys.argv[1]))
o, c = doc["openmp"], doc["configuration"]
if not eval(sys.argv[2]):
    sys.exit(f"{sys.argv[1]}: expected {sys.argv[2]}\nopenmp: {json.dumps(o)}")
PY
  echo "ok: $name: $what"
}

run defaults
expect defaults 'o["proc_bind"] == "false" and o["omp_wait_policy"] is None and o["kmp_blocktime_variable"] is None'

if [ "$ncpus" -ge 2 ]; then
  # blocktime 0: an idle thread sleeps at once; compact: threads bound close, one place each.
  run sleep_close --mkl --kmp_blocktime=0 --kmp_settings=0 --kmp_affinity=granularity=fine,compact,1,0 --num_intra_threads=2
  # (LLVM's libomp places by KMP_AFFINITY itself and answers "intel" for the binding.)
  expect sleep_close 'o["proc_bind"] in ("close", "intel") and o["num_places"] >= 2 and min(o["thread_places"]) >= 0'
  expect sleep_close 'len(set(o["thread_places"])) == 2 and o["idle_spin_fraction"] < 0.1'
  # blocktime 200 ms: an idle thread spins through the 40 ms the probe waits; scatter: spread.
  run spin_spread --mkl --kmp_blocktime=200 --kmp_settings=0 --kmp_affinity=granularity=fine,scatter --num_intra_threads=2
  expect spin_spread 'o["proc_bind"] in ("spread", "intel") and min(o["thread_places"]) >= 0 and o["idle_spin_fraction"] > 0.3'
  # --omp_proc_bind binds the inter-op and intra-op levels differently: a team spread, a team
  # inside it close (both runtimes read OMP_PROC_BIND).
  run nested --omp_proc_bind=spread,close --num_intra_threads=2
  expect nested 'o["proc_bind"] == "spread" and o["nested_proc_bind"] == "close" and min(o["thread_places"]) >= 0'
  expect nested 'c["omp_proc_bind"] == "spread,close" and o["omp_places"] == "cores"'
  # --num_cores narrows the CPU mask, and the runtime sizes its teams from it.
  run one_core --num_cores=1
  expect one_core 'o["procs"] == 1 and o["max_threads"] == 1 and "," not in o["cpus_allowed"] and "-" not in o["cpus_allowed"]'
  grep -q "^CPUs: *[0-9]* (--num_cores 1)" "$dir/one_core.txt" || { cat "$dir/one_core.txt"; echo "no CPUs line"; exit 1; }
  # An existing mask (taskset here, Slurm's binding in a job) is honoured and printed.
  last=$(python3 -c 'import os; print(max(os.sched_getaffinity(0)))')
  if ! env -u OMP_NUM_THREADS taskset -c "$last" "$exe" --model=trivial --batch_size=2 --num_batches=1 \
       --num_warmup_batches=0 --output_json="$dir/masked.json" > "$dir/masked.txt" 2>&1; then
    cat "$dir/masked.txt"; exit 1
  fi
  expect masked "o['cpus_allowed'] == '$last' and o['procs'] == 1 and set(o['thread_cpus']) == {$last}"
  grep -q "^CPUs: *$last (this process's CPU mask)" "$dir/masked.txt" || { cat "$dir/masked.txt"; echo "no CPUs line"; exit 1; }
else
  echo "one CPU: the binding and spinning checks need two (skipped, and said so)"
fi

# A binding the runtime does not know, or two flags that both set it, are refused.
for bad in "--omp_proc_bind=sideways" "--omp_proc_bind=false,close" "--omp_proc_bind=close --mkl"; do
  # shellcheck disable=SC2086
  if "$exe" --model=trivial $bad > "$dir/bad.txt" 2>&1 || [ $? -ne 2 ]; then
    echo "$bad: not refused with exit status 2"; cat "$dir/bad.txt"; exit 1
  fi
  grep -q "^cnn_benchmark: --omp_proc_bind" "$dir/bad.txt" || { cat "$dir/bad.txt"; exit 1; }
done

# More cores than the mask holds is refused before any work.
if "$exe" --model=trivial --num_cores=$((ncpus + 1)) > "$dir/refused.txt" 2>&1; then
  echo "--num_cores beyond the mask was accepted"; exit 1
fi
grep -q "cnn_benchmark: --num_cores $((ncpus + 1)) is more than the $ncpus CPUs this process may use" "$dir/refused.txt" \
  || { cat "$dir/refused.txt"; exit 1; }
echo "OpenMP settings took effect"
