#!/usr/bin/env bash
# Interop: TAP offloads (IFF_VNET_HDR, TSO and checksum offload both ways). 10 MiB of random data
# echoed by `taptcp serve --app echo` to the kernel's socket over a TAP device with offloads on,
# compared by SHA-256; then, from taptcp's capture and the kernel's device counters:
#   - super-frames really crossed the fd both ways (the kernel counts one packet per super-frame,
#     the capture shows its wire frames: many more);
#   - the capture holds what a wire would: frames cut to the MTU (none above 1514 bytes, full-MSS
#     ones at exactly 1514) with valid IPv4 and TCP checksums (tshark verifies every one);
# then 1 MiB again with --nooffload on the same (persistent) device: plain frames only.
# Inside a namespace this test creates (TEST-NET-1 only), removed by name on exit.
# Exit 77 = skipped, with the reason printed as "SKIP: ...".
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
taptcp=$1
bytes=${BYTES:-10485760}
if [ "$(id -u)" != 0 ]; then echo "SKIP: needs root (CAP_NET_ADMIN) for TAP devices and namespaces"; exit 77; fi
if [ ! -c /dev/net/tun ]; then echo "SKIP: /dev/net/tun is missing (modprobe tun)"; exit 77; fi
for tool in ip python3 timeout tshark; do
  command -v $tool >/dev/null || { echo "SKIP: $tool is not installed"; exit 77; }
done
ns=taptcp-tapoffload-$$
dev=to$$
work=$(mktemp -d /tmp/taptcp-tapoffload.XXXXXX)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  ip netns del "$ns" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$work"/*.log; do [ -f "$f" ] && { echo "--- $f"; tail -20 "$f"; }; done; exit 1; }

ip netns add "$ns" || fail "ip netns add"
ip netns exec "$ns" ip link set lo up
ip netns exec "$ns" ip tuntap add dev "$dev" mode tap || fail "ip tuntap add"
ip -n "$ns" addr add 192.0.2.1/24 dev "$dev"
ip -n "$ns" link set "$dev" up

# The kernel's packet counters of the TAP device: tx = what it handed taptcp, rx = what taptcp
# wrote; a super-frame counts once.
stats() { ip -n "$ns" -s -j link show dev "$dev" | python3 -c \
  'import json,sys; s=json.load(sys.stdin)[0]["stats64"]; print(s["tx"]["packets"], s["rx"]["packets"])'; }


# echo NAME BYTES [serve flags]: taptcp serve --app echo with a capture, the kernel's client
# echoing BYTES through it; sets kernel_tx/kernel_rx (the device's packet counts during the
# transfer) and from_kernel/from_taptcp (TCP frames in the capture, per direction).
count() { tshark -r "$work/$name.pcap" -Y "$1" 2>/dev/null | wc -l; }
echo_through() {
  name=$1
  local n=$2
  shift 2
  ip netns exec "$ns" "$taptcp" serve --tap "$dev" --addr 192.0.2.2/24 --port 7 \
    --app echo --pcap "$work/$name.pcap" --control "$work/ctl.sock" "$@" >"$work/$name.serve.log" 2>&1 &
  pid=$!
  local tx0 rx0 tx1 rx1 rc
  read -r tx0 rx0 <<<"$(stats)" || fail "reading the device's counters"
  timeout 90 ip netns exec "$ns" python3 "$here/echo_client.py" "$n" >"$work/$name.client.log" 2>&1 \
    || fail "$name: kernel client: $(tail -1 "$work/$name.client.log")"
  read -r tx1 rx1 <<<"$(stats)"
  echo "$name: $(cat "$work/$name.client.log")"
  kill -INT "$pid"; wait "$pid"; rc=$?; pid=""
  [ $rc = 0 ] || fail "$name: taptcp serve exited $rc after SIGINT"
  kernel_tx=$((tx1 - tx0))
  kernel_rx=$((rx1 - rx0))
  from_kernel=$(count "ip.src == 192.0.2.1 && tcp")
  from_taptcp=$(count "ip.src == 192.0.2.2 && tcp")
  echo "$name: kernel -> taptcp: $kernel_tx packets on the fd, $from_kernel wire frames captured"
  echo "$name: taptcp -> kernel: $kernel_rx packets on the fd, $from_taptcp wire frames captured"
}

echo_through offload "$bytes"
# 10 MiB is ~7200 full-size frames each way: with offloads, a few super-frames carry most of them.
[ "$from_kernel" -ge $((2 * kernel_tx)) ] || fail "the kernel sent no super-frames to taptcp"
[ "$from_taptcp" -ge $((2 * kernel_rx)) ] || fail "taptcp sent no super-frames to the kernel"
tcp_frames=$(count "tcp")
big=$(count "frame.len > 1514")
full=$(count "frame.len == 1514")
# Checksum status 1 = good (epan/proto.h PROTO_CHECKSUM_E_GOOD), with verification switched on.
good=$(tshark -r "$work/$name.pcap" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
  -Y "tcp && ip.checksum.status == 1 && tcp.checksum.status == 1" 2>/dev/null | wc -l)
echo "capture: $tcp_frames TCP frames, $full of 1514 bytes, $big above, $good with both checksums good"
[ "$big" = 0 ] || fail "$big frames above 1514 bytes in the capture"
[ "$full" -ge 7000 ] || fail "only $full MTU-sized frames: super-frames were not cut at the MSS"
[ "$good" = "$tcp_frames" ] || fail "$((tcp_frames - good)) TCP frames with a bad or unverified checksum"

# The same persistent device without offloads (--nooffload: no virtio header): the offloads the
# first run switched on must be off again, so every packet on the fd is one wire frame.
echo_through nooffload 1048576 --nooffload
[ "$from_kernel" -le $((kernel_tx + 2)) ] || fail "the kernel still sent super-frames with --nooffload"
[ "$from_taptcp" -le $((kernel_rx + 2)) ] || fail "taptcp sent super-frames with --nooffload"
echo "ok"
