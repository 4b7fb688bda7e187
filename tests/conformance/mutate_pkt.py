#!/usr/bin/env python3
"""Proves every check of every conformance script can fail (DESIGN.md: no test that cannot fail).

    mutate_pkt.py TAPTCP SCRIPT.pkt...

For each script that passes, each line that checks something is broken in turn, and `taptcp pkt`
must then fail at that line:
  - a `>` packet: its ack number, else its window, else its sequence numbers, else its MSS option
    is changed; and, separately, its time is moved later;
  - a system call: its expected result is changed (an fd from socket() or accept() to -1, since
    any fd matches one), and the end time of a `...` call is moved.
Scripts marked taptcp-deviation fail already and are skipped. Exits 1 listing every mutation the
script survived.
"""
import os
import re
import subprocess
import sys
import tempfile

TIME = re.compile(r"^(\s*)(\+?)(\d*\.?\d+)(\s)")
END_TIME = re.compile(r"\.\.\.(\d*\.?\d+)(\s)")


def strip_comment(line):
    return line.split("//", 1)[0]


def later(text):
    """A time far enough past `text` to fall outside any tolerance (max 12.5% + 4 ms)."""
    return "%g" % (float(text) * 1.25 + 0.25)


def packet_mutation(line):
    body = strip_comment(line)
    m = re.search(r"\back (\d+)", body)
    if m:
        return line[: m.start(1)] + str(int(m.group(1)) + 1) + line[m.end(1):], "ack"
    m = re.search(r"\bwin (\d+)", body)
    if m:
        return line[: m.start(1)] + str(int(m.group(1)) + 1) + line[m.end(1):], "window"
    m = re.search(r"(\d+):(\d+)\((\d+)\)", body)
    # The flags follow the direction, the ip info and a SPORT>DPORT pair naming the connection.
    words = re.sub(r"^[^<>]*[<>]\s*([\[(][^\])]*[\])]\s*)?(\d+>\d+\s+)?", "", body).split()
    flags = words[0] if words else ""
    if m and "S" not in flags:
        a, b = int(m.group(1)) + 1, int(m.group(2)) + 1
        return line[: m.start()] + "%d:%d(%s)" % (a, b, m.group(3)) + line[m.end():], "seq"
    m = re.search(r"\bmss (\d+)", body)
    if m:
        return line[: m.start(1)] + str(int(m.group(1)) + 1) + line[m.end(1):], "mss"
    return None, None


def result_mutation(line, returns_fd):
    body = strip_comment(line)
    m = re.search(r"\)\s*=\s*(-?\d+|0x[0-9a-fA-F]+)", body)
    if not m:
        return None
    value = int(m.group(1), 0)
    new = -1 if returns_fd and value >= 0 else (value + 1 if value != -1 else 0)
    return line[: m.start(1)] + str(new) + line[m.end(1):]


def time_mutation(line):
    m = TIME.match(line)
    if not m:
        return None
    return line[: m.start(3)] + later(m.group(3)) + line[m.end(3):]


def end_time_mutation(line):
    m = END_TIME.search(strip_comment(line))
    if not m:
        return None
    return line[: m.start(1)] + later(m.group(1)) + line[m.end(1):]


def mutations(lines):
    for i, line in enumerate(lines):
        body = strip_comment(line).strip()
        if not body or body.startswith("--") or body.startswith("`"):
            continue
        # What follows the event's time (and a blocking call's ...END).
        rest = re.sub(r"^(\*|\+?\d*\.?\d+(~\+?\d*\.?\d+)?)\s*", "", body)
        rest = re.sub(r"^\.\.\.\d*\.?\d+\s*", "", rest)
        blocking = bool(re.match(r"^(\*|\+?\d*\.?\d+)?\s*\.\.\.", body))
        if rest.startswith(">"):
            mutated, what = packet_mutation(line)
            if mutated:
                yield i, mutated, "%s of the packet" % what
            if TIME.match(line):
                yield i, time_mutation(line), "time of the packet"
        elif "(" in rest and "=" in rest and not rest.startswith("<"):
            mutated = result_mutation(line, re.match(r"^(socket|accept)\(", rest) is not None)
            if mutated:
                yield i, mutated, "result of the call"
            if blocking:
                yield i, end_time_mutation(line), "end time of the call"


def first_error_line(output, path):
    m = re.search(re.escape(path) + r":(\d+)(?::\d+)?: error: ", output)
    return int(m.group(1)) if m else None


def run(taptcp, path):
    p = subprocess.run([taptcp, "pkt", path], capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout + p.stderr


def main():
    taptcp, scripts = sys.argv[1], sys.argv[2:]
    survivors, checked = [], 0
    for script in scripts:
        text = open(script).read()
        if "// taptcp-deviation:" in text:
            continue
        rc, out = run(taptcp, script)
        if rc != 0:
            survivors.append("%s: does not pass unmutated:\n%s" % (script, out))
            continue
        lines = text.split("\n")
        for i, mutated, what in mutations(lines):
            copy = list(lines)
            copy[i] = mutated
            with tempfile.NamedTemporaryFile("w", suffix=".pkt", delete=False) as f:
                f.write("\n".join(copy))
                tmp = f.name
            try:
                rc, out = run(taptcp, tmp)
                at = first_error_line(out, tmp)
            finally:
                os.unlink(tmp)
            checked += 1
            if rc == 0 or at != i + 1:
                survivors.append("%s:%d: changing the %s to `%s` %s" % (
                    script, i + 1, what, mutated.strip(),
                    "still passes" if rc == 0 else "fails elsewhere:\n" + out))
    for s in survivors:
        print("SURVIVED: " + s)
    print("mutate_pkt: %d mutations of %d scripts, %d survived" % (checked, len(scripts),
                                                                   len(survivors)))
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
