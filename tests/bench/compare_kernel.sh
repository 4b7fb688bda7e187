#!/usr/bin/env bash
# taptcp against the Linux kernel, same run: runs tcp_bench with repetitions and prints its ratio
# lines and memory breakdown (medians). The kernel side needs a network namespace of its own:
# tcp_bench creates it when run as root; otherwise this script runs it under `unshare -rn` (an
# unprivileged user namespace, where the binary may then create its network namespace). Nothing
# outside that namespace is touched, and it only ever uses 127.0.0.1.
#
#   tests/bench/compare_kernel.sh [path/to/tcp_bench] [extra benchmark flags...]
set -euo pipefail

bin=${1:-build/tests/bench/tcp_bench}
shift || true
if [[ ! -x $bin ]]; then
  echo "no $bin: configure with -DTAPTCP_BENCH=ON and build the tcp_bench target" >&2
  exit 1
fi

run=("$bin")
if [[ $EUID -ne 0 ]] && unshare -rn true 2>/dev/null; then
  run=(unshare -rn "$bin")  # without root, /proc/slabinfo is unreadable: no memory ratio
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
"${run[@]}" --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
  "$@" >"$log" 2>&1 || { cat "$log"; exit 1; }
grep -E '^(Run on|Load Average|kernel baseline)' "$log" || true
echo
grep -E '_median ' "$log" | sed -e 's/min_time:1.000\///' -e 's/real_time_median/median/' || true
echo
# Everything from the summary on: ratio lines, then the memory breakdown.
sed -n '/^Ratios/,$p' "$log"
echo
echo "command: ${run[*]} --benchmark_repetitions=3 --benchmark_report_aggregates_only=true $*"
