#!/usr/bin/env bash
# Interop: `taptcp demo` against the Linux kernel on a real TAP device in a namespace the demo
# creates. Checks what the kernel saw (ping replies, curl's 200, the echo, EOF first on port 9),
# both sides' ss (TIME-WAIT on the side that closed first), what taptcp counted, that nothing is
# left behind, and (with tshark) that the capture is clean.
# Exit 77 = skipped; the reason is printed as "SKIP: ...".
set -u
taptcp=$1
mode=${2:-demo}
if [ "$(id -u)" != 0 ]; then echo "SKIP: needs root (CAP_NET_ADMIN) to create TAP devices and namespaces"; exit 77; fi
if [ ! -c /dev/net/tun ]; then echo "SKIP: /dev/net/tun is missing (modprobe tun)"; exit 77; fi
if ! command -v ip >/dev/null; then echo "SKIP: iproute2 (ip) is not installed"; exit 77; fi
if ! command -v ping >/dev/null; then echo "SKIP: iputils-ping is not installed"; exit 77; fi
if ! command -v curl >/dev/null; then echo "SKIP: curl is not installed (apt-get install curl)"; exit 77; fi
if [ "$mode" = tshark ] && ! command -v tshark >/dev/null; then
  echo "SKIP: tshark is not installed (apt-get install tshark)"; exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; echo "--- demo output:"; cat "$work/out"; exit 1; }

"$taptcp" demo --pings 4 --burst 6 --pcap "$work/demo.pcap" >"$work/out" 2>&1
rc=$?
[ $rc = 0 ] || fail "taptcp demo exited $rc"
grep -q "4 packets transmitted, 4 received" "$work/out" || fail "the kernel's pings were not all answered"
grep -q "HTTP/1.1 200 OK" "$work/out" || fail "curl did not get 200 OK from taptcp"
grep -q "got back 'hello, taptcp'" "$work/out" || fail "the echo did not come back"
grep -q "6 connections to port 9, 6 closed by taptcp first" "$work/out" || fail "the burst did not see taptcp close first"
# Side by side: TIME-WAIT on the kernel for what it closed first (port 7), on taptcp for port 9.
grep -Eq "^   TIME-WAIT +192\.0\.2\.1:[0-9]+ +192\.0\.2\.2:7 +timewait" "$work/out" || fail "the kernel shows no TIME-WAIT for the echo connection"
[ "$(grep -Ec "\| TIME-WAIT +192\.0\.2\.2:9 " "$work/out")" = 6 ] || fail "taptcp does not show 6 TIME-WAIT on port 9"
for c in IcmpInEchos IcmpOutEchoReps TcpPassiveOpens TaptcpArpInRequests TaptcpArpOutReplies; do
  grep -Eq "^   $c +[1-9]" "$work/out" || fail "counter '$c' not shown"
done
grep -Eq "^   IcmpInEchos +4 " "$work/out" || fail "IcmpInEchos is not 4"
grep -Eq "^   TcpPassiveOpens +8 " "$work/out" || fail "TcpPassiveOpens is not 8 (curl, the echo, 6 in the burst)"
grep -q "\[S\.\] seq" "$work/out" || fail "capture summary lacks a SYN-ACK"
pid_ns=$(grep -Eo "taptcp-demo-[0-9]+" "$work/out" | head -1)
ip netns list | grep -q "$pid_ns" && fail "namespace $pid_ns left behind"
ip link show | grep -q "tdemo" && fail "a tdemo device was left behind"
ls /run/taptcp/tdemo*.sock >/dev/null 2>&1 && fail "the demo left its control socket behind"

if [ "$mode" = tshark ]; then
  # Ask tshark to verify every checksum and print every field; any complaint fails the test.
  tshark -r "$work/demo.pcap" -V -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
    >"$work/tshark" 2>&1 || fail "tshark could not read the capture: $(head -3 "$work/tshark")"
  grep -Eiq "malformed|status: Bad|\[incorrect" "$work/tshark" && \
    fail "tshark reports problems: $(grep -Ei 'malformed|status: Bad|\[incorrect' "$work/tshark" | head -3)"
  good=$(grep -ic "checksum status: Good" "$work/tshark")
  [ "$good" -ge 100 ] || fail "expected at least 100 verified-good checksums, tshark shows $good"
  http=$(tshark -r "$work/demo.pcap" -Y 'http.response.code == 200' 2>/dev/null | wc -l)
  [ "$http" = 1 ] || fail "tshark sees $http HTTP 200 responses, expected 1"
fi
echo "ok: $mode"
