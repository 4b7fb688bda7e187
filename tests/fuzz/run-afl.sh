#!/usr/bin/env bash
# Runs one fuzz target built for AFL++ (-DTAPTCP_FUZZ_ENGINE=afl) for a fixed time: the AFL++
# twin of run-fuzzer.sh, used by the fuzz ctest entries of such a build.
#
#   run-afl.sh BINARY WORKDIR SECONDS [SEED_CORPUS_DIR...]
#
# The seeds of every SEED_CORPUS_DIR go to WORKDIR/in (one empty-ish input if there are none);
# AFL++ writes WORKDIR/out and resumes from it on the next run (AFL_AUTORESUME). Findings land in
# WORKDIR/out/default/crashes; reproduce one with tests/fuzz/repro.sh. Prints the exec rate and
# coverage (bitmap) from fuzzer_stats; exits 1 if AFL++ saved a crash, else AFL++'s status.
# Extra afl-fuzz flags: AFL_ARGS (e.g. AFL_ARGS="-p explore"). The libFuzzer flags in
# TAPTCP_FUZZ_TARGET_ARGS do not apply.
set -euo pipefail

if [[ $# -lt 3 ]]; then
  echo "usage: $0 BINARY WORKDIR SECONDS [SEED_CORPUS_DIR...]" >&2
  exit 2
fi
binary=$1
workdir=${2%/}
seconds=$3
shift 3
if ! command -v afl-fuzz >/dev/null; then
  echo "$0: afl-fuzz not found (Debian package afl++; scripts/test.sh --afl installs it)" >&2
  exit 2
fi
if [[ ! -x $binary ]]; then
  echo "$0: $binary is not an executable (see tests/fuzz/README.md: AFL++)" >&2
  exit 2
fi
mkdir -p "$workdir/in"
for seeds in "$@"; do
  if [[ ! -d $seeds ]]; then
    echo "$0: seed corpus $seeds is not a directory" >&2
    exit 2
  fi
  for seed in "$seeds"/*; do
    # AFL++ wants small seeds; anything over 1 MB is skipped.
    if [[ -f $seed && $(stat -c %s "$seed") -le 1048576 && ! -e $workdir/in/${seed##*/} ]]; then
      cp "$seed" "$workdir/in/"
    fi
  done
done
if [[ -z $(ls -A "$workdir/in") ]]; then
  head -c 16 /dev/zero >"$workdir/in/zero"
fi

# A CI box is no tuned fuzzing machine: no CPU governor, core_pattern or core binding demands.
export AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1 AFL_NO_UI=1
export AFL_AUTORESUME=1
# ASan and UBSan report to AFL++ by aborting.
export ASAN_OPTIONS=abort_on_error=1:symbolize=0:detect_leaks=0:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:symbolize=0
set +e
# shellcheck disable=SC2086  # AFL_ARGS is a list of flags
afl-fuzz -i "$workdir/in" -o "$workdir/out" -V "$seconds" -m none -t 5000 ${AFL_ARGS:-} \
  -- "$binary" >"$workdir/afl.log" 2>&1
rc=$?
set -e
stats=$workdir/out/default/fuzzer_stats
if [[ -f $stats ]]; then
  grep -E "^(execs_done|execs_per_sec|corpus_count|bitmap_cvg|edges_found|total_edges|saved_crashes|saved_hangs)" "$stats"
else
  tail -20 "$workdir/afl.log"
fi
crashes=$(find "$workdir/out/default/crashes" -type f -name 'id:*' 2>/dev/null | wc -l)
if [[ $crashes -gt 0 ]]; then
  echo "$0: $crashes crash(es) in $workdir/out/default/crashes; reproduce with tests/fuzz/repro.sh" >&2
  exit 1
fi
exit $rc
