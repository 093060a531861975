#!/usr/bin/env bash
# Fuzzes the readers of users' files with libFuzzer, under AddressSanitizer and
# UndefinedBehaviorSanitizer: builds every tests/fuzz/<name>_fuzz.cpp with clang in build-fuzz/,
# then runs each for SECONDS (default 60) from its seed corpus (tests/fuzz/corpus/<name>/, copied:
# the inputs it finds stay in build-fuzz/fuzz-runs/). Prints each target's executions; exits 1
# if any target found a crash, a leak, a sanitizer report or an exception other than
# tinycnn::Error, naming the input that did it. Such an input goes into
# tests/fuzz/regressions/<name>/, where every test suite replays it from then on.
#   scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
case "$seconds" in ''|*[!0-9]*) echo "scripts/fuzz.sh: SECONDS must be a whole number, got '$seconds'" >&2; exit 2 ;; esac
scripts/install-deps.sh clang-16 libomp-16-dev libclang-rt-16-dev
cmake -S . -B build-fuzz -DCMAKE_CXX_COMPILER=clang++-16 -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTINYCNN_ARCH=haswell \
      -DTINYCNN_FUZZ=ON -DTINYCNN_BUILD_EXAMPLES=OFF -DTINYCNN_BUILD_BENCHMARKS=OFF > /dev/null
names=()
for src in tests/fuzz/*_fuzz.cpp; do
  name=$(basename "$src" _fuzz.cpp)
  names+=("$name")
done
cmake --build build-fuzz -j "$(nproc)" --target "${names[@]/#/fuzz_}"

# Each input is written to a file (the readers take paths): in memory where there is a tmpfs.
if [ -d /dev/shm ] && [ -w /dev/shm ]; then export TMPDIR=/dev/shm; fi
status=0
for name in "${names[@]}"; do
  run=build-fuzz/fuzz-runs/$name
  mkdir -p "$run/corpus"
  cp tests/fuzz/corpus/"$name"/* "$run/corpus/"
  echo "=== fuzz_$name: $seconds s from $(ls "$run/corpus" | wc -l) inputs ==="
  if build-fuzz/tests/fuzz/fuzz_"$name" -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1 \
       -artifact_prefix="$run/" "$run/corpus" > "$run/log" 2>&1; then
    echo "fuzz_$name: $(sed -n 's/^stat::number_of_executed_units: *//p' "$run/log") executions, no finding" \
         "(corpus now $(ls "$run/corpus" | wc -l) inputs)"
  else
    tail -n 40 "$run/log"
    echo "fuzz_$name: FOUND A PROBLEM; the input: $(ls "$run"/crash-* "$run"/leak-* "$run"/timeout-* "$run"/oom-* 2>/dev/null | head -1)"
    echo "  keep it: mkdir -p tests/fuzz/regressions/$name && cp THAT_FILE tests/fuzz/regressions/$name/"
    status=1
  fi
done
exit $status
