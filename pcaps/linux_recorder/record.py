#!/usr/bin/python3
"""Records the Linux kernel's TCP in every scenario of scenarios.py (or those named).

Run by pcaps/record-linux.sh inside the network namespace it created, with the TAP device it
created there (the kernel at 192.0.2.1/24). For each scenario this writes OUT/NAME.pcap and
OUT/NAME.json, the description `taptcp replay` configures taptcp from.
"""

import argparse
import os
import platform
import subprocess
import sys
import time

from scenarios import SCENARIOS
from tap_peer import (DUT_IP, DUT_MAC, PEER_IP, PEER_MAC, App, Peer, RecorderError, Session,
                      Tap)

# The knobs that shape these scenarios and that taptcp has under the same names. Their values in
# the namespace go into each description, so the replay configures taptcp exactly as the kernel
# was configured.
KNOBS = [
    "net.core.somaxconn",
    "net.ipv4.ip_default_ttl",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.tcp_timestamps",
    "net.ipv4.tcp_sack",
    "net.ipv4.tcp_window_scaling",
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem",
    "net.ipv4.tcp_congestion_control",
    "net.ipv4.tcp_syn_retries",
    "net.ipv4.tcp_synack_retries",
    "net.ipv4.tcp_syn_linear_timeouts",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.tcp_max_syn_backlog",
    "net.ipv4.tcp_retries2",
    "net.ipv4.tcp_orphan_retries",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_invalid_ratelimit",
    "net.ipv4.tcp_challenge_ack_limit",
    "net.ipv4.tcp_rfc1337",
    "net.ipv4.tcp_abort_on_overflow",
]

# Every socket the scenarios make uses CUBIC, taptcp's default: a namespace inherits the host's
# default congestion control (bbr on the recording machine), and may only switch its default to
# one the host allows (tcp_set_default_congestion_control), so App.socket() sets it per socket
# with TCP_CONGESTION (root may pick any) and the description says cubic.
CONGESTION_CONTROL = "cubic"
COMMON_SYSCTLS = {}

# Set in the kernel only, for every scenario.
COMMON_KERNEL_ONLY = [
    {"name": "TCP_CONGESTION", "value": CONGESTION_CONTROL, "socket_option": True,
     "why": "set on each kernel socket, not as net.ipv4.tcp_congestion_control: a namespace "
            "may only default to a congestion control the host allows"},
    {"name": "net.ipv4.tcp_no_metrics_save", "value": "1",
     "why": "taptcp keeps no per-destination metrics (tcp_metrics); without this the kernel "
            "would start each scenario with the RTT and ssthresh of the one before"},
]


def sysctl_path(name):
    return "/proc/sys/" + name.replace(".", "/")


def read_sysctl(name):
    with open(sysctl_path(name)) as f:
        return " ".join(f.read().split())


def write_sysctl(name, value):
    try:
        with open(sysctl_path(name), "w") as f:
            f.write(value)
    except OSError as e:
        raise RecorderError(f"cannot set {name} = {value}: {e.strerror}") from e


def run(sc, tap, out_dir, defaults):
    for name, value in defaults.items():
        write_sysctl(name, value)
    settings = dict(COMMON_SYSCTLS)
    settings.update(sc.sysctls)
    kernel_only = COMMON_KERNEL_ONLY + sc.kernel_only
    for name, value in settings.items():
        write_sysctl(name, value)
    for k in kernel_only:
        if not k.get("socket_option"):
            write_sysctl(k["name"], k["value"])
    subprocess.run(["ip", "tcp_metrics", "flush", "all"], check=False,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    s = Session(tap, sc.name, sc.peer_port, sc.dut_port)
    app = App(s, CONGESTION_CONTROL)
    peer = Peer(s)
    try:
        sc.fn(s, app, peer)
    except RecorderError:
        s.write_pcap(os.path.join(out_dir, sc.name + ".failed.pcap"))
        raise
    finally:
        s.end_time = time.time()
        s.recording = False
        app.abort_all()
        s.poll(0.02)
        for k in kernel_only:
            name = k["name"]
            if name in defaults:
                write_sysctl(name, defaults[name])
    sysctls = {name: read_sysctl(name) for name in KNOBS}
    sysctls["net.ipv4.tcp_congestion_control"] = CONGESTION_CONTROL
    meta = {
        "format": 1,
        "name": sc.name,
        "summary": sc.summary,
        "details": sc.details,
        "recorded_by": "pcaps/record-linux.sh",
        "linux": platform.release(),
        "dut": {"ip": DUT_IP, "mac": DUT_MAC, "mtu": 1500},
        "peer": {"ip": PEER_IP, "mac": PEER_MAC},
        "sysctls": sysctls,
        "kernel_only_sysctls": kernel_only,
        "tolerance_ms": sc.tolerance_ms,
        "compare_window": sc.compare_window,
    }
    if sc.tolerance_why:
        meta["tolerance_why"] = sc.tolerance_why
    if sc.replay_notes:
        meta["replay_notes"] = sc.replay_notes
    s.write(out_dir, meta)
    return len(s.frames)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dev", required=True, help="the TAP device record-linux.sh created")
    parser.add_argument("--out", required=True, help="directory for NAME.pcap and NAME.json")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.add_argument("names", nargs="*", help="scenarios to record (default: all)")
    args = parser.parse_args()
    if args.list:
        for sc in SCENARIOS:
            print(f"{sc.name:26} {sc.summary}")
        return 0
    known = {sc.name: sc for sc in SCENARIOS}
    for n in args.names:
        if n not in known:
            print(f"record-linux: unknown scenario '{n}' (--list shows them)", file=sys.stderr)
            return 2
    chosen = [known[n] for n in args.names] if args.names else SCENARIOS
    os.makedirs(args.out, exist_ok=True)
    # Baseline knob values, restored before each scenario so scenarios do not leak settings.
    names = set(COMMON_SYSCTLS)
    for sc in chosen:
        names |= set(sc.sysctls)
    for k in COMMON_KERNEL_ONLY + [k for sc in chosen for k in sc.kernel_only]:
        if not k.get("socket_option"):
            names.add(k["name"])
    defaults = {n: read_sysctl(n) for n in sorted(names)}
    tap = Tap(args.dev)
    start = time.time()
    try:
        for sc in chosen:
            t = time.time()
            frames = run(sc, tap, args.out, defaults)
            print(f"recorded {sc.name}: {frames} frames in {time.time() - t:.2f} s")
    except RecorderError as e:
        print(f"record-linux: {e}", file=sys.stderr)
        return 1
    finally:
        tap.close()
    print(f"recorded {len(chosen)} scenarios in {time.time() - start:.1f} s into {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
