#!/usr/bin/env bash
# Prints one line per fuzz target from a ctest log (Testing/Temporary/LastTest.log): its exec rate
# and the coverage it reached. libFuzzer: execs/s from stat::average_exec_per_sec, cov (edges) and
# ft (features) and the corpus from the final DONE line. AFL++: execs_per_sec, edges_found of
# total_edges (bitmap_cvg) and corpus_count from fuzzer_stats (run-afl.sh prints them).
#
#   tests/fuzz/summary.sh [LOG]      (default: build-fuzz/Testing/Temporary/LastTest.log)
set -euo pipefail
log=${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build-fuzz/Testing/Temporary/LastTest.log}
[[ -f $log ]] || { echo "$0: no log $log" >&2; exit 2; }
awk '
  /^[0-9]+\/[0-9]+ Test: / { name = $3; next }
  /stat::average_exec_per_sec:/ { rate[name] = $2 }
  /stat::number_of_executed_units:/ { runs[name] = $2 }
  /DONE +cov: / {
    for (i = 1; i <= NF; ++i) {
      if ($i == "cov:") cov[name] = $(i + 1)
      if ($i == "ft:") ft[name] = $(i + 1)
      if ($i == "corp:") corp[name] = $(i + 1)
    }
  }
  /^execs_per_sec/ { rate[name] = $3 }
  /^execs_done/ { runs[name] = $3 }
  /^edges_found/ { cov[name] = $3 }
  /^bitmap_cvg/ { ft[name] = "bitmap " $3 }
  /^corpus_count/ { corp[name] = $3 }
  END {
    printf "%-22s %10s %10s %8s %16s %14s\n", "fuzz target", "execs", "execs/s", "cov", "ft", "corpus"
    for (n in rate) printf "%-22s %10s %10s %8s %16s %14s\n", n, runs[n], rate[n], cov[n], ft[n], corp[n]
  }' "$log"
