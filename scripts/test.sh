#!/usr/bin/env bash
# Installs what is missing, builds everything, runs the whole test suite.
#   scripts/test.sh                 the suite twice, once per toolchain and vector width: g++ with
#                                   GNU libgomp for AVX2 (build-haswell/), then clang with LLVM's
#                                   libomp for AVX-512 (build-clang-avx512/, x86-64-v4; without
#                                   the full-size model tests, which the first run has). On a CPU
#                                   without AVX-512 the clang run builds for AVX2 instead
#                                   (build-clang-haswell/), and the output says so.
#   scripts/test.sh --arch A        one g++ build only: A is haswell, avx512 or native (build-A/)
#   scripts/test.sh --clang A       one clang + libomp build only (build-clang-A/)
#   scripts/test.sh --sanitize      AddressSanitizer + UndefinedBehaviorSanitizer, AVX2 kernels,
#                                   in build-sanitize/ (without the full-size model tests)
# The Slurm test (slurm/cluster) starts a cluster of virtual nodes on this machine: it needs root
# and Debian's Slurm packages, and is skipped without them. TINYCNN_REQUIRE_SLURM=1 installs the
# packages and makes a skip a failure (CI does this).
set -euo pipefail
cd "$(dirname "$0")/.."
extra=(clang-16 libomp-16-dev)  # the second toolchain (clang 14, the default, lacks std::source_location)
if [ "${TINYCNN_REQUIRE_SLURM:-0}" = 1 ]; then
  extra+=(slurmctld slurmd slurm-client munge)
fi
"scripts/install-deps.sh" "${extra[@]}"
jobs=$(nproc)

# The CPU features x86-64-v4 (-march=x86-64-v4, tinycnn::avx512) requires.
missing_avx512() {
  local missing=()
  for f in avx512f avx512bw avx512cd avx512dq avx512vl; do
    grep -qw "$f" /proc/cpuinfo || missing+=("$f")
  done
  echo "${missing[*]}"
}

# Tests whose outcome no compiler flag can change: the compile-time diagnostics, the include
# order, the CMake package and launching under Slurm. A second build of the suite (AVX-512,
# sanitizers) leaves them to the first, and says so.
flag_independent='^(compile_fail|floors|package|slurm)/'

run_suite() {  # run_suite gcc|clang ARCH [ctest options]
  local compiler=$1 arch=$2 dir=build-$2 cxx=()
  shift 2
  if [ "$compiler" = clang ]; then
    dir=build-clang-$arch
    # The full-size model tests run the kernels the small tests check for every width: the g++
    # run has them, and leaving them here keeps CI within its time.
    # The guide's programs check the documentation, which no toolchain changes: the g++ run has them.
    cxx=(-DCMAKE_CXX_COMPILER=clang++-16 -DTINYCNN_TEST_FULL_MODELS=OFF -DTINYCNN_TEST_GUIDE=OFF)
  fi
  echo "=== tinycnn test suite: $compiler, TINYCNN_ARCH=$arch ($dir) ==="
  cmake -S . -B "$dir" "${cxx[@]}" -DCMAKE_BUILD_TYPE=Release -DTINYCNN_ARCH="$arch" -DTINYCNN_REQUIRE_MPI=ON > /dev/null
  cmake --build "$dir" -j "$jobs"
  ctest --test-dir "$dir" --output-on-failure -j "$jobs" "$@"
}

case "${1:-}" in
  --sanitize)
    dir=build-sanitize
    # -O1 and line tables only (-g1): the build is most of this run's time, and the reports
    # still name file and line.
    flags="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -O1 -g1 -DNDEBUG"
    echo "=== tinycnn test suite: ASan + UBSan, TINYCNN_ARCH=haswell ($dir) ==="
    cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS="$flags" -DTINYCNN_ARCH=haswell -DTINYCNN_REQUIRE_MPI=ON \
          -DTINYCNN_BUILD_EXAMPLES=OFF -DTINYCNN_BUILD_BENCHMARKS=OFF -DTINYCNN_TEST_FULL_MODELS=OFF > /dev/null
    # libgomp's thread pool is never freed before exit; that is not our leak.
    export ASAN_OPTIONS=detect_leaks=0
    export UBSAN_OPTIONS=print_stacktrace=1
    cmake --build "$dir" -j "$jobs"
    echo "(the compile_fail, floors, package and slurm tests do not depend on the build flags, and the full-size"
    echo " model tests run the kernels the small tests check, for minutes under the sanitizers: scripts/test.sh runs them)"
    ctest --test-dir "$dir" --output-on-failure -j "$jobs" -E "$flag_independent"
    ;;
  --arch|--clang)
    arch=${2:-}
    case "$arch" in
      haswell|native) ;;
      avx512)
        lacking=$(missing_avx512)
        if [ -n "$lacking" ]; then
          echo "scripts/test.sh: $1 avx512 needs a CPU with AVX-512; this one lacks: $lacking" >&2
          exit 2
        fi ;;
      *) echo "scripts/test.sh: $1 takes haswell, avx512 or native, not '$arch'" >&2; exit 2 ;;
    esac
    if [ "$1" = --clang ]; then
      echo "(the compile_fail, floors, package and slurm tests check g++ diagnostics or do not depend on the toolchain: scripts/test.sh --arch runs them)"
      run_suite clang "$arch" -E "$flag_independent"
    else
      run_suite gcc "$arch"
    fi
    ;;
  "")
    run_suite gcc haswell
    lacking=$(missing_avx512)
    arch=avx512
    if [ -n "$lacking" ]; then
      echo "=== TINYCNN_ARCH=avx512 SKIPPED: this CPU lacks $lacking, so the AVX-512 kernels are not tested; the clang run builds for AVX2 ==="
      arch=haswell
    fi
    echo "(the compile_fail, floors, package and slurm tests do not depend on the toolchain, and the full-size model"
    echo " tests run the kernels the small tests check: run once, above)"
    run_suite clang "$arch" -E "$flag_independent"
    ;;
  *)
    echo "usage: scripts/test.sh [--arch haswell|avx512|native | --clang haswell|avx512|native | --sanitize]" >&2
    exit 2
    ;;
esac
