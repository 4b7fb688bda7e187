#!/usr/bin/env bash
# The README's main command: set up (packages, build) and run `taptcp demo`.
# Needs root for the TAP device and the network namespace. Extra arguments go to `taptcp demo`.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$root/scripts/setup.sh"
taptcp_install_missing
taptcp_build "$root/build" >/dev/null
exec "$root/build/apps/taptcp" demo "$@"
