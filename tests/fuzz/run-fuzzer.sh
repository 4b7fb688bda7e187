#!/usr/bin/env bash
# Runs one libFuzzer target for a fixed time; shared by every fuzz target (ctest label "fuzz").
#
#   run-fuzzer.sh BINARY WORKDIR SECONDS [SEED_CORPUS_DIR...]
#
# WORKDIR is the working corpus (created if missing, kept between runs so coverage accumulates);
# the seeds of every SEED_CORPUS_DIR are copied into it first, without overwriting. Crash/leak/
# timeout inputs go to WORKDIR.artifacts/ so they never end up in the corpus. The target's own
# flags come from TAPTCP_FUZZ_TARGET_ARGS (set by its ctest entry, e.g. -malloc_limit_mb=64);
# extra libFuzzer flags can be passed as FUZZER_ARGS (e.g. FUZZER_ARGS="-jobs=2 -workers=2").
# Exits with the fuzzer's status: 0 when the time ran out without a finding. The last lines of
# the log give the exec rate (stat::average_exec_per_sec) and coverage (cov: and ft: of the
# final "DONE" line).
set -euo pipefail

if [[ $# -lt 3 ]]; then
  echo "usage: $0 BINARY WORKDIR SECONDS [SEED_CORPUS_DIR...]" >&2
  exit 2
fi
binary=$1
workdir=${2%/}
seconds=$3
shift 3

if [[ ! -x $binary ]]; then
  echo "$0: $binary is not an executable (configure with -DTAPTCP_FUZZ=ON and build it)" >&2
  exit 2
fi
mkdir -p "$workdir" "$workdir.artifacts"
for seeds in "$@"; do
  if [[ ! -d $seeds ]]; then
    echo "$0: seed corpus $seeds is not a directory" >&2
    exit 2
  fi
  for seed in "$seeds"/*; do
    if [[ -f $seed && ! -e $workdir/${seed##*/} ]]; then
      cp "$seed" "$workdir/"
    fi
  done
done

# shellcheck disable=SC2086  # the ARGS variables are lists of flags
exec "$binary" "$workdir" -max_total_time="$seconds" -print_final_stats=1 \
  -artifact_prefix="$workdir.artifacts/" ${TAPTCP_FUZZ_TARGET_ARGS:-} ${FUZZER_ARGS:-}
