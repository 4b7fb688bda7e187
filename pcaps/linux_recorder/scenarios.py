"""The scenarios record-linux.sh plays against the Linux kernel, one capture each.

Each function is one scenario: `s` is the Session (capture, waits, expectations), `app` makes the
kernel-side socket calls, `peer` writes the remote host's segments. Timing is scripted with small
fixed pauses so a capture reads like a textbook exchange and the replay sees the same timeline.
The kernel is at 192.0.2.1 (the device under test), the peer at 192.0.2.2.
"""

from tap_peer import SYN_OPTIONS_FULL, SYN_OPTIONS_NONE, seq_add

SCENARIOS = []

# Timer wheels round a timeout up to their level's granularity: the kernel's (HZ=250 on the
# recording machine: 4 ms ticks) by up to 32 ms for timers of 256 ms..2 s (calc_wheel_index),
# taptcp's (1 ms ticks) by up to 64 ms beyond 512 ms. Retransmission timelines need that much room.
RTO_TOLERANCE_WHY = ("RTO timers run on timer wheels that round up to the level's granularity: "
                     "Linux HZ=250 by up to 32 ms for 0.26-2 s, taptcp by up to 64 ms above "
                     "0.5 s; the python peer adds up to a few ms of read latency")


class Scenario:
    def __init__(self, fn, peer_port, dut_port, tolerance_ms, tolerance_why, compare_window,
                 sysctls, kernel_only):
        self.fn = fn
        self.name = fn.__name__
        doc = (fn.__doc__ or "").strip().splitlines()
        self.summary = doc[0] if doc else self.name
        self.details = " ".join(line.strip() for line in doc[1:] if line.strip())
        self.peer_port = peer_port
        self.dut_port = dut_port
        self.tolerance_ms = tolerance_ms
        self.tolerance_why = tolerance_why
        self.compare_window = compare_window
        self.sysctls = sysctls or {}
        self.kernel_only = kernel_only or []


def scenario(peer_port, dut_port, tolerance_ms=10, tolerance_why=None, compare_window="syn",
             sysctls=None, kernel_only=None):
    """Registers a scenario. sysctls apply to both Linux and taptcp; kernel_only entries
    ({"name", "value", "why"}) configure only the kernel, to keep a feature taptcp does not
    have out of the capture."""
    def wrap(fn):
        SCENARIOS.append(Scenario(fn, peer_port, dut_port, tolerance_ms, tolerance_why,
                                  compare_window, sysctls, kernel_only))
        return fn
    return wrap


def open_passive(s, app, peer, syn_options=SYN_OPTIONS_FULL):
    """listen(); the peer's three-way handshake; accept()."""
    app.socket("listener")
    app.setsockopt("listener", "SOL_SOCKET", "SO_REUSEADDR", 1)
    app.bind("listener", s.dut_port)
    app.listen("listener", 8)
    s.wait(0.02)
    peer.syn(syn_options)
    s.expect("SA")
    s.wait(0.005)
    peer.ack()
    s.wait(0.01)
    app.accept("listener", "conn")


@scenario(peer_port=40001, dut_port=8081)
def passive_open_options(s, app, peer):
    """Passive open with MSS, SACK-permitted, timestamps and window scale; data both ways; the peer closes first.

    The SYN-ACK answers every option (tcp_synack_options); the first data is acknowledged at
    once (quick-ack at connection start); the reply is ACKed by the peer; the peer's FIN moves
    the kernel to CLOSE_WAIT and is ACKed at once; close() sends the kernel's FIN (LAST_ACK),
    which the peer ACKs.
    """
    open_passive(s, app, peer)
    s.wait(0.02)
    peer.data(200)
    s.expect("A")
    s.wait(0.02)
    app.recv("conn", 4096)
    s.wait(0.01)
    app.send("conn", 300)
    s.expect("PA", length=300)
    s.wait(0.005)
    peer.ack()
    s.wait(0.03)
    peer.fin()
    s.expect("A")
    s.wait(0.02)
    app.recv("conn", 4096)
    app.close("conn")
    s.expect("FA")
    s.wait(0.005)
    peer.ack()
    s.wait(0.1)
    app.close("listener")


