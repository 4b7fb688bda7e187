"""The remote host 192.0.2.2 that record-linux.sh plays against the Linux kernel.

The peer owns the TAP device's file descriptor: every frame the kernel sends to 192.0.2.2 comes
to this process and nowhere else, and every frame the peer writes reaches the kernel as if it had
arrived on a wire. There is no second TCP stack, so the kernel never sees a stray RST from one; the
peer is a script that crafts each segment with scapy, field by field.

A Session is one scenario's recording: the capture (both directions, the kernel's timestamps), the
kernel-side socket calls the scenario makes (with their times and results), and the packets a
scenario declares as deliberate taptcp deviations. `taptcp replay` reads what it writes.
"""

import errno
import fcntl
import json
import logging
import os
import select
import socket
import struct
import time

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.layers.inet import IP, TCP  # noqa: E402  (after silencing scapy's import chatter)
from scapy.layers.l2 import ARP, Ether  # noqa: E402
from scapy.packet import Raw  # noqa: E402

DUT_IP = "192.0.2.1"
DUT_MAC = "02:54:41:50:00:01"
PEER_IP = "192.0.2.2"
PEER_MAC = "02:54:41:50:00:02"

# linux/if_tun.h, linux/if_ether.h, linux/if_packet.h, asm-generic/socket.h
TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)

# Every wait is bounded: no scenario may hang the recorder.
MAX_WAIT_S = 10.0
MAX_FRAMES = 10000

# The peer's own TCP options, laid out as Linux lays out a SYN's (tcp_options_write).
SYN_OPTIONS_FULL = "full"
SYN_OPTIONS_NONE = "none"
SYN_OPTIONS_NO_TIMESTAMPS = "no-timestamps"  # MSS, SACK-permitted, window scale: no TSval to
                                             # carry a SYN cookie's options (cookie_init_timestamp)


class RecorderError(Exception):
    """A scenario did not see what it expected from the kernel."""


def seq_add(a, b):
    return (a + b) & 0xFFFFFFFF


def seq_after(a, b):
    """a > b in sequence space (RFC 9293 §3.4)."""
    return 0 < ((a - b) & 0xFFFFFFFF) < 0x80000000


class Tap:
    """The TAP device record-linux.sh created (persistent, addressed, up), seen two ways.

    The peer attaches to it as its owner (TUNSETIFF on /dev/net/tun): frames written to that fd
    reach the kernel as if from a wire, and the kernel's frames queue on it. The capture comes
    from an AF_PACKET socket on the same device instead, as tcpdump's would: it sees both
    directions in the kernel's order, stamped by the kernel (SO_TIMESTAMPNS) when the kernel sent
    or received each frame, so a busy python process cannot skew the timeline.
    """

    def __init__(self, name):
        self.fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
        ifr = struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI)
        fcntl.ioctl(self.fd, TUNSETIFF, ifr)
        self.cap = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.cap.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.cap.bind((name, 0))
        self.cap.setblocking(False)

    def write(self, frame):
        os.write(self.fd, frame)

    def _drain_fd(self):
        """The kernel's frames also queue on the TAP fd; the capture already has them."""
        for _ in range(1000):
            try:
                os.read(self.fd, 65536)
            except BlockingIOError:
                return

    def _captured(self):
        try:
            frame, ancdata, _, addr = self.cap.recvmsg(65536, socket.CMSG_SPACE(16))
        except BlockingIOError:
            return None
        t = time.time()
        for level, kind, data in ancdata:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= 16:
                sec, nsec = struct.unpack("qq", data[:16])
                t = sec + nsec / 1e9
        return frame, t, addr[2] == PACKET_OUTGOING

    def read(self, timeout):
        """(frame, kernel timestamp, sent by the kernel) or None if nothing came in `timeout` s."""
        item = self._captured()
        if item is not None:
            return item
        ready, _, _ = select.select([self.fd, self.cap], [], [], max(0.0, timeout))
        if self.fd in ready:
            self._drain_fd()
        return self._captured()

    def close(self):
        self.cap.close()
        os.close(self.fd)


