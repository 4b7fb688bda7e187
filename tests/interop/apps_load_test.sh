#!/usr/bin/env bash
# Interop: many connections between taptcp and the Linux kernel, both ways round:
#   serve-seq     1000 sequential short connections from the kernel to `serve --app echo`
#   serve-par     200 connections from the kernel open at once, then an echo on each
#   connect-seq   `connect --count 1000 --parallel 1` to the kernel's echo server
#   connect-par   `connect --count 200 --parallel 200` to the kernel's echo server
# Every exchange is checked (the echo compared), the counts on both sides agree, the kernel's
# `ss` shows the expected states (its 1000 TIME-WAITs when it closed first; 200 established at
# once), and tshark finds nothing malformed and no bad checksum in the capture. Bounded: each
# side gives up after 50 s. Usage: apps_load_test.sh TAPTCP MODE. Exit 77 = skipped.
set -u
taptcp=$1
mode=$2
. "$(dirname "$0")/apps_lib.sh"
apps_require tshark
apps_setup "load-$mode"
kserver_pid=""
trap '[ -n "$kserver_pid" ] && kill "$kserver_pid" 2>/dev/null; apps_cleanup' EXIT

case $mode in
  serve-seq|serve-par)
    n=$([ "$mode" = serve-seq ] && echo 1000 || echo 200)
    start_serve --app echo
    kernel 55 "load-${mode#serve-}" "$n" || fail "kernel clients: $(grep FAIL "$work/kernel.log" | head -1)"
    cat "$work/kernel.log"
    stop_serve
    grep "app echo:" "$work/serve.log"
    bytes=$((n * $([ "$mode" = serve-seq ] && echo 100 || echo 1000)))
    serve_says "app echo: accepted $n, closed $n, open 0, read $bytes B, wrote $bytes B"
    serve_says "TcpPassiveOpens $n"
    ;;
  connect-seq|connect-par)
    n=$([ "$mode" = connect-seq ] && echo 1000 || echo 200)
    j=$([ "$mode" = connect-seq ] && echo 1 || echo 200)
    size=$([ "$mode" = connect-seq ] && echo 100 || echo 1000)
    ip netns exec "$apps_ns" timeout 55 "$python" "$kernel_py" echo-server 7000 "$n" \
      >"$work/kserver.log" 2>&1 &
    kserver_pid=$!
    for _ in $(seq 100); do grep -q listening "$work/kserver.log" && break; sleep 0.05; done
    timeout 60 ip netns exec "$apps_ns" "$taptcp" connect --tap "$dev" --addr 192.0.2.2/24 \
      --to 192.0.2.1:7000 --pcap "$work/taptcp.pcap" --timeout 50 --count "$n" --parallel "$j" \
      --send "$size" >"$work/connect.log" 2>&1 || fail "taptcp connect: $(tail -2 "$work/connect.log")"
    wait "$kserver_pid" || fail "kernel server: $(grep FAIL "$work/kserver.log" | head -1)"
    kserver_pid=""
    cat "$work/connect.log" "$work/kserver.log"
    grep -q "$n connections to 192.0.2.1:7000: $n completed, 0 failed" "$work/connect.log" \
      || fail "not all $n connections completed"
    grep -q "sent $((n * size)) B" "$work/connect.log" && grep -q "received $((n * size)) B" "$work/connect.log" \
      || fail "byte counts differ from $n x $size"
    grep -q "kernel server: $n connections" "$work/kserver.log" || fail "the kernel did not serve $n connections"
    # taptcp had $j connections under way at once; how many the kernel's server saw together
    # depends on how it was scheduled, so that is only printed.
    grep -q "at most $j at once" "$work/connect.log" || fail "connect never had $j connections at once"
    ;;
  *) fail "unknown mode $mode" ;;
esac
# One connection per exchange (distinct client ports; a SYN sent again while the first ARP reply
# is late counts once).
syns=$(tshark -r "$work/taptcp.pcap" -Y "tcp.flags.syn == 1 && tcp.flags.ack == 0" -T fields \
  -e tcp.srcport 2>/dev/null | sort -u | wc -l)
[ "$syns" = "$n" ] || fail "$syns connections (SYNs from distinct ports) in the capture, expected $n"
# taptcp never resets here. (The kernel may: a peer slow to ACK its FIN gets it retransmitted, and
# the duplicate ACK that answers arrives after the kernel's LAST-ACK ended: RST, as for any
# segment to no socket.)
rst=$(tshark -r "$work/taptcp.pcap" -Y "ip.src == 192.0.2.2 && tcp.flags.reset == 1" 2>/dev/null | wc -l)
[ "$rst" = 0 ] || fail "$rst RSTs from taptcp in the capture"
echo "capture: $n connections, no RST from taptcp"
tshark_clean "$work/taptcp.pcap"
echo "ok: load $mode"
