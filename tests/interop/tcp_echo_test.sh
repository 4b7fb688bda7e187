#!/usr/bin/env bash
# Interop: TCP between taptcp and the Linux kernel over a TAP device, 10 MiB of random data echoed
# both ways and compared by SHA-256.
#   server: taptcp serve --app echo, the kernel's socket as the client
#   client: taptcp connect --verify-echo, the kernel's socket as an echo server
# Both run inside a namespace this test creates (TEST-NET-1 only) and removes by name.
# Exit 77 = skipped, with the reason printed as "SKIP: ...".
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
taptcp=$1
mode=${2:-server}
bytes=${BYTES:-10485760}
if [ "$(id -u)" != 0 ]; then echo "SKIP: needs root (CAP_NET_ADMIN) for TAP devices and namespaces"; exit 77; fi
if [ ! -c /dev/net/tun ]; then echo "SKIP: /dev/net/tun is missing (modprobe tun)"; exit 77; fi
for tool in ip python3 timeout; do
  command -v $tool >/dev/null || { echo "SKIP: $tool is not installed"; exit 77; }
done
ns=taptcp-echo-$$
dev=te$$
work=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  ip netns del "$ns" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; for f in "$work"/*.log; do [ -f "$f" ] && { echo "--- $f"; tail -20 "$f"; }; done; exit 1; }

# The TAP device is created persistent inside the namespace, addressed and up, before taptcp
# attaches to it there: no race with the kernel side's configuration.
ip netns add "$ns" || fail "ip netns add"
ip netns exec "$ns" ip link set lo up
ip netns exec "$ns" ip tuntap add dev "$dev" mode tap || fail "ip tuntap add"
ip -n "$ns" addr add 192.0.2.1/24 dev "$dev"
ip -n "$ns" link set "$dev" up

if [ "$mode" = server ]; then
  ip netns exec "$ns" "$taptcp" serve --tap "$dev" --addr 192.0.2.2/24 --port 7 --app echo \
    >"$work/serve.log" 2>&1 &
  pid=$!
  timeout 90 ip netns exec "$ns" python3 "$here/echo_client.py" "$bytes" >"$work/client.log" 2>&1 \
    || fail "kernel client: $(tail -1 "$work/client.log")"
  cat "$work/client.log"
  kill -INT "$pid"; wait "$pid"; rc=$?; pid=""
  [ $rc = 0 ] || fail "taptcp serve exited $rc after SIGINT"
  grep -q "TcpPassiveOpens 1" "$work/serve.log" || fail "taptcp did not count one passive open"
else
  cat >"$work/server.py" <<'PY'
import socket, sys
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("192.0.2.1", 7000)); l.listen(1); l.settimeout(30)
c, _ = l.accept(); c.settimeout(60)
total = 0
while True:
    b = c.recv(1 << 16)
    if not b: break
    c.sendall(b); total += len(b)
c.shutdown(socket.SHUT_WR); c.close()
print(f"kernel echoed {total} bytes")
PY
  ip netns exec "$ns" timeout 90 python3 "$work/server.py" >"$work/server.log" 2>&1 &
  pid=$!
  sleep 0.3
  timeout 90 ip netns exec "$ns" "$taptcp" connect --tap "$dev" --addr 192.0.2.2/24 \
    --to 192.0.2.1:7000 --send "$bytes" --verify_echo >"$work/connect.log" 2>&1 \
    || fail "taptcp connect: $(tail -1 "$work/connect.log")"
  cat "$work/connect.log"
  wait "$pid"; pid=""
  grep -q "kernel echoed $bytes bytes" "$work/server.log" || fail "kernel server: $(cat "$work/server.log")"
fi
echo "ok: $mode"