class Segment:
    """A TCP segment the kernel sent, as the peer reads it."""

    def __init__(self, number, t, tcp, payload_len):
        self.number = number  # frame number in the capture, 1-based as Wireshark counts
        self.t = t
        self.port = tcp.dport  # the peer's port: which of the scenario's connections
        self.flags = str(tcp.flags)
        self.seq = tcp.seq
        self.ack = tcp.ack
        self.window = tcp.window
        self.len = payload_len
        self.options = dict((k, v) for k, v in tcp.options if k not in ("NOP", "EOL"))

    def end_seq(self):
        extra = (1 if "S" in self.flags else 0) + (1 if "F" in self.flags else 0)
        return seq_add(self.seq, self.len + extra)

    def has(self, flags):
        return all(f in self.flags for f in flags)

    def __repr__(self):
        return f"#{self.number} {self.flags} seq {self.seq} ack {self.ack} len {self.len}"


class Session:
    """One scenario: capture, app calls, description."""

    def __init__(self, tap, name, peer_port, dut_port):
        self.tap = tap
        self.name = name
        self.peer_port = peer_port
        self.dut_port = dut_port
        self.frames = []  # (wall time, bytes)
        self.calls = []
        self.deviations = []
        self.received = []  # kernel segments for this scenario, in order
        self.cursor = 0  # received[cursor:] are not yet claimed by expect()
        self.peer = None  # the first Peer: the one a single-connection scenario talks through
        self.peers = {}  # peer port -> Peer, for scenarios that open several connections
        self.recording = True
        self.end_time = None

    # --- capture ---------------------------------------------------------------------------

    def _record(self, frame, t):
        if not self.recording:
            return 0
        if len(self.frames) >= MAX_FRAMES:
            raise RecorderError(f"{self.name}: more than {MAX_FRAMES} frames")
        self.frames.append((t, bytes(frame)))
        return len(self.frames)

    def _ours(self, eth, from_kernel):
        """Frames of this scenario: ARP about the peer, TCP on one of the scenario's peer ports."""
        if ARP in eth:
            return eth[ARP].pdst == PEER_IP if from_kernel else eth[ARP].psrc == PEER_IP
        if IP not in eth or TCP not in eth:
            return False
        ip, tcp = eth[IP], eth[TCP]
        ports = self.peers.keys() | {self.peer_port}
        if from_kernel:
            return ip.src == DUT_IP and ip.dst == PEER_IP and tcp.dport in ports
        return ip.src == PEER_IP and ip.dst == DUT_IP and tcp.sport in ports

    def _handle(self, frame, t, from_kernel):
        eth = Ether(frame)
        if not self._ours(eth, from_kernel):
            return None  # IPv6 noise or a previous scenario's socket: not part of this capture
        number = self._record(frame, t)
        if number == 0 or not from_kernel:
            return None  # the peer's own frame, or one after the recording (teardown RSTs)
        if ARP in eth:
            if eth[ARP].op == 1:  # who-has 192.0.2.2: answer (RFC 826)
                reply = (Ether(src=PEER_MAC, dst=eth.src) /
                         ARP(op=2, hwsrc=PEER_MAC, psrc=PEER_IP, hwdst=eth[ARP].hwsrc,
                             pdst=eth[ARP].psrc))
                self.send_frame(bytes(reply))
            return None
        tcp = eth[TCP]
        payload = len(bytes(tcp.payload)) if tcp.payload else 0
        seg = Segment(number, t, tcp, payload)
        self.received.append(seg)
        peer = self.peers.get(seg.port)
        if peer is not None:
            peer.on_kernel_segment(seg)
        return seg

    def send_frame(self, frame):
        """Writes a peer frame; the capture records it when the kernel has received it."""
        self.tap.write(frame)

    def poll(self, seconds):
        """Records frames for `seconds` (at least one non-blocking pass); returns the kernel's
        TCP segments among them."""
        deadline = time.time() + min(seconds, MAX_WAIT_S)
        got = []
        while True:
            item = self.tap.read(deadline - time.time())
            if item is None:
                if time.time() >= deadline:
                    return got
                continue
            seg = self._handle(*item)
            if seg is not None:
                got.append(seg)

    def wait(self, seconds):
        self.poll(seconds)

    def expect(self, flags, timeout=2.0, length=None, port=None):
        """The kernel's next segment with exactly `flags` (and `length` bytes if given, to the
        peer port `port` if given) not yet claimed by an earlier expect(), waiting for it if it
        has not arrived yet."""
        deadline = time.time() + min(timeout, MAX_WAIT_S)
        while True:
            for i in range(self.cursor, len(self.received)):
                seg = self.received[i]
                if (set(seg.flags) == set(flags) and (length is None or seg.len == length) and
                        (port is None or seg.port == port)):
                    self.cursor = i + 1
                    return seg
            left = deadline - time.time()
            if left <= 0:
                raise RecorderError(f"{self.name}: expected a segment with flags {flags!r}"
                                    f" from the kernel; got {self.received[-3:]}")
            self.poll(min(left, 0.05))

    def expect_silence(self, seconds, port):
        """Nothing from the kernel to peer port `port` for `seconds`: what a scenario shows when
        the kernel drops a segment on purpose (a SYN to a full accept queue)."""
        start = len(self.received)
        self.poll(seconds)
        spoken = [seg for seg in self.received[start:] if seg.port == port]
        if spoken:
            raise RecorderError(f"{self.name}: expected no segment to port {port} for "
                                f"{seconds} s; got {spoken}")

    def deviation(self, seg, why):
        """Marks a kernel segment where taptcp differs from Linux on purpose."""
        self.deviations.append({"packet": seg.number, "why": why})

    # --- the description -------------------------------------------------------------------

    def write_pcap(self, path):
        with open(path, "wb") as f:
            # Classic pcap (not pcapng): microsecond stamps, LINKTYPE_ETHERNET, tcpdump's snaplen.
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
            for t, frame in self.frames:
                sec, usec = int(t), int(round((t - int(t)) * 1e6))
                if usec >= 1000000:
                    sec, usec = sec + 1, usec - 1000000
                f.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)))
                f.write(frame)

    def write(self, out_dir, meta):
        if not self.frames:
            raise RecorderError(f"{self.name}: nothing was captured")
        t0 = self.frames[0][0]
        self.write_pcap(os.path.join(out_dir, self.name + ".pcap"))
        desc = dict(meta)
        desc["calls"] = [dict(c, t=round(c["t"] - t0, 6)) for c in self.calls]
        desc["end"] = round(self.end_time - t0, 6)
        desc["deviations"] = self.deviations
        with open(os.path.join(out_dir, self.name + ".json"), "w") as f:
            json.dump(desc, f, indent=1)
            f.write("\n")


