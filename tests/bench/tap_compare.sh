#!/usr/bin/env bash
# Performance over TAP (issue 5), in one run on one machine:
#   taptcp over TAP:   namespace A holds a TAP device; the kernel's client (tap_bench_peer) talks to
#                      `taptcp serve` attached to it (--app echo for short connections, --app
#                      discard for bulk), with the device's offloads (IFF_VNET_HDR: TSO and
#                      checksum offload both ways) and again with --nooffload;
#   the kernel pair:   namespaces B and C joined by a veth pair; the same client in B talks to
#                      tap_bench_peer's kernel server in C.
# Short connections: connect, 64-byte request, 64-byte response, the client closes (its TIME_WAIT),
# the server closes on EOF; PARALLEL in flight. Bulk: the client sends for BULK_SECONDS and counts
# the bytes up to the server's close. Prints each rate; the CPU seconds of client, server (softirq
# work done in their system calls included) and the ksoftirqd threads (work the kernel deferred),
# and the rate per CPU second of all three; and "ratio ..." lines taptcp/kernel-veth computed from
# this run's numbers. On shared cores the rates move with the load; the per-CPU ones much less.
#
#   tests/bench/tap_compare.sh [build dir]      (default: build)
#   env: COUNT (conns per run, 20000), CONN_SECONDS (5), PARALLEL (16), BULK_SECONDS (3),
#        REPS (rounds, 3: each runs every setup in turn; medians and per-round ratios are printed)
#
# Network safety: only TEST-NET-1 (192.0.2.0/24, the TAP) and TEST-NET-2 (198.51.100.0/24, the
# veth), only inside the namespaces this script creates (taptcp-tapbench-<pid>-a/b/c), each loop
# bounded in count and time, everything removed by name on exit. A benchmark, not a test: without
# root or /dev/net/tun it says why and exits 0.
# shellcheck disable=SC2034  # the result arrays are read through namerefs (median, rounds)
set -u

build=${1:-build}
taptcp=$build/apps/taptcp
peer=$build/tests/bench/tap_bench_peer
count=${COUNT:-20000}
conn_seconds=${CONN_SECONDS:-5}
parallel=${PARALLEL:-16}
bulk_seconds=${BULK_SECONDS:-3}
reps=${REPS:-3}

if [ "$(id -u)" != 0 ]; then
  echo "tap_compare: skipped: needs root (CAP_NET_ADMIN) for namespaces and a TAP device"
  exit 0
fi
if [ ! -c /dev/net/tun ]; then
  echo "tap_compare: skipped: /dev/net/tun is missing (modprobe tun)"
  exit 0
fi
for tool in ip timeout awk; do
  command -v $tool >/dev/null || { echo "tap_compare: skipped: $tool is not installed"; exit 0; }
done
for bin in "$taptcp" "$peer"; do
  if [ ! -x "$bin" ]; then
    echo "tap_compare: no $bin: configure with -DTAPTCP_BENCH=ON and build taptcp and tap_bench_peer" >&2
    exit 1
  fi
done

ns_a=taptcp-tapbench-$$-a
ns_b=taptcp-tapbench-$$-b
ns_c=taptcp-tapbench-$$-c
dev=tb$$  # inside namespace A only; unique, so taptcp's control socket path is too
work=$(mktemp -d /tmp/taptcp-tapbench.XXXXXX)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then
    kill -TERM "$server_pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$server_pid" 2>/dev/null
    wait "$server_pid" 2>/dev/null
  fi
  for ns in "$ns_a" "$ns_b" "$ns_c"; do ip netns del "$ns" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
die() { echo "tap_compare: $*" >&2; for f in "$work"/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -5 "$f" >&2; }; done; exit 1; }

tck=$(getconf CLK_TCK)
# CPU seconds (user + system) a process used so far, from /proc/PID/stat (fields 14 and 15).
cpu_of() { awk -v t="$tck" '{ sub(/^.*\) /, ""); printf "%.3f", ($12 + $13) / t }' "/proc/$1/stat" 2>/dev/null || echo 0; }
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }  # key=value from a RESULT line

