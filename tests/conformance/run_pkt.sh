#!/usr/bin/env bash
# Runs one packetdrill-dialect script with `taptcp pkt` for ctest (label conformance).
#   run_pkt.sh TAPTCP SCRIPT.pkt CAPTURE.pcap
# A script marked `// taptcp-deviation: line N: WHY` describes Linux behaviour taptcp lacks: it
# must fail at line N (exit 77, "SKIP: ..." with the reason and the first difference); if it
# passes, or fails elsewhere, the test fails so the marker is kept honest.
set -u
taptcp=$1
script=$2
capture=$3
mkdir -p "$(dirname "$capture")"
out=$("$taptcp" pkt --pcap "$capture" "$script" 2>&1)
rc=$?
marker=$(grep -m1 -E '^// taptcp-deviation: line [0-9]+:' "$script")
if [ -z "$marker" ]; then
  echo "$out"
  exit $rc
fi
line=$(echo "$marker" | sed -E 's|^// taptcp-deviation: line ([0-9]+):.*|\1|')
why=$(echo "$marker" | sed -E 's|^// taptcp-deviation: line [0-9]+: *||')
if [ $rc -eq 0 ]; then
  echo "$out"
  echo "FAIL: $script passes now: taptcp no longer deviates at line $line; remove its taptcp-deviation marker"
  exit 1
fi
first=$(echo "$out" | grep -m1 -E ":[0-9]+: error: ")
if ! echo "$first" | grep -qE "^[^ ]*:$line: error: "; then
  echo "$out"
  echo "FAIL: $script was expected to fail at line $line (taptcp-deviation), not as above"
  exit 1
fi
echo "SKIP: taptcp deviates from Linux at $(basename "$script"):$line: $why -- ${first#*error: }"
exit 77
