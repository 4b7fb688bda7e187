#!/usr/bin/env bash
# Installs what taptcp needs from Debian 12 packages, only what is missing, then configures and
# builds. Sourced by demo.sh and test.sh; usable alone: scripts/setup.sh [BUILD_DIR] [cmake args]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Build and library dependencies, and the tools the tests and the demo call.
packages=(g++ cmake make pkg-config libabsl-dev libpcap-dev libtins-dev libgtest-dev libgmock-dev
          libbenchmark-dev iproute2 iputils-ping tcpdump tshark python3 python3-scapy curl clang
          libclang-rt-14-dev)
# Only for fuzzing (scripts/test.sh --fuzz / --afl): AFL++, whose afl-clang-fast builds the same
# targets for afl-fuzz (tests/fuzz/README.md).
fuzz_packages=(afl++)

# taptcp_install_missing [extra packages...]: the packages above plus the extras, if missing.
taptcp_install_missing() {
  local missing=()
  for p in "${packages[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} = 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    echo "taptcp: missing Debian packages: ${missing[*]}; run as root (or: sudo apt-get install ${missing[*]})" >&2
    exit 1
  fi
  echo "taptcp: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# taptcp_build BUILD_DIR [cmake args...]: configure (once) and build with every core.
taptcp_build() {
  local dir=$1; shift
  cmake -S "$root" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$dir" -j"$(nproc)"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  taptcp_install_missing
  taptcp_build "${1:-$root/build}" "${@:2}"
fi
