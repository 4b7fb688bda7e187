#!/usr/bin/env bash
# `taptcp serve` and `taptcp connect` flag errors: each is one line on stderr that names the flag
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
[ $failures = 0 ] || exit 1
echo "ok: every flag error is one line naming the flag and its values"
