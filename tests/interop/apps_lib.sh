# Shared by tests/interop/apps_*.sh (sourced, not run). Each test gets
#   namespace taptcp-apps-<test>-<pid>:  tapps<pid> 192.0.2.1/24 (the kernel)  <-TAP->  taptcp 192.0.2.2
# a persistent TAP device created inside the namespace (addressed and up before taptcp attaches),
# IPv6 off so the capture holds only what the test provokes, and everything removed by name on
# exit (trap), also on failure. Traffic stays inside the namespace, in TEST-NET-1.
# Exit 77 = skipped, with the reason printed as "SKIP: ...". APPS_KEEP=1 keeps the work directory
# (logs, capture) for a look afterwards.

apps_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
kernel_py="$apps_dir/apps_kernel.py"
# The system interpreter when there is one: a pyenv shim costs ~0.5 s a start.
python=$(command -v /usr/bin/python3 || command -v python3)
serve_pid=""
apps_ns=""
work=""

# apps_require TOOL...: skip unless root, /dev/net/tun and every tool are there.
apps_require() {
  if [ "$(id -u)" != 0 ]; then echo "SKIP: needs root (CAP_NET_ADMIN) for TAP devices and namespaces"; exit 77; fi
  if [ ! -c /dev/net/tun ]; then echo "SKIP: /dev/net/tun is missing (modprobe tun)"; exit 77; fi
  local tool
  for tool in ip ss python3 timeout "$@"; do
    command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed"; exit 77; }
  done
}

apps_cleanup() {
  if [ -n "$serve_pid" ]; then
    kill -INT "$serve_pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$serve_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$serve_pid" 2>/dev/null
    wait "$serve_pid" 2>/dev/null
  fi
  [ -n "$apps_ns" ] && ip netns del "$apps_ns" 2>/dev/null
  if [ -n "${APPS_KEEP:-}" ]; then echo "kept: $work"; elif [ -n "$work" ]; then rm -rf "$work"; fi
}

fail() {
  echo "FAIL: $*"
  local f
  for f in "$work"/*.log; do [ -f "$f" ] && { echo "--- $(basename "$f")"; tail -25 "$f"; }; done
  exit 1
}

# apps_setup TEST: the namespace and its TAP device.
apps_setup() {
  apps_ns=taptcp-apps-$1-$$
  dev=tapps$$
  work=$(mktemp -d)
  trap apps_cleanup EXIT
  ip netns add "$apps_ns" || fail "ip netns add $apps_ns"
  ip -n "$apps_ns" link set lo up
  ip netns exec "$apps_ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip netns exec "$apps_ns" ip tuntap add dev "$dev" mode tap || fail "ip tuntap add $dev"
  ip -n "$apps_ns" addr add 192.0.2.1/24 dev "$dev" || fail "ip addr add"
  ip -n "$apps_ns" link set "$dev" up || fail "ip link set up"
}

# in_ns CMD...: run inside the namespace.
in_ns() { ip netns exec "$apps_ns" "$@"; }

# kernel SECONDS ARGS...: apps_kernel.py inside the namespace, bounded, output in kernel.log.
kernel() {
  local secs=$1; shift
  timeout "$secs" ip netns exec "$apps_ns" "$python" "$kernel_py" "$@" >>"$work/kernel.log" 2>&1
}

# start_serve FLAGS...: taptcp serve on port $PORT (7) with a capture; returns once it listens.
start_serve() {
  # Started directly (not through a shell function, which would fork a subshell that SIGINT does
  # not reach): $! is taptcp itself, as `ip netns exec` execs it.
  ip netns exec "$apps_ns" "$taptcp" serve --tap "$dev" --addr 192.0.2.2/24 --port "${PORT:-7}" \
    --pcap "$work/taptcp.pcap" "$@" >"$work/serve.log" 2>&1 &
  serve_pid=$!
  for _ in $(seq 100); do
    grep -q "Ctrl-C to stop" "$work/serve.log" && break
    kill -0 "$serve_pid" 2>/dev/null || fail "taptcp serve exited at start"
    sleep 0.05
  done
  grep -q "Ctrl-C to stop" "$work/serve.log" || fail "taptcp serve did not start within 5 s"
  link_up
}

# link_up: waits (bounded) until the kernel's side of the TAP device is up. Its carrier comes on
# when taptcp attaches, but the kernel only starts transmitting on it when linkwatch gets to it
# (up to a second later); frames it sends before, an ARP reply say, are dropped. A test that
# starts taptcp and talks at once meets this as a 1 s ARP retry (taptcp connect tolerates it).
link_up() {
  for _ in $(seq 60); do
    ip -n "$apps_ns" -o link show dev "$dev" | grep -q "state UP" && return 0
    sleep 0.05
  done
  fail "$dev did not come up within 3 s of taptcp attaching"
}

# stop_serve: SIGINT, which must end it with status 0 and its summary printed.
stop_serve() {
  kill -INT "$serve_pid"
  for _ in $(seq 100); do kill -0 "$serve_pid" 2>/dev/null || break; sleep 0.05; done
  kill -0 "$serve_pid" 2>/dev/null && fail "taptcp serve did not stop within 5 s of SIGINT"
  wait "$serve_pid"
  local rc=$?
  serve_pid=""
  [ $rc = 0 ] || fail "taptcp serve exited $rc after SIGINT"
}

# serve_says TEXT: the serve log (its app summary and counters) has this line part.
serve_says() { grep -q -- "$1" "$work/serve.log" || fail "taptcp serve did not report '$1'"; }

# tshark_clean PCAP: tshark dissects every frame with checksum checks on; any malformed packet
# or bad checksum fails the test.
tshark_clean() {
  tshark -r "$1" -V -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE >"$work/tshark.txt" 2>&1 \
    || fail "tshark could not read $1: $(head -3 "$work/tshark.txt")"
  # tshark marks a bad checksum "[incorrect, should be ...]" and "[... status: Bad]", and a frame
  # it cannot dissect "[Malformed Packet ...]" (a checksum value may contain "bad" in hex).
  local bad='malformed|status: bad|\[incorrect'
  if grep -Eiq "$bad" "$work/tshark.txt"; then
    fail "tshark reports problems: $(grep -Ei "$bad" "$work/tshark.txt" | head -3)"
  fi
  local good
  good=$(grep -ic "checksum status: good" "$work/tshark.txt")
  echo "tshark: $(grep -c '^Frame ' "$work/tshark.txt") frames, $good IP and TCP checksums verified good, none bad, nothing malformed"
}
