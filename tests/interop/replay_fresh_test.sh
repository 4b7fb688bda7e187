#!/usr/bin/env bash
# Interop: records a fresh capture of the Linux kernel with pcaps/record-linux.sh (a namespace, TAP
# device and python peer of its own, TEST-NET-1 only) into a scratch directory, replays it into
# taptcp, and checks the recorder left no namespace or device behind.
#   replay_fresh_test.sh TAPTCP RECORDER [SCENARIO]
# Exit 77 = skipped; the reason is printed as "SKIP: ...".
set -u
taptcp=$1
recorder=$2
scenario=${3:-active_open}
if [ "$(id -u)" != 0 ]; then echo "SKIP: needs root (CAP_NET_ADMIN) for a namespace and a TAP device"; exit 77; fi
if [ ! -c /dev/net/tun ]; then echo "SKIP: /dev/net/tun is missing (modprobe tun)"; exit 77; fi
command -v ip >/dev/null || { echo "SKIP: iproute2 (ip) is not installed"; exit 77; }
# The recorder would install Debian's scapy itself; a test does not install packages.
/usr/bin/python3 -c 'import scapy' 2>/dev/null ||
  { echo "SKIP: python3-scapy is not installed (scripts/setup.sh installs it)"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; for f in "$work"/*.log; do [ -f "$f" ] && { echo "--- $f"; tail -40 "$f"; }; done; exit 1; }

"$recorder" --out "$work" "$scenario" >"$work/record.log" 2>&1
rc=$?
if [ $rc = 77 ]; then grep "^SKIP:" "$work/record.log"; exit 77; fi
[ $rc = 0 ] || fail "record-linux.sh exited $rc"
ns=$(grep -Eo "taptcp-rec-[0-9]+" "$work/record.log" | head -1)
[ -n "$ns" ] || fail "the recorder did not name its namespace"
ip netns list | grep -qw "$ns" && fail "namespace $ns left behind"
ip link show | grep -q "trec${ns#taptcp-rec-}" && fail "TAP device left behind"
[ -s "$work/$scenario.pcap" ] && [ -s "$work/$scenario.json" ] || fail "no $scenario.pcap/.json written"

"$taptcp" replay "$work/$scenario.pcap" >"$work/replay.log" 2>&1
rc=$?
cat "$work/replay.log"
[ $rc = 0 ] || fail "taptcp replay of a fresh $scenario capture exited $rc"
echo "ok: $scenario recorded and replayed"
