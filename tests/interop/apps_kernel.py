#!/usr/bin/env python3
"""The Linux kernel's side of the apps interop tests (tests/interop/apps_*.sh), run inside the
test's namespace, where the kernel is 192.0.2.1 and taptcp is 192.0.2.2.

  apps_kernel.py client MODE           the kernel as the client of `taptcp serve --app MODE`:
                                       drives the exchange and checks, with ss, the state the
                                       kernel's socket is left in after each close order
  apps_kernel.py capture MODE PCAP     checks the packets taptcp put in the capture for MODE
  apps_kernel.py echo-server PORT N    an echo server for N connections (many at once)
  apps_kernel.py first-server PORT B   for one connection: send B bytes of the stream, close first
  apps_kernel.py load-seq COUNT        COUNT sequential short echo exchanges with taptcp
  apps_kernel.py load-par COUNT        COUNT connections open at once, then an echo on each
  apps_kernel.py http-raw              HTTP/1.1 requests curl will not send (malformed, oversized,
                                       pipelined) against `serve --app http`
  apps_kernel.py payload-sha256 N      the SHA-256 of the first N bytes of the stream

Every wait is bounded; every failure is one line starting with FAIL and exit status 1.
"""
import hashlib
import os
import selectors
import socket
import subprocess
import sys
import time

TAPTCP = ("192.0.2.2", int(os.environ.get("PORT", "7")))
MASK = (1 << 64) - 1


def fail(msg):
    print(f"FAIL: {msg}", flush=True)
    sys.exit(1)


def payload(n, offset=0):
    """Bytes offset..offset+n-1 of apps/payload.h's stream."""
    out = bytearray(n)
    for i in range(n):
        x = ((offset + i + 0x9E3779B97F4A7C15) * 0xBF58476D1CE4E5B9) & MASK
        out[i] = (x ^ (x >> 31)) & 0xFF
    return bytes(out)


def connect(addr=TAPTCP, deadline_s=10):
    """A connected socket. Retries (bounded) only while nobody answers or taptcp refuses: a
    connection reset right after the handshake is a result, not a reason to connect again."""
    deadline = time.time() + deadline_s
    while True:
        try:
            s = socket.create_connection(addr, timeout=5)
            s.settimeout(10)
            return s
        except (ConnectionRefusedError, socket.timeout):
            if time.time() > deadline:
                raise
            time.sleep(0.05)


def ss_state(tup):
    """(state as ss names it: 'ESTAB', 'TIME-WAIT'..., Recv-Q, Send-Q) for a 4-tuple, or None."""
    local, peer = tup
    out = subprocess.run(["ss", "-tanH"], capture_output=True, text=True, timeout=10).stdout
    want_local, want_peer = f"{local[0]}:{local[1]}", f"{peer[0]}:{peer[1]}"
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 5 and f[3] == want_local and f[4] == want_peer:
            return f[0], int(f[1]), int(f[2])  # state, Recv-Q, Send-Q
    return None


def wait_state(tup, want, what, timeout_s=5):
    """Waits until ss shows the 4-tuple in state `want` (None: gone); returns the last row."""
    deadline = time.time() + timeout_s
    row = ss_state(tup)
    while (row[0] if row else None) != want and time.time() < deadline:
        time.sleep(0.02)
        row = ss_state(tup)
    got = row[0] if row else None
    if got != want:
        fail(f"{what}: the kernel's socket is {got or 'gone'}, expected {want or 'gone'}")
    print(f"kernel {what}: {want or 'gone (no TIME-WAIT)'}")
    return row


def tuple_of(s):
    return s.getsockname(), s.getpeername()


def recv_all(s, limit=1 << 26):
    got = bytearray()
    while len(got) < limit:
        b = s.recv(1 << 16)
        if not b:
            return bytes(got)
        got += b
    fail("more data than expected")


def expect_reset(s, what):
    try:
        while s.recv(1 << 16):
            pass
    except ConnectionResetError:
        print(f"kernel {what}: recv raised ECONNRESET")
        return
    fail(f"{what}: expected ECONNRESET, got EOF")


# --- the kernel as the client of each `serve --app` mode -----------------------------------------

def client_echo():
    s = connect()
    t = tuple_of(s)
    data = os.urandom(300_000)
    s.sendall(data)
    s.shutdown(socket.SHUT_WR)  # the kernel's FIN first
    back = recv_all(s)
    if hashlib.sha256(back).digest() != hashlib.sha256(data).digest():
        fail(f"echo differs: sent {len(data)}, got {len(back)}")
    print(f"echoed {len(back)} bytes, sha256 equal")
    s.close()
    wait_state(t, "TIME-WAIT", "closed first, then taptcp closed")


