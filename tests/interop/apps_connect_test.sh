#!/usr/bin/env bash
# Interop: `taptcp connect` against the Linux kernel's sockets, one behaviour per run:
#   client-first  --shutdown wr (default): taptcp's FIN first; the kernel's echo server closes
#                 after it, and is left with nothing (LAST-ACK answered before taptcp exits)
#   server-first  the kernel sends 50000 bytes and closes first; taptcp reads to EOF
#                 (--verify_echo=false --shutdown none): the kernel is left in TIME-WAIT
#   linger0       --linger 0: taptcp closes with RST, no FIN; the kernel's recv gets ECONNRESET
#                 and keeps no TIME-WAIT
#   refused       nobody listens: the summary counts ECONNREFUSED and connect exits 1
# Each checks the summary line, the kernel's `ss`, and the capture (packets, and tshark finds
# nothing malformed and no bad checksum). Usage: apps_connect_test.sh TAPTCP MODE. Exit 77 = skip.
set -u
taptcp=$1
mode=$2
. "$(dirname "$0")/apps_lib.sh"
apps_require tshark
apps_setup "connect-$mode"
kserver_pid=""
trap '[ -n "$kserver_pid" ] && kill "$kserver_pid" 2>/dev/null; apps_cleanup' EXIT

# start_kserver ARGS...: apps_kernel.py as a server on 192.0.2.1:7000, once it listens.
start_kserver() {
  ip netns exec "$apps_ns" timeout 50 "$python" "$kernel_py" "$@" >"$work/kserver.log" 2>&1 &
  kserver_pid=$!
  for _ in $(seq 100); do grep -q listening "$work/kserver.log" && return 0; sleep 0.05; done
  fail "the kernel's server did not start"
}
wait_kserver() {
  wait "$kserver_pid" || fail "kernel server: $(grep FAIL "$work/kserver.log" | head -1)"
  kserver_pid=""
  grep "kernel server:" "$work/kserver.log"
}
# run_connect FLAGS...: taptcp connect to the kernel, output in connect.log; returns its status.
run_connect() {
  timeout 60 ip netns exec "$apps_ns" "$taptcp" connect --tap "$dev" --addr 192.0.2.2/24 \
    --to 192.0.2.1:7000 --pcap "$work/taptcp.pcap" --timeout 20 "$@" >"$work/connect.log" 2>&1
}
summary_says() { grep -q -- "$1" "$work/connect.log" || fail "connect's summary lacks '$1'"; }
# count FILTER: segments in the capture matching a tshark display filter.
count() { tshark -r "$work/taptcp.pcap" -Y "$1" 2>/dev/null | wc -l; }
# kernel_ss: the kernel's sockets on port 7000 (listener excluded), one per line.
kernel_ss() { in_ns ss -tanH | grep "192.0.2.1:7000 " | grep -v LISTEN; }

case $mode in
  client-first)
    start_kserver echo-server 7000 1
    run_connect --send 100000 || fail "taptcp connect: $(tail -2 "$work/connect.log")"
    wait_kserver
    summary_says "1 connection to 192.0.2.1:7000: 1 completed, 0 failed"
    summary_says "sent 100000 B"
    [ -z "$(kernel_ss)" ] || fail "the kernel kept: $(kernel_ss)"
    echo "kernel: nothing left (it closed second: LAST-ACK, answered)"
    first_fin=$(tshark -r "$work/taptcp.pcap" -Y "tcp.flags.fin == 1" -T fields -e ip.src 2>/dev/null | head -1)
    [ "$first_fin" = 192.0.2.2 ] || fail "the first FIN came from $first_fin, expected taptcp"
    echo "capture: taptcp's FIN first"
    [ "$(count 'ip.src == 192.0.2.2 && tcp.flags.reset == 1')" = 0 ] || fail "an RST from taptcp"
    ;;
  server-first)
    start_kserver first-server 7000 50000
    run_connect --send 0 --verify_echo=false --shutdown none \
      || fail "taptcp connect: $(tail -2 "$work/connect.log")"
    wait_kserver
    summary_says "1 completed, 0 failed"
    summary_says "received 50000 B"
    kernel_ss | grep -q "^TIME-WAIT .*192.0.2.2:" || fail "the kernel is not in TIME-WAIT: $(kernel_ss)"
    echo "kernel: TIME-WAIT (it closed first)"
    first_fin=$(tshark -r "$work/taptcp.pcap" -Y "tcp.flags.fin == 1" -T fields -e ip.src 2>/dev/null | head -1)
    [ "$first_fin" = 192.0.2.1 ] || fail "the first FIN came from $first_fin, expected the kernel"
    echo "capture: the kernel's FIN first, then taptcp's"
    [ "$(count 'ip.src == 192.0.2.2 && tcp.flags.reset == 1')" = 0 ] || fail "an RST from taptcp"
    ;;
  linger0)
    start_kserver echo-server 7000 1
    run_connect --send 1000 --shutdown none --linger 0 \
      || fail "taptcp connect: $(tail -2 "$work/connect.log")"
    wait_kserver
    summary_says "1 completed, 0 failed"
    grep -q "1 reset" "$work/kserver.log" || fail "the kernel's recv did not see ECONNRESET"
    echo "kernel: recv got ECONNRESET"
    [ -z "$(kernel_ss)" ] || fail "the kernel kept: $(kernel_ss)"
    echo "kernel: no TIME-WAIT, nothing left"
    [ "$(count 'ip.src == 192.0.2.2 && tcp.flags.reset == 1')" = 1 ] || fail "no single RST from taptcp"
    [ "$(count 'ip.src == 192.0.2.2 && tcp.flags.fin == 1')" = 0 ] || fail "taptcp sent a FIN"
    echo "capture: taptcp's RST, no FIN from taptcp"
    ;;
  refused)
    run_connect --count 3 --parallel 2 --send 10
    rc=$?
    [ $rc = 1 ] || fail "taptcp connect exited $rc, expected 1 (all refused)"
    summary_says "3 connections to 192.0.2.1:7000: 0 completed, 3 failed (ECONNREFUSED 3)"
    grep -q "first failure: connection 0: connect to 192.0.2.1:7000: Connection refused" \
      "$work/connect.log" || fail "no first-failure line"
    # Each of the 3 ports was refused (a SYN sent again while the first ARP reply was late draws
    # its own RST: count ports, not segments).
    refused=$(tshark -r "$work/taptcp.pcap" -Y "ip.src == 192.0.2.1 && tcp.flags.reset == 1 && tcp.flags.ack == 1" \
      -T fields -e tcp.dstport 2>/dev/null | sort -u | wc -l)
    [ "$refused" = 3 ] || fail "$refused ports refused by the kernel, expected 3"
    echo "capture: 3 SYNs from 3 ports, each answered by the kernel's RST+ACK"
    ;;
  *) fail "unknown mode $mode" ;;
esac
cat "$work/connect.log"
tshark_clean "$work/taptcp.pcap"
echo "ok: connect $mode"
