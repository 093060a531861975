#!/usr/bin/env bash
# Installs the Debian package of a built tree with apt-get, as an admin would, and uses it: the
# installed programs answer --version, and the consumer project (tests/package/consumer) builds
# with find_package, linked with tinycnn::dispatch, and runs against the installed headers on the
# widest kernels this CPU has. Then removes the package. Needs root
# (CI runs it on a fresh machine; the test suite's package/debian_package checks the same package
# unpacked, without installing it).
#   scripts/check-deb-install.sh [BUILD_DIR]      (default build-haswell)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-haswell}
work=$(mktemp -d /tmp/tinycnn-deb-install.XXXXXX)
trap 'rm -rf "$work"' EXIT
(cd "$build" && cpack -G DEB -B "$work" > "$work/cpack.log") || { cat "$work/cpack.log"; exit 1; }
deb=$(ls "$work"/tinycnn_*.deb)
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "$deb" > "$work/apt.log" || { cat "$work/apt.log"; exit 1; }
trap '"${sudo_cmd[@]}" apt-get remove -y -qq tinycnn > /dev/null; rm -rf "$work"' EXIT
for program in cnn_benchmark mnist_deep tinycnn_checkpoint; do
  [ "$(command -v $program)" = "/usr/bin/$program" ] || { echo "$program is not installed in /usr/bin"; exit 1; }
  "$program" --version
done
# The consumer as the README recommends for clusters: one binary, kernels chosen at run time.
cmake -S tests/package/consumer -B "$work/consumer" -DCMAKE_BUILD_TYPE=Release -DCONSUMER_DISPATCH=ON > /dev/null
cmake --build "$work/consumer" > /dev/null
out=$("$work/consumer/consumer")
echo "$out"
expected=AVX-512
for feature in avx512f avx512cd avx512bw avx512dq avx512vl; do
  grep -qw "$feature" /proc/cpuinfo || expected=AVX2+FMA
done
case "$out" in
  *", $expected kernels") ;;
  *) echo "the consumer linked with tinycnn::dispatch must run the $expected kernels on this CPU"; exit 1 ;;
esac
echo "the Debian package installs with apt-get and works: $(basename "$deb")"
