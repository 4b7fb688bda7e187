#!/usr/bin/env bash
# The README's test command: set up (packages, build) and run every test: unit, scenario,
# interop (with the kernel, over TAP; skipped with a printed reason without root or /dev/net/tun).
#   scripts/test.sh              the normal build, in build/
#   scripts/test.sh --sanitize   everything under ASan + UBSan, in build-asan/
#   scripts/test.sh --fuzz       the libFuzzer targets (clang), each for FUZZ_SECONDS (default 60),
#                                then their exec rates and coverage (tests/fuzz/summary.sh)
#   scripts/test.sh --afl        the same targets built with AFL++ (afl-clang-fast), in build-afl/,
#                                each run by afl-fuzz for FUZZ_SECONDS
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$root/scripts/setup.sh"
set +e

mode=${1:-normal}
extra=()
case "$mode" in
  normal) dir=$root/build; args=(); labels=() ;;
  --sanitize) dir=$root/build-asan; args=(-DTAPTCP_SANITIZE=ON -DTAPTCP_BENCH=OFF); labels=(-LE fuzz) ;;
  --fuzz) dir=$root/build-fuzz; extra=("${fuzz_packages[@]}")
          args=(-DTAPTCP_FUZZ=ON -DTAPTCP_BENCH=OFF -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
                -DTAPTCP_FUZZ_SECONDS="${FUZZ_SECONDS:-60}")
          labels=(-L fuzz) ;;
  --afl) dir=$root/build-afl; extra=("${fuzz_packages[@]}")
         args=(-DTAPTCP_FUZZ=ON -DTAPTCP_FUZZ_ENGINE=afl -DTAPTCP_BENCH=OFF
               -DCMAKE_C_COMPILER=afl-clang-fast -DCMAKE_CXX_COMPILER=afl-clang-fast++
               -DTAPTCP_FUZZ_SECONDS="${FUZZ_SECONDS:-60}")
         labels=(-L fuzz) ;;
  *) echo "usage: scripts/test.sh [--sanitize|--fuzz|--afl]" >&2; exit 2 ;;
esac
taptcp_install_missing "${extra[@]}"
if ! taptcp_build "$dir" "${args[@]}" >"$dir.build.log" 2>&1; then
  tail -40 "$dir.build.log"; echo "taptcp: build failed (full log: $dir.build.log)" >&2; exit 1
fi
cd "$dir"
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ASAN_OPTIONS=detect_leaks=1
ctest --output-on-failure -j"$(nproc)" "${labels[@]}" --timeout 600
rc=$?
if [[ $mode == --fuzz || $mode == --afl ]]; then
  bash "$root/tests/fuzz/summary.sh" Testing/Temporary/LastTest.log
fi
# ctest hides a skipped test's output: print why each one skipped (DESIGN.md: never silently).
log=Testing/Temporary/LastTest.log
if [ -f "$log" ]; then
  grep -hE "^SKIP: |Skipped$" -A1 "$log" | grep -vE "^--$|Skipped$" | sed 's/^/skipped: /' | sort | uniq -c
fi
exit $rc