# Namespace A: the kernel's end of a TAP device at 192.0.2.1; taptcp attaches at 192.0.2.2. The
# device is persistent, so each taptcp run attaches to a device that is already up.
ip netns add "$ns_a" || die "ip netns add $ns_a"
ip -n "$ns_a" link set lo up
ip netns exec "$ns_a" ip tuntap add dev "$dev" mode tap || die "ip tuntap add"
ip -n "$ns_a" addr add 192.0.2.1/24 dev "$dev"
ip -n "$ns_a" link set "$dev" up
# Namespaces B and C: the kernel pair over veth, 198.51.100.1 -> 198.51.100.2.
ip netns add "$ns_b" || die "ip netns add $ns_b"
ip netns add "$ns_c" || die "ip netns add $ns_c"
ip -n "$ns_b" link set lo up
ip -n "$ns_c" link set lo up
ip -n "$ns_b" link add veth0 type veth peer name veth1 netns "$ns_c" || die "ip link add veth"
ip -n "$ns_b" addr add 198.51.100.1/24 dev veth0
ip -n "$ns_c" addr add 198.51.100.2/24 dev veth1
ip -n "$ns_b" link set veth0 up
ip -n "$ns_c" link set veth1 up
# Every client connection leaves a TIME_WAIT for 60 s (tcp_tw_reuse applies to loopback only by
# default): a wide ephemeral range, and a fresh server port per run, keep connect() from running
# out of ports.
for ns in "$ns_a" "$ns_b"; do
  ip netns exec "$ns" sh -c 'echo 1024 65535 >/proc/sys/net/ipv4/ip_local_port_range'
done

# start_server NAME NS CMD...: runs a server in the background inside NS, bounded by timeout(1);
# server_pid is timeout's pid (ip netns exec execs in place), the server is its child.
start_server() {
  local name=$1 ns=$2
  shift 2
  ip netns exec "$ns" timeout 300 "$@" >"$work/$name.log" 2>&1 &
  server_pid=$!
}
stop_server() {
  [ -n "$server_pid" ] || return
  kill -INT "$server_pid" 2>/dev/null  # timeout(1) passes it on to the server
  for _ in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.05; done
  kill -KILL "$server_pid" 2>/dev/null
  wait "$server_pid" 2>/dev/null
  server_pid=""
}

# run KEY CLIENT_NS MODE TO SERVER_NS SERVER_CMD...: starts the server, waits until it accepts a
# connection, runs the client (MODE conns or bulk against TO), stops the server, and stores the
# client's rate, amount and CPU seconds, the server's and ksoftirqd's CPU seconds under KEY.
declare -A rate amount cpu_c cpu_s cpu_k efficiency
# CPU seconds of the ksoftirqd threads: network work the kernel deferred there (machine-wide, but
# nothing else here moves packets) is nobody's process time.
softirqd_cpu() {
  local total=0 p
  for p in $(pgrep '^ksoftirqd/'); do total=$(awk -v t="$total" -v c="$(cpu_of "$p")" 'BEGIN { print t + c }'); done
  echo "$total"
}
run() {
  local key=$1 ns=$2 mode=$3 to=$4
  shift 4
  start_server "$key" "$@"
  # The peer retries its connect for 10 s while the server starts.
  timeout 30 ip netns exec "$ns" "$peer" ready --to "$to" --seconds 10 \
    >"$work/$key.ready.log" 2>&1 || die "$key: the server did not answer"
  local proc
  proc=$(pgrep -P "$server_pid" | head -1)
  [ -n "$proc" ] || die "$key: server process not found"
  local before after out rc softirq_before
  before=$(cpu_of "$proc")
  softirq_before=$(softirqd_cpu)
  if [ "$mode" = conns ]; then
    out=$(timeout $((conn_seconds + 30)) ip netns exec "$ns" "$peer" conns --to "$to" \
      --count "$count" --seconds "$conn_seconds" --parallel "$parallel" 2>"$work/$key.client.log")
  else
    out=$(timeout $((bulk_seconds + 30)) ip netns exec "$ns" "$peer" bulk --to "$to" \
      --seconds "$bulk_seconds" 2>"$work/$key.client.log")
  fi
  rc=$?
  after=$(cpu_of "$proc")
  cpu_k[$key]=$(awk -v a="$softirq_before" -v b="$(softirqd_cpu)" 'BEGIN { printf "%.3f", b - a }')
  stop_server
  [ $rc = 0 ] || die "$key: client failed: $out $(tail -1 "$work/$key.client.log")"
  rate[$key]=$(field rate "$out")
  amount[$key]=$(field count "$out")$(field bytes "$out")
  cpu_c[$key]=$(field cpu "$out")
  cpu_s[$key]=$(awk -v a="$before" -v b="$after" 'BEGIN { printf "%.3f", b - a }')
}

