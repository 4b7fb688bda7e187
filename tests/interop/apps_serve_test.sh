#!/usr/bin/env bash
# Interop: `taptcp serve --app MODE` with the Linux kernel as the client, one mode per run.
# The kernel side (apps_kernel.py) drives the exchange and checks with `ss` the state its socket
# is left in by each close order (TIME-WAIT when the kernel closed first, CLOSE-WAIT then gone
# when taptcp did, FIN-WAIT-2 against hold/noaccept, no TIME-WAIT after taptcp's RST). Then the
# capture: the packets the mode must produce (tshark fields) and no malformed packet or bad
# checksum (tshark -V). Usage: apps_serve_test.sh TAPTCP MODE. Exit 77 = skipped.
set -u
taptcp=$1
mode=$2
. "$(dirname "$0")/apps_lib.sh"
apps_require tshark
apps_setup "$mode"

app=$mode
[ "$mode" = write-close ] && app=write-close:${WRITE_BYTES:=300000} && export WRITE_BYTES
start_serve --app "$app"
kernel 40 client "$mode" || fail "kernel client: $(grep FAIL "$work/kernel.log" | head -1)"
stop_serve
cat "$work/kernel.log"
grep "app $app:" "$work/serve.log"

case $mode in
  echo|discard|close|write-close|shutdown-wr)
    serve_says "app $app: accepted 1, closed 1, open 0" ;;
  linger0)
    serve_says "TcpExtTCPAbortOnData 1"; serve_says "app $app: accepted 1, closed 1" ;;
  unread-close)
    serve_says "TcpExtTCPAbortOnClose 1"; serve_says "app $app: accepted 1, closed 1, open 0, read 0 B" ;;
  hold)
    serve_says "app $app: accepted 1, closed 0, open 1, read 0 B" ;;
  noaccept)
    serve_says "app $app: accepted 0, closed 0, open 0, read 0 B" ;;
esac
serve_says "TcpPassiveOpens $([ "$mode" = noaccept ] && echo 2 || echo 1)"

: >"$work/kernel.log"
kernel 60 capture "$mode" "$work/taptcp.pcap" || fail "capture: $(grep FAIL "$work/kernel.log" | head -1)"
cat "$work/kernel.log"
tshark_clean "$work/taptcp.pcap"
echo "ok: serve --app $app"