def client_discard():
    s = connect()
    t = tuple_of(s)
    s.sendall(os.urandom(1 << 20))
    s.shutdown(socket.SHUT_WR)
    if recv_all(s) != b"":
        fail("discard sent data back")
    s.close()
    wait_state(t, "TIME-WAIT", "closed first, then taptcp closed")


def client_hold():
    s = connect()
    s.sendall(b"never read")
    t = tuple_of(s)
    s.close()  # taptcp ACKs the FIN and holds: CLOSE_WAIT there, FIN_WAIT2 here
    wait_state(t, "FIN-WAIT-2", "closed against hold")
    time.sleep(1)
    wait_state(t, "FIN-WAIT-2", "1 s later, still")


def client_noaccept():
    # A connection that fills taptcp's receive buffer: nobody reads, the window closes.
    s = connect()
    t = tuple_of(s)
    s.setblocking(False)
    sent, deadline = 0, time.time() + 5
    chunk = b"z" * 65536
    while time.time() < deadline:
        try:
            sent += s.send(chunk)
        except BlockingIOError:
            time.sleep(0.05)
            row = ss_state(t)
            if row and row[2] > 0 and time.time() > deadline - 3:
                break
    row = ss_state(t)
    if row is None or row[0] != "ESTAB" or row[2] == 0:
        fail(f"noaccept: expected ESTAB with unsent data queued, ss shows {row}")
    print(f"kernel sent {sent} bytes, {row[2]} still queued (Send-Q): taptcp's window is closed")
    # Nothing comes back and nothing closes.
    s.setblocking(True)
    s.settimeout(0.3)
    try:
        if s.recv(1) == b"":
            fail("noaccept: taptcp closed the connection")
        fail("noaccept: taptcp sent data")
    except socket.timeout:
        pass
    # A second connection closed at once: FIN_WAIT2 here, CLOSE_WAIT in taptcp's accept queue.
    s2 = connect()
    t2 = tuple_of(s2)
    s2.close()
    wait_state(t2, "FIN-WAIT-2", "closed against noaccept")
    s.close()


def client_close():
    s = connect()
    t = tuple_of(s)
    if recv_all(s) != b"":  # taptcp's FIN first
        fail("close sent data")
    wait_state(t, "CLOSE-WAIT", "after taptcp closed first")
    s.close()
    wait_state(t, None, "after closing second (LAST-ACK, then gone)")


def client_linger0():
    # taptcp resets right after the handshake, so the RST may already be there when connect()
    # looks at SO_ERROR: bind first to know the 4-tuple either way.
    s = socket.socket()
    s.bind(("192.0.2.1", 0))
    t = (s.getsockname(), TAPTCP)
    s.settimeout(10)
    try:
        s.connect(TAPTCP)
    except ConnectionResetError:
        print("kernel linger0: connect() saw the handshake complete, then ECONNRESET")
    else:
        expect_reset(s, "linger0")
    s.close()
    wait_state(t, None, "after taptcp's RST")


def client_unread_close():
    s = connect()
    t = tuple_of(s)
    time.sleep(0.2)
    if ss_state(t)[0] != "ESTAB":
        fail("unread-close closed before any data came")
    s.sendall(b"hello, nobody reads this")
    expect_reset(s, "unread-close")
    s.close()
    wait_state(t, None, "after taptcp's RST")


def client_write_close():
    n = int(os.environ.get("WRITE_BYTES", "300000"))
    s = connect()
    t = tuple_of(s)
    got = recv_all(s)
    if got != payload(n):
        fail(f"write-close: got {len(got)} bytes, expected the {n}-byte stream")
    print(f"read {n} bytes of the stream, then EOF")
    wait_state(t, "CLOSE-WAIT", "after taptcp's FIN")
    s.close()
    wait_state(t, None, "after closing second")


def client_shutdown_wr():
    s = connect()
    t = tuple_of(s)
    if recv_all(s) != b"":  # taptcp's FIN right after the handshake
        fail("shutdown-wr sent data")
    wait_state(t, "CLOSE-WAIT", "after taptcp's shutdown(SHUT_WR)")
    s.sendall(os.urandom(200_000))  # taptcp still reads
    deadline = time.time() + 5
    while ss_state(t)[2] != 0 and time.time() < deadline:
        time.sleep(0.02)
    if ss_state(t)[2] != 0:
        fail("shutdown-wr: taptcp did not acknowledge all the data")
    print("taptcp acknowledged all 200000 bytes after its FIN")
    s.close()
    wait_state(t, None, "after closing second")


# --- what each mode must have put on the wire -----------------------------------------------------

