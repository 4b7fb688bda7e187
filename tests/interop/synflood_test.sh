#!/usr/bin/env bash
# Interop: a bounded SYN flood against `taptcp serve --app echo --port 80 --backlog 16` while the
# Linux kernel's own client connects and echoes (LINUX_TCP.md "Listen queues", "SYN cookies").
#
#   kernel 192.0.2.1 (tapps<pid>)  --TAP-->  taptcp 192.0.2.2, gateway 192.0.2.1
#   `taptcp synflood` on the kernel's side writes 20000 SYNs at 20000/s from spoofed sources in
#   198.51.100.0/24 (TEST-NET-2); taptcp answers them through its gateway, the kernel (no
#   forwarding) drops those SYN-ACKs, so no handshake ever completes and nothing leaves the
#   namespace.
#
# What Linux does, and so what taptcp must show (tcp_syncookies=1, the default):
#   - the SYN queue holds max_ack_backlog + 1 = 17 requests (inet_csk_reqsk_queue_is_full) and
#     keeps them (SYN-ACK retransmissions for ~63 s): `taptcp ss --summary` says SYN_RECV 17;
#   - every later SYN gets a cookie SYN-ACK: TcpExtTCPReqQFullDoCookies and TcpExtSyncookiesSent
#     rise together, nothing is dropped for a full SYN queue (TcpExtTCPReqQFullDrop 0) and the
#     accept queue never fills (TcpExtListenOverflows 0, TcpExtListenDrops 0);
#   - the kernel's client, whose SYN comes while the queue is full, is served from a cookie: its
#     echo completes, TcpExtSyncookiesRecv 1, TcpPassiveOpens 1 (flood SYNs never complete);
#   - `taptcp ss -l`: the listener with Recv-Q 0 and Send-Q 16.
# Also: synflood refuses, in one line, to run without CAP_NET_RAW.
# Usage: synflood_test.sh TAPTCP. Exit 77 = skipped (no root, no /dev/net/tun). Bounded: the flood
# by --count and --max_seconds, every wait by timeout.
set -u
taptcp=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/apps_lib.sh"
apps_require setpriv
apps_setup synflood
flood_pid=""
client_pid=""
trap '[ -n "$flood_pid" ] && kill "$flood_pid" 2>/dev/null; [ -n "$client_pid" ] && kill "$client_pid" 2>/dev/null; apps_cleanup' EXIT
ctl=$work/control.sock
syns=20000
backlog=16

# counter NAME: its absolute value in `taptcp nstat -az` (empty if it is not there).
counter() { awk -v n="$1" '$1 == n { print $2 }' "$work/nstat.txt"; }
# expect_counter NAME OP VALUE: e.g. expect_counter TcpExtSyncookiesSent -gt 0
expect_counter() {
  local v
  v=$(counter "$1")
  [ -n "$v" ] || fail "taptcp nstat has no $1"
  [ "$v" "$2" "$3" ] || fail "$1 is $v, expected $2 $3 (Linux: tcp_conn_request / cookie_v4_check)"
  echo "ok: $1 $v ($2 $3)"
}

# No forwarding in the namespace whatever the host does: taptcp's SYN-ACKs to the spoofed sources
# end at the kernel (and there is no route out of the namespace anyway).
in_ns sysctl -qw net.ipv4.ip_forward=0 || fail "sysctl net.ipv4.ip_forward=0"
PORT=80 start_serve --app echo --backlog "$backlog" --gateway 192.0.2.1 --control "$ctl"

# Without CAP_NET_RAW: one line that says what to do, exit 1, nothing sent.
in_ns setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
  "$taptcp" synflood --dev "$dev" --to 192.0.2.2:80 --count 1 >"$work/nocap.log" 2>&1
rc=$?
[ $rc = 1 ] && [ "$(wc -l <"$work/nocap.log")" = 1 ] && grep -q "needs CAP_NET_RAW" "$work/nocap.log" \
  || fail "synflood without CAP_NET_RAW: exit $rc, said: $(cat "$work/nocap.log")"
