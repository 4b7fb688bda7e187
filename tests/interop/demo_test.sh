#!/usr/bin/env bash
# Interop: `taptcp demo` against the Linux kernel on a real TAP device in a namespace the demo
# creates. Checks what the kernel saw (ping replies, taptcp's MAC in its neighbour table), what
# taptcp counted, that nothing is left behind, and (with tshark) that the capture is clean.
# Exit 77 = skipped; the reason is printed as "SKIP: ...".
set -u
taptcp=$1
mode=${2:-demo}
if [ "$(id -u)" != 0 ]; then echo "SKIP: needs root (CAP_NET_ADMIN) to create TAP devices and namespaces"; exit 77; fi
if [ ! -c /dev/net/tun ]; then echo "SKIP: /dev/net/tun is missing (modprobe tun)"; exit 77; fi
if ! command -v ip >/dev/null; then echo "SKIP: iproute2 (ip) is not installed"; exit 77; fi
if ! command -v ping >/dev/null; then echo "SKIP: iputils-ping is not installed"; exit 77; fi
if [ "$mode" = tshark ] && ! command -v tshark >/dev/null; then
  echo "SKIP: tshark is not installed (apt-get install tshark)"; exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; echo "--- demo output:"; cat "$work/out"; exit 1; }

"$taptcp" demo --pings 4 --pcap "$work/demo.pcap" >"$work/out" 2>&1
rc=$?
[ $rc = 0 ] || fail "taptcp demo exited $rc"
grep -q "4 packets transmitted, 4 received" "$work/out" || fail "the kernel's pings were not all answered"
grep -Eq "192\.0\.2\.2 dev tdemo[0-9]+ lladdr 02:54:41:50:00:02" "$work/out" || fail "the kernel has no neighbour entry with taptcp's MAC"
for c in "IcmpInEchos 4" "IcmpOutEchoReps 4" "IpInReceives 4" "TaptcpArpInRequests 1" "TaptcpArpOutReplies 1"; do
  grep -q "   $c\$" "$work/out" || fail "counter '$c' not shown"
done
grep -q "ARP 192.0.2.2 is-at 02:54:41:50:00:02" "$work/out" || fail "capture summary lacks the ARP reply"
[ "$(grep -c 'ICMP echo reply' "$work/out")" = 4 ] || fail "capture summary lacks 4 echo replies"
pid_ns=$(grep -Eo "taptcp-demo-[0-9]+" "$work/out" | head -1)
ip netns list | grep -q "$pid_ns" && fail "namespace $pid_ns left behind"
ip link show | grep -q "tdemo" && fail "a tdemo device was left behind"

if [ "$mode" = tshark ]; then
  # Ask tshark to verify every checksum and print every field; any complaint fails the test.
  tshark -r "$work/demo.pcap" -V -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
    >"$work/tshark" 2>&1 || fail "tshark could not read the capture: $(head -3 "$work/tshark")"
  grep -Eiq "malformed|\[bad|incorrect|checksum.*(error|bad)" "$work/tshark" && \
    fail "tshark reports problems: $(grep -Ei 'malformed|\[bad|incorrect' "$work/tshark" | head -3)"
  # ICMP checksums are always verified; IP ones because we asked: 4 requests + 4 replies each.
  good=$(grep -ic "checksum status: Good" "$work/tshark")
  [ "$good" = 16 ] || fail "expected 16 verified-good checksums (IP + ICMP), tshark shows $good"
  n=$(tshark -r "$work/demo.pcap" 2>/dev/null | wc -l)
  [ "$n" = 10 ] || fail "expected 10 frames (2 ARP + 4 x 2 ICMP), tshark saw $n"
fi
echo "ok: $mode"
