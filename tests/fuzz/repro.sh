#!/usr/bin/env bash
# Reruns one fuzz input under the sanitizer build, and writes what happened to a capture.
#
#   tests/fuzz/repro.sh TARGET INPUT [OUT.pcap]
#
# TARGET is a fuzz target's name (tcp_stack_fuzz, wire_fuzz, pcap_reader_fuzz, ...), INPUT a crash
# file (or any input). The binary comes from $TAPTCP_FUZZ_BUILD if set, else the first of build-fuzz,
# build-fuzz2, build-afl under the repository that has it (an AFL++ build runs a file the same way).
#   tcp_stack_fuzz    prints the input's ops, then runs it with every known-bug mask off
#                     (TAPTCP_FUZZ_KNOWN_BUGS=1) and the stack's trace on stderr
#                     (TAPTCP_FUZZ_VERBOSE=1); OUT.pcap gets every frame of the run, both
#                     directions (TAPTCP_FUZZ_PCAP), written even when the run aborts.
#   wire_fuzz         OUT.pcap gets the input frame.
#   pcap_reader_fuzz  runs it with the known-bug mask off; OUT.pcap is a copy of the input (it is
#                     a capture).
# Open the capture with `tshark -r OUT.pcap` or Wireshark. Exits with the target's status: 0 when
# the input no longer crashes.
set -uo pipefail

if [[ $# -lt 2 || $# -gt 3 ]]; then
  echo "usage: $0 TARGET INPUT [OUT.pcap]" >&2
  exit 2
fi
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
target=$1
input=$2
out=${3:-}
if [[ ! -f $input ]]; then
  echo "$0: $input is not a file" >&2
  exit 2
fi
bin=
for dir in ${TAPTCP_FUZZ_BUILD:-} "$root/build-fuzz" "$root/build-fuzz2" "$root/build-afl"; do
  if [[ -x $dir/tests/fuzz/$target ]]; then
    bin=$dir/tests/fuzz/$target
    tool=$dir/tests/fuzz/fuzz_corpus_tool
    break
  fi
done
if [[ -z $bin ]]; then
  echo "$0: no $target binary; build one: scripts/test.sh --fuzz (or see tests/fuzz/README.md)" >&2
  exit 2
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

case $target in
  tcp_stack_fuzz)
    if [[ -x $tool ]]; then
      echo "== ops of $input"
      "$tool" describe "$input"
    fi
    echo "== run"
    TAPTCP_FUZZ_KNOWN_BUGS=1 TAPTCP_FUZZ_VERBOSE=1 TAPTCP_FUZZ_PCAP=$out "$bin" "$input"
    rc=$?
    ;;
  wire_fuzz)
    "$bin" "$input"
    rc=$?
    if [[ -n $out ]]; then "$tool" frame2pcap "$input" "$out" || rc=$?; fi
    ;;
  pcap_reader_fuzz)
    TAPTCP_FUZZ_KNOWN_BUGS=1 "$bin" "$input"
    rc=$?
    if [[ -n $out ]]; then cp "$input" "$out"; fi
    ;;
  *)
    "$bin" "$input"
    rc=$?
    if [[ -n $out ]]; then echo "$0: $target has no capture conversion; no $out written" >&2; fi
    ;;
esac
if [[ -n $out && -s $out ]]; then
  echo "== capture: $out (tshark -r $out)"
fi
echo "== $target exited with $rc"
exit $rc