def segments(pcap):
    fields = ["ip.src", "tcp.srcport", "tcp.dstport", "tcp.flags", "tcp.seq", "tcp.ack",
              "tcp.len", "tcp.window_size", "tcp.stream"]
    cmd = ["tshark", "-r", pcap, "-Y", "tcp", "-T", "fields", "-E", "separator=,"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        fail(f"tshark: {out.stderr.strip()[:200]}")
    segs = []
    for line in out.stdout.splitlines():
        v = line.split(",")
        flags = int(v[3], 16)
        segs.append(dict(taptcp=v[0] == TAPTCP[0], sport=int(v[1]), dport=int(v[2]),
                         syn=bool(flags & 2), fin=bool(flags & 1), rst=bool(flags & 4),
                         seq=int(v[4]), ack=int(v[5]), len=int(v[6]),
                         win=int(v[7]) if v[7] else None, stream=int(v[8])))
    return segs


def first(segs, pred):
    return next((i for i, s in enumerate(segs) if pred(s)), None)


def check(cond, msg):
    if not cond:
        fail(msg)
    print(f"capture: {msg}")


def capture_checks(mode, pcap):
    segs = segments(pcap)
    check(segs, f"{len(segs)} TCP segments")
    streams = sorted({s["stream"] for s in segs})
    s0 = [s for s in segs if s["stream"] == streams[0]]
    t_fin = first(s0, lambda s: s["taptcp"] and s["fin"])
    k_fin = first(s0, lambda s: not s["taptcp"] and s["fin"])
    t_rst = first(s0, lambda s: s["taptcp"] and s["rst"])
    # taptcp's RSTs. (The kernel may send one, rarely: if taptcp is slow to ACK the kernel's FIN
    # it is retransmitted, and taptcp's duplicate ACK can arrive after the kernel's LAST-ACK
    # ended, which draws an RST as any segment to no socket does.)
    any_rst = first(segs, lambda s: s["rst"] and s["taptcp"])
    syn = first(s0, lambda s: not s["taptcp"] and s["syn"])
    synack = first(s0, lambda s: s["taptcp"] and s["syn"])
    ack = first(s0, lambda s: not s["taptcp"] and not s["syn"] and s["ack"] == 1)
    check(None not in (syn, synack, ack) and syn < synack < ack,
          "the handshake completed (SYN, SYN-ACK, ACK)")
    if mode in ("echo", "discard"):
        check(k_fin is not None and t_fin is not None and k_fin < t_fin,
              "the kernel's FIN came first, taptcp's after")
        check(any_rst is None, "no RST from taptcp")
    elif mode == "close":
        check(t_fin is not None and (k_fin is None or t_fin < k_fin), "taptcp's FIN came first")
        check(all(s["len"] == 0 for s in s0 if s["taptcp"]), "taptcp sent no data")
        check(any_rst is None, "no RST from taptcp")
    elif mode == "linger0":
        check(t_rst is not None and t_fin is None, "taptcp sent RST and no FIN")
    elif mode == "unread-close":
        k_data = first(s0, lambda s: not s["taptcp"] and s["len"] > 0)
        check(k_data is not None and t_rst is not None and k_data < t_rst and t_fin is None,
              "the kernel's data, then taptcp's RST (close with unread data), no FIN")
    elif mode == "write-close":
        n = int(os.environ.get("WRITE_BYTES", "300000"))
        data = sum(s["len"] for s in s0 if s["taptcp"])
        check(data >= n, f"taptcp sent {data} bytes of data (N = {n}, retransmissions included)")
        check(t_fin is not None and s0[t_fin]["seq"] + s0[t_fin]["len"] == n + 1,
              f"taptcp's FIN right after byte N (relative seq {n + 1})")
        check(k_fin is None or t_fin < k_fin, "taptcp's FIN first")
        check(any_rst is None, "no RST from taptcp")
    elif mode == "shutdown-wr":
        k_data = first(s0, lambda s: not s["taptcp"] and s["len"] > 0)
        check(t_fin is not None and k_data is not None and t_fin < k_data,
              "taptcp's FIN came before the kernel's data")
        acks = [s["ack"] for s in s0[t_fin:] if s["taptcp"]]
        check(max(acks) == 200_000 + 2, "taptcp went on ACKing: its last ACK covers all 200000 "
              "bytes and the kernel's FIN")
        check(any_rst is None, "no RST from taptcp")
    elif mode == "hold":
        check(k_fin is not None and t_fin is None, "the kernel's FIN, and none from taptcp")
        check(s0[-1]["taptcp"] and s0[-1]["ack"] == s0[k_fin]["seq"] + 1,
              "taptcp acknowledged the kernel's FIN")
        check(any_rst is None, "no RST from taptcp")
    elif mode == "noaccept":
        wins = [s["win"] for s in s0 if s["taptcp"] and not s["syn"]]
        check(all(a >= b for a, b in zip(wins, wins[1:])), "taptcp's window never grew")
        check(wins and wins[-1] == 0, f"taptcp's window shrank to zero ({wins[0]} -> 0)")
        check(all(s["len"] == 0 for s in s0 if s["taptcp"]), "taptcp sent no data")
        check(t_fin is None and any_rst is None, "taptcp sent no FIN and no RST")
        s1 = [s for s in segs if s["stream"] == streams[1]]
        check(first(s1, lambda s: not s["taptcp"] and s["fin"]) is not None and
              first(s1, lambda s: s["taptcp"] and s["fin"]) is None,
              "second connection: the kernel's FIN, none from taptcp (it was never accepted)")
    else:
        fail(f"no capture checks for mode {mode}")


# --- the kernel as the server of `taptcp connect` ------------------------------------------------

def echo_server(port, count, first_bytes=None):
    """Serves `count` connections with many at once (selectors). With first_bytes it does not
    echo: it sends that many bytes of the stream and closes first. Reports resets and the peak
    number of connections open together."""
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("192.0.2.1", port))
    ls.listen(1024)
    ls.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(ls, selectors.EVENT_READ)
    print("listening", flush=True)
    done = resets = peak = total = 0
    open_ = {}
    deadline = time.time() + 50
    while done < count and time.time() < deadline:
        for key, _ in sel.select(timeout=0.5):
            if key.fileobj is ls:
                while True:
                    try:
                        c, _ = ls.accept()
                    except BlockingIOError:
                        break
                    if first_bytes is not None:
                        c.settimeout(10)
                        c.sendall(payload(first_bytes))
                        c.close()  # the kernel's FIN first
                        done += 1
                        continue
                    c.setblocking(False)
                    open_[c] = bytearray()
                    sel.register(c, selectors.EVENT_READ)
                    peak = max(peak, len(open_))
                continue
            c = key.fileobj
            try:
                b = c.recv(1 << 16)
            except ConnectionResetError:
                b, resets = None, resets + 1
            if b:
                total += len(b)
                c.setblocking(True)
                c.settimeout(10)
                c.sendall(b)
                c.setblocking(False)
                continue
            sel.unregister(c)
            c.close()
            del open_[c]
            done += 1
    print(f"kernel server: {done} connections, peak {peak} open at once, {total} bytes echoed, "
          f"{resets} reset", flush=True)
    if done < count:
        fail(f"kernel server: only {done} of {count} connections ended in time")