class App:
    """The kernel's socket calls, made in the namespace and logged for the replay.

    Sockets are non-blocking, like taptcp's socket API, and each call happens at a scripted
    moment when its outcome is settled (accept after the handshake, recv after the data), so
    the replay can make the same call at the same time and compare the results.
    """

    def __init__(self, session, congestion_control):
        self.s = session
        self.socks = {}
        self.cc = congestion_control.encode()

    def _call(self, sock, call, fn, **args):
        t = time.time()
        try:
            result = fn()
        except OSError as e:
            result = errno.errorcode.get(e.errno, str(e.errno))
        entry = {"t": t, "sock": sock, "call": call}
        entry.update(args)
        entry["result"] = result
        self.s.calls.append(entry)
        self.s.poll(0)  # stamp what the call made the kernel send right away
        return result

    def socket(self, name):
        def do():
            sk = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sk.setblocking(False)
            sk.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, self.cc)
            self.socks[name] = sk
            return 0
        return self._call(name, "socket", do)

    def setsockopt(self, name, level, opt, value):
        levels = {"SOL_SOCKET": socket.SOL_SOCKET, "IPPROTO_TCP": socket.IPPROTO_TCP}
        sk = self.socks[name]
        return self._call(name, "setsockopt",
                          lambda: sk.setsockopt(levels[level], getattr(socket, opt), value) or 0,
                          level=level, name=opt, value=value)

    def bind(self, name, port):
        sk = self.socks[name]
        return self._call(name, "bind", lambda: sk.bind((DUT_IP, port)) or 0, port=port)

    def listen(self, name, backlog):
        sk = self.socks[name]
        return self._call(name, "listen", lambda: sk.listen(backlog) or 0, backlog=backlog)

    def accept(self, name, new_name):
        sk = self.socks[name]

        def do():
            child, _ = sk.accept()
            child.setblocking(False)
            if child.getsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, 16).rstrip(b"\0") != self.cc:
                raise RecorderError(f"{self.s.name}: accepted socket lost {self.cc}")
            self.socks[new_name] = child
            return 0
        return self._call(name, "accept", do, **{"as": new_name})

    def connect(self, name, ip, port):
        sk = self.socks[name]
        return self._call(name, "connect", lambda: sk.connect((ip, port)) or 0, ip=ip, port=port)

    def send(self, name, nbytes):
        sk = self.socks[name]
        return self._call(name, "send", lambda: sk.send(b"x" * nbytes), bytes=nbytes)

    def recv(self, name, nbytes):
        sk = self.socks[name]
        return self._call(name, "recv", lambda: len(sk.recv(nbytes)), bytes=nbytes)

    def shutdown(self, name, how):
        sk = self.socks[name]
        return self._call(name, "shutdown", lambda: sk.shutdown(getattr(socket, how)) or 0,
                          how=how)

    def close(self, name):
        sk = self.socks.pop(name)
        return self._call(name, "close", lambda: sk.close() or 0)

    def abort_all(self):
        """After the recording: RST everything left (SO_LINGER 0), unrecorded."""
        for sk in self.socks.values():
            try:
                sk.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
            sk.close()
        self.socks.clear()


