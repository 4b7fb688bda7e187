#!/usr/bin/env bash
# Records the Linux kernel's TCP as the device under test, for `taptcp replay`:
#   pcaps/record-linux.sh [--out DIR] [--list] [SCENARIO...]
# writes DIR/NAME.pcap (both directions, real timestamps) and DIR/NAME.json (sysctls, the app's
# socket calls, tolerance, deviations) for each scenario of pcaps/linux_recorder/scenarios.py;
# DIR defaults to pcaps/linux.
#
# How: a network namespace of its own (taptcp-rec-<pid>) holds a TAP device with the kernel at
# 192.0.2.1/24. A python peer (scapy) owns the TAP fd and plays 192.0.2.2: it answers ARP, writes
# crafted TCP frames and reads the kernel's. The kernel's sockets run in the same namespace. No
# second stack sees the traffic, so no stray RST leaks into a capture. TEST-NET-1 only; the
# namespace (and the TAP device in it) is deleted by name on exit, also on error or Ctrl-C.
# Needs root and /dev/net/tun; without them it prints "SKIP: why" and exits 77.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=$here/linux
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) [ $# -ge 2 ] || { echo "record-linux: --out needs a directory" >&2; exit 2; }
           out=$2; shift 2 ;;
    --out=*) out=${1#--out=}; shift ;;
    *) args+=("$1"); shift ;;
  esac
done

if [ "$(id -u)" != 0 ]; then echo "SKIP: record-linux.sh needs root (CAP_NET_ADMIN) for a namespace and a TAP device"; exit 77; fi
if [ ! -c /dev/net/tun ]; then echo "SKIP: /dev/net/tun is missing (modprobe tun)"; exit 77; fi
for tool in ip timeout; do
  command -v $tool >/dev/null || { echo "SKIP: $tool is not installed (apt-get install iproute2 coreutils)"; exit 77; }
done

# Debian's scapy is for Debian's python (a pyenv or venv python earlier in PATH would not see it).
python=/usr/bin/python3
if ! "$python" -c 'import scapy' 2>/dev/null; then
  echo "record-linux: installing python3-scapy (Debian package)" >&2
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends python3 python3-scapy >/dev/null; } ||
    { echo "record-linux: could not install python3-scapy; run: apt-get install python3-scapy" >&2; exit 1; }
fi
if [ ${#args[@]} -gt 0 ] && [ "${args[0]}" = --list ]; then
  exec "$python" "$here/linux_recorder/record.py" --dev none --out "$out" --list
fi

ns=taptcp-rec-$$
dev=trec$$
cleanup() { ip netns del "$ns" 2>/dev/null || true; }
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$out"

echo "record-linux: namespace $ns, TAP device $dev (kernel 192.0.2.1, peer 192.0.2.2)"
ip netns add "$ns"
ip netns exec "$ns" ip link set lo up
# No IPv6 on the TAP: its router solicitations and MLD reports would only be noise.
ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip netns exec "$ns" ip tuntap add dev "$dev" mode tap
ip -n "$ns" link set dev "$dev" address 02:54:41:50:00:01
ip -n "$ns" addr add 192.0.2.1/24 dev "$dev"
ip -n "$ns" link set dev "$dev" up
# A permanent neighbour entry for the peer: no ARP exchange shifts the kernel's first answer
# (the peer still answers any ARP request it sees).
ip -n "$ns" neigh replace 192.0.2.2 lladdr 02:54:41:50:00:02 dev "$dev" nud permanent

start=$(date +%s.%N)
rc=0
timeout 120 ip netns exec "$ns" "$python" "$here/linux_recorder/record.py" --dev "$dev" \
  --out "$out" ${args[@]+"${args[@]}"} || rc=$?
end=$(date +%s.%N)
[ $rc = 124 ] && echo "record-linux: the recorder ran over its 120 s limit" >&2
echo "record-linux: finished in $(printf '%.1f' "$(echo "$end - $start" | bc)") s (exit $rc)"
exit $rc