# --- the kernel as many clients of `taptcp serve --app echo` ---------------------------------------

def echo_once(s, msg, what):
    s.settimeout(10)
    s.sendall(msg)
    s.shutdown(socket.SHUT_WR)
    if recv_all(s) != msg:
        fail(f"{what}: wrong echo")
    s.close()


def load_seq(count):
    """`count` short connections one after another: connect, 100 bytes, half-close, the echo,
    close. The kernel closes first each time, so it keeps the TIME-WAITs."""
    start, deadline = time.time(), time.time() + 50
    msg = os.urandom(100)
    echo_once(connect(), msg, "connection 0")  # retries while taptcp attaches
    for i in range(1, count):
        if time.time() > deadline:
            fail(f"only {i} of {count} sequential connections within 50 s")
        echo_once(socket.create_connection(TAPTCP, timeout=5), msg, f"connection {i}")
    secs = time.time() - start
    tw = subprocess.run(["ss", "-tanH", "state", "time-wait"], capture_output=True, text=True,
                        timeout=10).stdout.count("192.0.2.2:")
    print(f"{count} sequential connections echoed in {secs:.2f} s ({count / secs:.0f} conn/s); "
          f"the kernel holds {tw} TIME-WAITs")
    if tw != count:
        fail(f"expected {count} TIME-WAITs on the kernel's side (it closed first), ss shows {tw}")


def load_par(count):
    """`count` connections all open at once (the handshakes first), then an echo on each."""
    start = time.time()
    socks = [connect()]
    for _ in range(1, count):
        socks.append(socket.create_connection(TAPTCP, timeout=5))
    estab = subprocess.run(["ss", "-tanH", "state", "established"], capture_output=True,
                           text=True, timeout=10).stdout.count("192.0.2.2:")
    print(f"{count} connections open at once (ss: {estab} established to taptcp)")
    if estab != count:
        fail(f"expected {count} established connections, ss shows {estab}")
    msgs = [os.urandom(1000) for _ in socks]
    for s, m in zip(socks, msgs):
        s.settimeout(10)
        s.sendall(m)
        s.shutdown(socket.SHUT_WR)
    for i, (s, m) in enumerate(zip(socks, msgs)):
        if recv_all(s) != m:
            fail(f"connection {i}: wrong echo")
        s.close()
    print(f"{count} concurrent connections echoed in {time.time() - start:.2f} s")