@scenario(peer_port=40002, dut_port=8082)
def passive_open_no_options(s, app, peer):
    """Passive open from a peer that offers no options; data both ways; the peer closes first.

    Without the peer's options the kernel's SYN-ACK carries only its MSS (no SACK, timestamps
    or window scale: RFC 7323 §2.2 and §3.2, RFC 2018 §2), later segments carry no options,
    and the peer's MSS is taken as 536 (RFC 9293 §3.7.1).
    """
    peer.timestamps = False
    open_passive(s, app, peer, syn_options=SYN_OPTIONS_NONE)
    s.wait(0.02)
    peer.data(100)
    s.expect("A")
    s.wait(0.02)
    app.recv("conn", 4096)
    app.send("conn", 100)
    s.expect("PA", length=100)
    s.wait(0.005)
    peer.ack()
    s.wait(0.03)
    peer.fin()
    s.expect("A")
    s.wait(0.02)
    app.recv("conn", 4096)
    app.close("conn")
    s.expect("FA")
    s.wait(0.005)
    peer.ack()
    s.wait(0.1)
    app.close("listener")


@scenario(peer_port=9003, dut_port=50003)
def active_open(s, app, peer):
    """Active open from the kernel: SYN options, the ACK of the SYN-ACK, data, the kernel closes.

    The SYN offers MSS, SACK-permitted, timestamps and window scale (tcp_syn_options); the
    SYN-ACK is acknowledged at once (tcp_rcv_synsent_state_process); data goes both ways; the
    kernel closes first and ends in TIME_WAIT after the peer's FIN.
    """
    app.socket("conn")
    app.bind("conn", s.dut_port)
    app.connect("conn", "192.0.2.2", s.peer_port)
    s.expect("S")
    s.wait(0.005)
    peer.send("SA", syn_options=SYN_OPTIONS_FULL)
    s.expect("A")
    s.wait(0.02)
    app.send("conn", 100)
    s.expect("PA", length=100)
    s.wait(0.005)
    peer.data(50)
    s.expect("A")
    s.wait(0.02)
    app.recv("conn", 4096)
    app.close("conn")
    s.expect("FA")
    s.wait(0.005)
    peer.fin()
    s.expect("A")
    s.wait(0.1)


@scenario(peer_port=40004, dut_port=8084)
def closed_port_syn(s, app, peer):
    """A SYN to a port with no listener is answered with RST+ACK.

    RFC 9293 §3.10.7.1 and tcp_v4_send_reset: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>.
    """
    s.wait(0.01)
    peer.syn()
    s.expect("RA")
    s.wait(0.1)


@scenario(peer_port=40005, dut_port=8085)
def closed_port_ack(s, app, peer):
    """An ACK to a port with no socket is answered with a bare RST whose sequence is the ACK's.

    RFC 9293 §3.10.7.1 and tcp_v4_send_reset: <SEQ=SEG.ACK><CTL=RST>.
    """
    peer.kernel_nxt = 3000000
    s.wait(0.01)
    peer.ack()
    s.expect("R")
    s.wait(0.1)


@scenario(peer_port=40006, dut_port=8086)
def delayed_ack(s, app, peer):
    """Twenty small segments 60 ms apart: quick ACKs first, then delayed ACKs.

    At the start of a connection Linux acknowledges every segment at once (TCP_MAX_QUICKACKS,
    16: tcp_incr_quickack, tcp_in_quickack_mode); after that a lone segment smaller than a full
    one waits for the delayed-ACK timer (TCP_DELACK_MIN, 40 ms: tcp_send_delayed_ack).
    """
    open_passive(s, app, peer)
    s.wait(0.02)
    for _ in range(20):
        peer.data(100)
        s.wait(0.06)
    s.wait(0.1)
    app.recv("conn", 4096)
    s.wait(0.05)


@scenario(peer_port=40007, dut_port=8087)
def out_of_order_sack(s, app, peer):
    """A hole in the peer's data: immediate duplicate ACKs with SACK blocks, then the full ACK.

    Out-of-order data is acknowledged at once with a SACK block for what arrived above the hole
    (RFC 5681 §4.2, RFC 2018 §4; tcp_data_queue_ofo); the segment that fills the hole is
    acknowledged at once too (tcp_data_queue: the queue drained).
    """
    open_passive(s, app, peer)
    s.wait(0.02)
    base = peer.snd_nxt
    peer.data(100)
    s.expect("A")
    s.wait(0.03)
    peer.data(100, seq=seq_add(base, 200), advance=False)
    s.expect("A")
    s.wait(0.03)
    peer.data(100, seq=seq_add(base, 300), advance=False)
    s.expect("A")
    s.wait(0.03)
    peer.data(100, seq=seq_add(base, 100), advance=False)
    peer.snd_nxt = seq_add(base, 400)
    s.expect("A")
    s.wait(0.05)
    app.recv("conn", 4096)
    s.wait(0.05)