class Peer:
    """The scripted remote TCP: it remembers only what a script needs to write the next segment.

    snd_nxt is the peer's own next sequence number; kernel_nxt the end of the kernel's sequence
    space seen so far (what an ACK of everything says); ts_recent the kernel's latest TSval, echoed
    in TSecr (RFC 7323 §4.3).
    """

    def __init__(self, session, isn=1000000, ts_base=700000, wscale=7, timestamps=True,
                 port=None):
        self.s = session
        # A scenario with several connections makes one Peer per port; the first is session.peer.
        self.port = session.peer_port if port is None else port
        if self.port in session.peers:
            raise RecorderError(f"{session.name}: two peers on port {self.port}")
        session.peers[self.port] = self
        if session.peer is None:
            session.peer = self
        self.isn = isn
        self.snd_nxt = isn
        self.kernel_nxt = None
        self.kernel_isn = None
        self.ts_recent = 0
        self.ts_base = ts_base
        self.wscale = wscale
        self.timestamps = timestamps
        self.start = time.time()

    def on_kernel_segment(self, seg):
        if "S" in seg.flags:
            self.kernel_isn = seg.seq
        end = seg.end_seq()
        if self.kernel_nxt is None or seq_after(end, self.kernel_nxt):
            self.kernel_nxt = end
        if "Timestamp" in seg.options:
            self.ts_recent = seg.options["Timestamp"][0]

    def tsval(self):
        return (self.ts_base + int((time.time() - self.start) * 1000)) & 0xFFFFFFFF

    def _options(self, syn_options):
        if syn_options == SYN_OPTIONS_NONE:
            return []
        if syn_options == SYN_OPTIONS_FULL:
            return [("MSS", 1460), ("SAckOK", b""), ("Timestamp", (self.tsval(), self.ts_recent)),
                    ("NOP", None), ("WScale", self.wscale)]
        if syn_options == SYN_OPTIONS_NO_TIMESTAMPS:
            return [("MSS", 1460), ("NOP", None), ("NOP", None), ("SAckOK", b""), ("NOP", None),
                    ("WScale", self.wscale)]
        if self.timestamps:
            return [("NOP", None), ("NOP", None), ("Timestamp", (self.tsval(), self.ts_recent))]
        return []

    def send(self, flags, length=0, seq=None, ack=None, window=65535, syn_options=None,
             advance=True):
        """Writes one segment to the kernel. seq defaults to snd_nxt, ack to kernel_nxt."""
        seq = self.snd_nxt if seq is None else seq
        if ack is None:
            ack = self.kernel_nxt if "A" in flags else 0
        tcp = TCP(sport=self.port, dport=self.s.dut_port, flags=flags, seq=seq,
                  ack=ack or 0, window=window, options=self._options(syn_options))
        pkt = Ether(src=PEER_MAC, dst=DUT_MAC) / IP(src=PEER_IP, dst=DUT_IP, id=0) / tcp
        if length:
            pkt = pkt / Raw(b"p" * length)
        self.s.send_frame(bytes(pkt))
        if advance:
            used = length + (1 if "S" in flags else 0) + (1 if "F" in flags else 0)
            if seq == self.snd_nxt:
                self.snd_nxt = seq_add(self.snd_nxt, used)
        self.s.poll(0)

    # The usual steps, by name.
    def syn(self, syn_options=SYN_OPTIONS_FULL):
        self.send("S", syn_options=syn_options)

    def ack(self, **kw):
        self.send("A", **kw)

    def data(self, length, **kw):
        self.send("PA", length=length, **kw)

    def fin(self, **kw):
        self.send("FA", **kw)
