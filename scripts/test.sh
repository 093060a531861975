#!/usr/bin/env bash
# Installs what is missing, builds everything, runs the whole test suite.
#   scripts/test.sh              Release build in build/
#   scripts/test.sh --sanitize   AddressSanitizer + UndefinedBehaviorSanitizer build in build-sanitize/,
#                                for the AVX2 kernels (the Release build takes the machine's widest,
#                                AVX-512 where it exists), so CI covers both vector widths
set -euo pipefail
cd "$(dirname "$0")/.."
"scripts/install-deps.sh"
jobs=$(nproc)
if [ "${1:-}" = "--sanitize" ]; then
  dir=build-sanitize
  flags="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS="$flags" -DTINYCNN_ARCH=haswell \
        -DTINYCNN_BUILD_EXAMPLES=OFF -DTINYCNN_BUILD_BENCHMARKS=OFF > /dev/null
  # libgomp's thread pool is never freed before exit; that is not our leak.
  export ASAN_OPTIONS=detect_leaks=0
  export UBSAN_OPTIONS=print_stacktrace=1
else
  dir=build
  cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release > /dev/null
fi
cmake --build "$dir" -j "$jobs"
ctest --test-dir "$dir" --output-on-failure -j "$jobs"