echo "ok: without CAP_NET_RAW: $(cat "$work/nocap.log")"

timeout 30 ip netns exec "$apps_ns" "$taptcp" synflood --dev "$dev" --to 192.0.2.2:80 \
  --count "$syns" --rate 20000 --max_seconds 10 --seed 7 >"$work/flood.log" 2>&1 &
flood_pid=$!
sleep 0.3  # the SYN queue is full within the first millisecond of the flood
timeout 40 ip netns exec "$apps_ns" "$python" "$here/echo_client.py" 10000 80 >"$work/client.log" 2>&1 &
client_pid=$!
sleep 0.2
"$taptcp" ss -l --control "$ctl" >"$work/ss_during.txt" 2>&1 || fail "taptcp ss -l: $(cat "$work/ss_during.txt")"
"$taptcp" ss --summary --control "$ctl" >"$work/summary_during.txt" 2>&1
echo "--- taptcp ss -l and ss --summary during the flood"
cat "$work/ss_during.txt" "$work/summary_during.txt"

wait "$flood_pid" || fail "synflood: $(cat "$work/flood.log")"
flood_pid=""
cat "$work/flood.log"
grep -q "sent $syns SYNs to 192.0.2.2:80" "$work/flood.log" || fail "synflood did not send $syns SYNs"
wait "$client_pid" || fail "kernel echo client during the flood: $(cat "$work/client.log")"
client_pid=""
echo "ok: kernel client during the flood: $(cat "$work/client.log")"

"$taptcp" ss -l --control "$ctl" >"$work/ss_after.txt" 2>&1
"$taptcp" ss --summary --control "$ctl" >"$work/summary_after.txt" 2>&1
"$taptcp" nstat -az --control "$ctl" >"$work/nstat.txt" 2>&1 || fail "taptcp nstat: $(cat "$work/nstat.txt")"
echo "--- taptcp ss -l, ss --summary and nstat after the flood"
cat "$work/ss_after.txt" "$work/summary_after.txt"
grep -E "^(TcpPassiveOpens|TcpInSegs|TcpExt(Syncookies|ListenOverflows|ListenDrops|TCPReqQFull))" "$work/nstat.txt"

# The listener: Recv-Q 0 (the echo app accepts at once), Send-Q the backlog.
grep -Eq "^LISTEN +0 +$backlog +[0-9.]+:80 " "$work/ss_after.txt" \
  || fail "taptcp ss -l does not show the listener on :80 with Recv-Q 0 and Send-Q $backlog"
echo "ok: ss -l shows LISTEN 0 $backlog on :80"
# The SYN queue: backlog + 1 requests, before and after the flood ended (they live ~63 s).
for f in summary_during summary_after; do
  grep -Eq "^SYN_RECV +$((backlog + 1))\$" "$work/$f.txt" \
    || fail "$f: expected SYN_RECV $((backlog + 1)) (requests > max_ack_backlog = full), got: $(grep SYN_RECV "$work/$f.txt" || echo none)"
done
echo "ok: SYN_RECV $((backlog + 1)) during and after the flood"
expect_counter TcpExtSyncookiesSent -gt 0
expect_counter TcpExtTCPReqQFullDoCookies -gt 0
[ "$(counter TcpExtSyncookiesSent)" = "$(counter TcpExtTCPReqQFullDoCookies)" ] \
  || fail "TcpExtSyncookiesSent and TcpExtTCPReqQFullDoCookies differ (with tcp_syncookies=1 each cookie is for a full SYN queue)"
expect_counter TcpExtTCPReqQFullDrop -eq 0
expect_counter TcpExtListenOverflows -eq 0
expect_counter TcpExtListenDrops -eq 0
expect_counter TcpExtSyncookiesRecv -eq 1
expect_counter TcpExtSyncookiesFailed -eq 0
expect_counter TcpPassiveOpens -eq 1

stop_serve
serve_says "app echo: accepted 1, closed 1, open 0, read 10000 B, wrote 10000 B"
echo "ok: synflood against serve --backlog $backlog"