echo "taptcp over TAP vs the kernel over veth, same run: $(nproc) cores, Linux $(uname -r)"
echo "short connections: up to $count per run in ${conn_seconds} s, $parallel in flight; bulk: ${bulk_seconds} s;"
echo "$reps rounds, each running every setup in turn (medians below; the per-round ratios after them)"
echo

setups="kernel_veth tap tap_nooffload"
port=7001  # a fresh port per run: the client's TIME_WAITs of one run never meet the next
for rep in $(seq "$reps"); do
  for mode in conns bulk; do
    app="echo"
    [ "$mode" = bulk ] && app="discard"
    for setup in $setups; do
      case $setup in
        kernel_veth)
          run "$setup.$mode.$rep" "$ns_b" $mode "198.51.100.2:$port" "$ns_c" \
            "$peer" server --bind 198.51.100.2 --port "$port" --mode "$app" ;;
        tap | tap_nooffload)
          flags=(--tap "$dev" --addr 192.0.2.2/24 --port "$port" --app "$app" --control "$work/ctl.sock")
          [ "$setup" = tap_nooffload ] && flags+=(--nooffload)
          run "$setup.$mode.$rep" "$ns_a" $mode "192.0.2.2:$port" "$ns_a" "$taptcp" serve "${flags[@]}" ;;
      esac
      port=$((port + 1))
    done
  done
done

# median ARRAY KEY: the median over the rounds of ARRAY[KEY.round].
median() {
  local -n values=$1
  local r
  for r in $(seq "$reps"); do echo "${values[$2.$r]}"; done | sort -g |
    awk '{ v[NR] = $1 } END { printf "%.6g", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# per_cpu KEY.ROUND: amount per CPU second (client + server + ksoftirqd) of one run.
per_cpu() {
  awk -v n="${amount[$1]}" -v c="${cpu_c[$1]}" -v s="${cpu_s[$1]}" -v k="${cpu_k[$1]}" \
    'BEGIN { printf "%.6g", ((c + s + k) > 0 ? n / (c + s + k) : 0) }'
}
for key in "${!amount[@]}"; do efficiency[$key]=$(per_cpu "$key"); done

label() { case $1 in kernel_veth) echo "kernel-veth";; tap) echo "taptcp-tap";; tap_nooffload) echo "taptcp-tap --nooffload";; esac; }
row() {  # row SETUP MODE SCALE: medians of rate, amount, CPU seconds, amount per CPU s
  local k=$1.$2
  awk -v l="$(label "$1")" -v r="$(median rate "$k")" -v n="$(median amount "$k")" \
    -v c="$(median cpu_c "$k")" -v s="$(median cpu_s "$k")" -v q="$(median cpu_k "$k")" \
    -v e="$(median efficiency "$k")" -v d="$3" \
    'BEGIN { printf "%-24s %10.0f %8.0f %9.2f %9.2f %10.2f %12.0f\n", l, r / d, n / d, c, s, q, e / d }'
}
header() { printf '%-24s %10s %8s %9s %9s %10s %12s\n' "$1" "$2" "$3" "client s" "server s" "ksoftirqd s" "$4"; }
header "short connections" "conns/s" "conns" "conns/cpu s"
for setup in $setups; do row "$setup" conns 1; done
echo
header "bulk" "MB/s" "MB" "MB/cpu s"
for setup in $setups; do row "$setup" bulk 1e6; done
echo
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
rounds() {  # rounds ARRAY A B: the ratio A/B of each round
  local -n values=$1
  local r out=""
  for r in $(seq "$reps"); do out+="$(ratio "${values[$2.$r]}" "${values[$3.$r]}") "; done
  echo "${out% }"
}
line() {  # line TEXT ARRAY MODE SETUP [TARGET]
  local a b
  a=$(median "$2" "$4.$3")
  b=$(median "$2" "kernel_veth.$3")
  echo "$1 = $(ratio "$a" "$b")x${5:+ ($5)} [rounds: $(rounds "$2" "$4.$3" "kernel_veth.$3")]"
}
line "ratio tap conns taptcp/kernel-veth" rate conns tap "target >= 1x"
line "ratio tap bulk" rate bulk tap "target >= 0.5x"
line "ratio tap conns --nooffload" rate conns tap_nooffload
line "ratio tap bulk --nooffload" rate bulk tap_nooffload
line "ratio tap conns per CPU second" efficiency conns tap
line "ratio tap bulk per CPU second" efficiency bulk tap
echo
echo "command: $0 $build (COUNT=$count CONN_SECONDS=$conn_seconds PARALLEL=$parallel BULK_SECONDS=$bulk_seconds REPS=$reps)"
