#!/usr/bin/env bash
# `taptcp serve`, `taptcp connect` and `taptcp synflood` flag errors: each is one line on stderr that names the flag
# and its valid values, with exit status 2, before any device is touched (so no root needed).
# Usage: apps_flags_test.sh TAPTCP
set -u
taptcp=$1
failures=0

# expect ARGS... -- TEXT: the command exits 2 with exactly one line, containing TEXT.
expect() {
  local args=() text
  while [ "$1" != -- ]; do args+=("$1"); shift; done
  text=$2
  local out rc
  out=$("$taptcp" "${args[@]}" 2>&1 >/dev/null)
  rc=$?
  if [ $rc != 2 ] || [ "$(printf '%s\n' "$out" | wc -l)" != 1 ] || [[ "$out" != *"$text"* ]]; then
    echo "FAIL: taptcp ${args[*]}: exit $rc, said: $out"
    echo "      expected exit 2 and one line containing: $text"
    failures=$((failures + 1))
  else
    echo "ok: taptcp ${args[*]} -> $out"
  fi
}

all_apps="expected echo, discard, http, hold, noaccept, close, linger0, unread-close, write-close:N (N bytes, then close) or shutdown-wr"
expect serve --port 7 --app bogus -- "taptcp serve: bad --app 'bogus': $all_apps"
expect serve --port 7 --app write-close -- "bad --app 'write-close': $all_apps"
expect serve --port 7 --app write-close:-5 -- "bad --app 'write-close:-5'"
expect serve --port 70000 -- "bad --port 70000: expected 0..65535"
expect serve --port 7 --backlog -1 -- "bad --backlog -1: expected 0 or more"
expect connect --to nowhere -- "bad --to 'nowhere': expected IP:PORT like 192.0.2.1:7"
expect connect --to 192.0.2.1:7 --send 5 --data x -- "bad --data: give --send N or --data STR, not both"
expect connect --to 192.0.2.1:7 --send -1 -- "bad --send -1: expected a byte count >= 0"
expect connect --to 192.0.2.1:7 --data '\q' -- "bad --data: Unknown escape sequence"
expect connect --to 192.0.2.1:7 --shutdown half -- "bad --shutdown 'half': expected wr (half-close after sending, the default), rd, rdwr or none"
expect connect --to 192.0.2.1:7 --linger 5 -- "bad --linger 5: expected 0 (SO_LINGER {1, 0}: close sends RST) or -1 (off)"
expect connect --to 192.0.2.1:7 --count 0 -- "bad --count 0: expected 1..10000000"
expect connect --to 192.0.2.1:7 --parallel 0 -- "bad --parallel 0: expected 1..65535"
expect connect --to 192.0.2.1:7 --timeout 0 -- "bad --timeout 0: expected seconds >= 1"
# synflood: its TEST-NET-only refusals and bounds, all before any socket is opened.
flood="--dev tflnone --to 192.0.2.2:80"
expect synflood --to 192.0.2.2:80 --count 1 -- "taptcp synflood: --dev NAME is required"
expect synflood --dev tflnone --to 192.0.2.2 --count 1 -- "bad --to '192.0.2.2': expected IP:PORT like 192.0.2.2:80"
expect synflood --dev tflnone --to 8.8.8.8:80 --count 1 -- "refusing --to 8.8.8.8: only 192.0.2.0/24 and 198.51.100.0/24"
expect synflood $flood --count 1 --src 10.0.0.0/8 -- "refusing --src 10.0.0.0/8: sources must lie in 192.0.2.0/24 or 198.51.100.0/24"
expect synflood $flood --count 1 --src 198.51.0.0/16 -- "refusing --src 198.51.0.0/16"
expect synflood $flood --count 1 --src 192.0.2.2/32 -- "bad --src 192.0.2.2/32: it holds no address but --to's own"
expect synflood $flood -- "--count N is required: how many SYNs, 1..10000000"
expect synflood $flood --count 0 -- "bad --count 0: expected 1..10000000"
expect synflood $flood --count 10000001 -- "bad --count 10000001: expected 1..10000000"
expect synflood $flood --count 1 --rate 0 -- "bad --rate 0: expected SYNs per second, 1..10000000"
expect synflood $flood --count 1 --max_seconds 0 -- "bad --max_seconds 0: expected 0 < S <= 600"
expect synflood $flood --count 1 --dst_mac zz -- "bad --dst_mac 'zz'"

# Every subcommand's --help names its own flags, and pkt and replay also the --pcap and --sysctl
# they share with the stack-running commands.
for cmd in serve connect demo ss nstat pkt replay synflood sysctl; do
  help=$("$taptcp" "$cmd" --help 2>&1)
  if [[ "$help" != *"taptcp $cmd: "* ]]; then
    echo "FAIL: taptcp $cmd --help does not start with its summary"; failures=$((failures + 1))
  fi
done
for cmd in serve connect demo pkt replay; do
  help=$("$taptcp" "$cmd" --help 2>&1)
  if [[ "$help" != *"--pcap"* || "$help" != *"--sysctl"* ]]; then
    echo "FAIL: taptcp $cmd --help does not list --pcap and --sysctl"; failures=$((failures + 1))
  else
    echo "ok: taptcp $cmd --help lists --pcap and --sysctl"
  fi
done

[ $failures = 0 ] || exit 1
echo "ok: every flag error is one line naming the flag and its values"
