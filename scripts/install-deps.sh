#!/usr/bin/env bash
# Installs the Debian 12 packages tinycnn builds with, when any is missing. Needs root (or sudo).
# Usage: scripts/install-deps.sh [extra packages...]
set -euo pipefail
packages=(g++ cmake make libxsimd-dev doctest-dev libcli11-dev zlib1g-dev dataset-fashion-mnist mpich libmpich-dev procps pkg-config dpkg-dev "$@")
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing: ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