@scenario(peer_port=40008, dut_port=8088)
def rst_in_window(s, app, peer):
    """A RST inside the window but not at RCV.NXT draws a challenge ACK; one at RCV.NXT resets.

    RFC 5961 §3.2 (tcp_validate_incoming, tcp_send_challenge_ack): the challenge ACK tells a
    legitimate peer the exact sequence number to use; the exact RST then ends the connection
    silently and the application's next recv() reports ECONNRESET.
    """
    open_passive(s, app, peer)
    s.wait(0.05)
    peer.send("R", seq=seq_add(peer.snd_nxt, 1000), advance=False)
    s.expect("A")
    s.wait(0.05)
    peer.send("R", advance=False)
    s.wait(0.05)
    app.recv("conn", 4096)
    app.close("conn")
    s.wait(0.05)


@scenario(peer_port=40009, dut_port=8089)
def syn_in_established(s, app, peer):
    """A SYN on an established connection draws a challenge ACK, not a reset.

    RFC 5961 §4 (tcp_validate_incoming: TCPSYNChallenge): whatever its sequence number, a SYN in
    a synchronized state is answered with an ACK for RCV.NXT; the connection carries on and
    later data is acknowledged normally.
    """
    open_passive(s, app, peer)
    s.wait(0.05)
    peer.send("S", seq=seq_add(peer.snd_nxt, 500), syn_options=SYN_OPTIONS_FULL, advance=False)
    s.expect("A")
    s.wait(0.05)
    peer.data(100)
    s.expect("A")
    s.wait(0.05)
    app.recv("conn", 4096)
    s.wait(0.05)


@scenario(peer_port=40010, dut_port=8090)
def active_close_time_wait(s, app, peer):
    """The kernel closes first: FIN_WAIT1, FIN_WAIT2, TIME_WAIT; a retransmitted FIN is ACKed again.

    close() sends the FIN; the peer's ACK moves the kernel to FIN_WAIT2 (an orphan, held in a
    time-wait entry: tcp_rcv_state_process); the peer's FIN is ACKed and TIME_WAIT begins; the
    peer then retransmits its FIN as if that ACK had been lost, and TIME_WAIT ACKs it again
    (tcp_timewait_state_process, RFC 9293 §3.10.7.4).
    """
    open_passive(s, app, peer)
    s.wait(0.02)
    peer.data(100)
    s.expect("A")
    s.wait(0.02)
    app.recv("conn", 4096)
    app.send("conn", 100)
    s.expect("PA", length=100)
    s.wait(0.005)
    peer.ack()
    s.wait(0.05)
    app.close("conn")
    s.expect("FA")
    s.wait(0.005)
    peer.ack()
    s.wait(0.05)
    fin_seq = peer.snd_nxt
    peer.fin()
    s.expect("A")
    s.wait(1.0)
    peer.fin(seq=fin_seq, advance=False)
    s.expect("A")
    s.wait(0.2)


@scenario(peer_port=40011, dut_port=8091, tolerance_ms=70, tolerance_why=RTO_TOLERANCE_WHY,
          kernel_only=[{"name": "net.ipv4.tcp_early_retrans", "value": "0",
                        "why": "taptcp has no tail loss probe (RFC 8985 §7); without one the "
                               "kernel's first retransmission is the RTO's"}])
def rto_retransmit(s, app, peer):
    """Unacknowledged data retransmitted by the RTO, doubling each time, while the peer is silent.

    The handshake's RTT sample sets the first RTO to about SRTT + 200 ms (RFC 6298 §2.2 with
    Linux's TCP_RTO_MIN on the variance, tcp_set_rto); each expiry resends the first segment and
    doubles the RTO (RFC 6298 §5.5, tcp_retransmit_timer): about 0.2, 0.6 and 1.4 s after the
    first transmission. At 2.4 s, well between the third retransmission and the fourth (3 s), the
    peer ACKs everything and the retransmissions stop.
    """
    open_passive(s, app, peer)
    s.wait(0.05)
    app.send("conn", 1000)
    s.expect("PA", length=1000)
    s.wait(2.4)
    peer.ack()
    s.wait(0.3)
