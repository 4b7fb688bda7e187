#!/usr/bin/env bash
# Interop: `taptcp serve --app http` on port 80 with curl and the kernel's sockets as clients:
# GET / and /bytes/N (body and Content-Length checked, N bytes compared by SHA-256), HEAD,
# keep-alive (curl reuses one connection for three URLs), Connection: close (taptcp's FIN first,
# then no RST), 404 and 405, and the requests curl will not send (400, 431, 505, pipelining,
# HTTP/1.0 keep-alive; apps_kernel.py http-raw). tshark dissects the capture as HTTP: every
# response code it sees is expected, nothing malformed, no bad checksum.
# Usage: apps_http_test.sh TAPTCP. Exit 77 = skipped.
set -u
taptcp=$1
. "$(dirname "$0")/apps_lib.sh"
apps_require curl tshark
apps_setup http
export PORT=80
url=http://192.0.2.2
start_serve --app http

# curl in the namespace, bounded; -sS: errors only. Retries while taptcp attaches.
kcurl() { timeout 20 ip netns exec "$apps_ns" curl -sS --max-time 10 --retry 3 --retry-connrefused "$@"; }

kcurl -D "$work/h1" -o "$work/b1" "$url/" 2>>"$work/curl.log" || fail "curl GET /"
grep -q "^HTTP/1.1 200 OK" "$work/h1" || fail "GET /: $(head -1 "$work/h1")"
greeting="Hello from taptcp, a userspace TCP/IPv4 stack."
[ "$(cat "$work/b1")" = "$greeting" ] || fail "GET / body: $(head -c 80 "$work/b1")"
grep -qi "^Content-Length: $(stat -c %s "$work/b1")" "$work/h1" || fail "GET /: Content-Length does not match the body"
echo "GET /: 200, $(stat -c %s "$work/b1") bytes, Content-Length matches"

kcurl -D "$work/h2" -o "$work/b2" "$url/bytes/1000000" 2>>"$work/curl.log" || fail "curl GET /bytes"
grep -qi "^Content-Length: 1000000" "$work/h2" || fail "GET /bytes/1000000: no Content-Length: 1000000"
want=$("$python" "$kernel_py" payload-sha256 1000000)
got=$(sha256sum "$work/b2" | cut -d' ' -f1)
[ "$got" = "$want" ] || fail "GET /bytes/1000000: body differs from the stream (sha256 $got)"
echo "GET /bytes/1000000: 200, the stream's 1000000 bytes (sha256 equal)"

kcurl -I -o "$work/h3" "$url/bytes/777" 2>>"$work/curl.log" || fail "curl HEAD"
grep -q "^HTTP/1.1 200 OK" "$work/h3" && grep -qi "^Content-Length: 777" "$work/h3" \
  || fail "HEAD /bytes/777: $(tr -d '\r' <"$work/h3" | head -5 | tr '\n' '|')"
echo "HEAD /bytes/777: 200, Content-Length: 777, no body"

# Keep-alive: three URLs, one connection.
codes=$(kcurl -v -o /dev/null -o /dev/null -o /dev/null -w '%{http_code} ' \
  "$url/" "$url/bytes/10" "$url/nothing-here" 2>"$work/curl-v.log") || fail "curl keep-alive"
[ "$codes" = "200 200 404 " ] || fail "keep-alive: codes '$codes', expected '200 200 404 '"
reused=$(grep -c "Re-using existing connection" "$work/curl-v.log")
[ "$reused" = 2 ] || fail "keep-alive: curl reused the connection $reused times, expected 2"
echo "keep-alive: 200 200 404 over one connection (curl reused it twice)"

code=$(kcurl -o /dev/null -w '%{http_code}' -X POST -d 'some body' "$url/" 2>>"$work/curl.log")
[ "$code" = 405 ] || fail "POST: $code, expected 405"
echo "POST /: 405"

kcurl -D "$work/h4" -o /dev/null -H "Connection: close" "$url/" 2>>"$work/curl.log" || fail "curl close"
grep -qi "^Connection: close" "$work/h4" || fail "Connection: close not echoed"
echo "Connection: close: answered with Connection: close"

kernel 30 http-raw || fail "raw HTTP: $(grep FAIL "$work/kernel.log" | head -1)"
cat "$work/kernel.log"
stop_serve
grep "app http:" "$work/serve.log"
serve_says "16 HTTP requests, 0 closed idle"
serve_says "app http: accepted 11, closed 11, open 0"

# What tshark's HTTP dissector saw, in order, and that nothing was malformed.
codes=$(tshark -r "$work/taptcp.pcap" -Y http.response -T fields -e http.response.code 2>/dev/null | tr '\n' ' ')
want="200 200 200 200 200 404 405 200 400 431 505 200 200 404 200 404 "
# tshark 4.0 does not know the pipelined 404 answers a HEAD: it waits for a body that never comes
# and does not list that response. Either way is right.
want_tshark40="200 200 200 200 200 404 405 200 400 431 505 200 200 200 404 "
[ "$codes" = "$want" ] || [ "$codes" = "$want_tshark40" ] \
  || fail "tshark's HTTP responses: '$codes', expected '$want'"
echo "tshark: HTTP responses $codes"
rst=$(tshark -r "$work/taptcp.pcap" -Y "ip.src == 192.0.2.2 && tcp.flags.reset == 1" 2>/dev/null | wc -l)
[ "$rst" = 0 ] || fail "$rst RSTs from taptcp: every close of its own should be a FIN"
tshark_clean "$work/taptcp.pcap"
echo "ok: serve --app http"