# --- HTTP requests curl does not make ------------------------------------------------------------

def http_exchange(raw, what):
    """Sends `raw`, reads until taptcp's FIN; a reset fails (the lingering close must avoid it)."""
    s = connect()
    s.sendall(raw)
    try:
        got = recv_all(s)
    except ConnectionResetError:
        fail(f"{what}: ECONNRESET; the answer must arrive intact, then a FIN")
    s.close()
    return got


def http_raw():
    greeting = b"Hello from taptcp, a userspace TCP/IPv4 stack.\n"
    got = http_exchange(b"GARBAGE\r\n\r\n", "malformed")
    if not got.startswith(b"HTTP/1.1 400 Bad Request\r\n") or b"Connection: close\r\n" not in got:
        fail(f"malformed request: {got[:60]!r}")
    print("malformed request: 400 and close")
    # An oversized head: 431, and what the client still sends is read and dropped, so no RST.
    got = http_exchange(b"GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + b"b" * 100_000 + b"\r\n\r\n",
                        "oversized")
    if not got.startswith(b"HTTP/1.1 431 "):
        fail(f"oversized request: {got[:60]!r}")
    print("100 kB request head: 431, then FIN (no RST)")
    got = http_exchange(b"GET / HTTP/2.0\r\nHost: a\r\n\r\n", "HTTP/2.0")
    if not got.startswith(b"HTTP/1.1 505 "):
        fail(f"HTTP/2.0 request: {got[:60]!r}")
    print("HTTP/2.0 in text: 505")
    # Three pipelined requests in one segment, the last asking to close.
    req = (b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"
           b"GET /bytes/5000 HTTP/1.1\r\nHost: a\r\n\r\n"
           b"HEAD /missing HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
    got = http_exchange(req, "pipelined")
    one = (b"HTTP/1.1 200 OK\r\nServer: taptcp\r\nContent-Type: text/plain\r\n"
           b"Content-Length: %d\r\n\r\n" % len(greeting) + greeting)
    two = (b"HTTP/1.1 200 OK\r\nServer: taptcp\r\nContent-Type: application/octet-stream\r\n"
           b"Content-Length: 5000\r\n\r\n" + payload(5000))
    three = (b"HTTP/1.1 404 Not Found\r\nServer: taptcp\r\nContent-Type: text/plain\r\n"
             b"Content-Length: 14\r\nConnection: close\r\n\r\n")
    if got != one + two + three:
        fail(f"pipelined answers differ: {len(got)} bytes, starting {got[:80]!r}")
    print("3 pipelined requests: 200, 200 (5000 bytes of the stream), 404 to HEAD, then close")
    # HTTP/1.0 with keep-alive: the connection stays open for a second request.
    s = connect()
    s.sendall(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(4096)
    if b"Connection: keep-alive\r\n" not in head:
        fail(f"HTTP/1.0 keep-alive: {head[:100]!r}")
    s.sendall(b"GET /x HTTP/1.0\r\n\r\n")
    rest = recv_all(s)
    if b"HTTP/1.1 404 " not in rest:
        fail(f"HTTP/1.0 second request: {rest[:80]!r}")
    s.close()
    print("HTTP/1.0 keep-alive: two requests on one connection, closed after the second")


def main():
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "client":
        globals()["client_" + sys.argv[2].replace("-", "_")]()
    elif cmd == "capture":
        capture_checks(sys.argv[2], sys.argv[3])
    elif cmd == "echo-server":
        echo_server(int(sys.argv[2]), int(sys.argv[3]))
    elif cmd == "first-server":
        echo_server(int(sys.argv[2]), 1, first_bytes=int(sys.argv[3]))
    elif cmd == "load-seq":
        load_seq(int(sys.argv[2]))
    elif cmd == "load-par":
        load_par(int(sys.argv[2]))
    elif cmd == "http-raw":
        http_raw()
    elif cmd == "payload-sha256":
        print(hashlib.sha256(payload(int(sys.argv[2]))).hexdigest())
        return
    else:
        fail(f"usage: {sys.argv[0]} client|capture|echo-server|first-server|load-seq|load-par ...")
    print("ok", flush=True)


if __name__ == "__main__":
    main()
