#!/usr/bin/env bash
# `taptcp replay` on the command line: 0 for a capture taptcp matches, 1 with a DIFF row for a
# doctored one, 2 with one line naming the file for inputs it cannot use (no argument, a missing
# or truncated capture, a non-Ethernet link type, a missing or malformed description).
#   replay_cli_test.sh TAPTCP PCAPS_LINUX_DIR
set -u
taptcp=$1
captures=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; [ -f "$work/out" ] && { echo "--- output:"; cat "$work/out"; }; exit 1; }
base=closed_port_syn  # the simplest exchange: SYN to a closed port, RST+ACK back
[ -f "$captures/$base.pcap" ] || fail "$captures/$base.pcap is missing (pcaps/record-linux.sh makes it)"

# expect_error RC_FILE_PATTERN ARGS...: exit 2 and exactly one line on stderr mentioning the pattern.
expect_error() {
  local want=$1; shift
  "$taptcp" replay "$@" >"$work/out" 2>"$work/err"
  local rc=$?
  [ $rc = 2 ] || fail "taptcp replay $*: exit $rc, expected 2"
  [ "$(wc -l <"$work/err")" = 1 ] || fail "taptcp replay $*: expected one line on stderr, got: $(cat "$work/err")"
  grep -qF -- "$want" "$work/err" || fail "taptcp replay $*: error does not mention '$want': $(cat "$work/err")"
}

expect_error "expected one capture"
expect_error "$work/none.pcap" "$work/none.pcap"

cp "$captures/$base.pcap" "$work/nojson.pcap"
expect_error "$work/nojson.json: cannot open the description" "$work/nojson.pcap"

cp "$captures/$base.pcap" "$work/badjson.pcap"
printf '{"dut": {"ip": "192.0.2.1",' >"$work/badjson.json"
expect_error "$work/badjson.json: not valid JSON" "$work/badjson.pcap"

size=$(stat -c %s "$captures/$base.pcap")
head -c $((size - 5)) "$captures/$base.pcap" >"$work/short.pcap"
cp "$captures/$base.json" "$work/short.json"
expect_error "$work/short.pcap" "$work/short.pcap"

# LINKTYPE_RAW (101): IPv4 without Ethernet.
printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x04\x00\x65\x00\x00\x00' >"$work/raw.pcap"
cp "$captures/$base.json" "$work/raw.json"
expect_error "Ethernet captures only" "$work/raw.pcap"

# The real capture passes, and --pcap writes what taptcp saw and sent.
"$taptcp" replay --pcap "$work/taptcp.pcap" "$captures/$base.pcap" >"$work/out" 2>&1 ||
  fail "taptcp replay $base.pcap exited $?"
grep -q "^PASS$" "$work/out" || fail "no PASS line"
[ "$(stat -c %s "$work/taptcp.pcap")" -gt 24 ] || fail "--pcap wrote no frames"

# Doctored: Linux's RST+ACK acknowledges one more byte than the SYN had.
cp "$captures/$base.json" "$work/doctored.json"
python3 - "$captures/$base.pcap" "$work/doctored.pcap" <<'PY' || fail "could not doctor the capture"
import struct, sys
data = bytearray(open(sys.argv[1], "rb").read())
pos, n = 24, 0
while pos + 16 <= len(data):
    caplen = struct.unpack_from("<I", data, pos + 8)[0]
    frame = pos + 16
    n += 1
    if data[frame + 6:frame + 12] == bytes.fromhex("025441500001"):  # the DUT's frame
        ack = frame + 14 + 20 + 8
        struct.pack_into(">I", data, ack, (struct.unpack_from(">I", data, ack)[0] + 1) & 0xFFFFFFFF)
    pos = frame + caplen
open(sys.argv[2], "wb").write(data)
PY
"$taptcp" replay "$work/doctored.pcap" >"$work/out" 2>&1
rc=$?
[ $rc = 1 ] || fail "doctored capture: exit $rc, expected 1"
grep -Eq "^ +2 .*R\. 0 ack 2 .*R\. 0 ack 1 .*DIFF: ack 2 vs 1$" "$work/out" || fail "no DIFF row for packet 2"
grep -q "^FAIL: 1 unexplained difference$" "$work/out" || fail "no FAIL line"
echo "ok"
