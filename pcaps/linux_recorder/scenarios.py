"""The scenarios record-linux.sh plays against the Linux kernel, one capture each.

Each function is one scenario: `s` is the Session (capture, waits, expectations), `app` makes the
kernel-side socket calls, `peer` writes the remote host's segments. Timing is scripted with small
fixed pauses so a capture reads like a textbook exchange and the replay sees the same timeline.
The kernel is at 192.0.2.1 (the device under test), the peer at 192.0.2.2.
"""

import time

from tap_peer import (SYN_OPTIONS_FULL, SYN_OPTIONS_NO_TIMESTAMPS, SYN_OPTIONS_NONE, Peer,
                      RecorderError, seq_add)

SCENARIOS = []

# Timer wheels round a timeout up to their level's granularity: the kernel's (HZ=250 on the
# recording machine: 4 ms ticks) by up to 32 ms for timers of 256 ms..2 s (calc_wheel_index),
# taptcp's (1 ms ticks) by up to 64 ms beyond 512 ms. Retransmission timelines need that much room.
RTO_TOLERANCE_WHY = ("RTO timers run on timer wheels that round up to the level's granularity: "
                     "Linux HZ=250 by up to 32 ms for 0.26-2 s, taptcp by up to 64 ms above "
                     "0.5 s; the python peer adds up to a few ms of read latency")


class Scenario:
    def __init__(self, fn, peer_port, dut_port, tolerance_ms, tolerance_why, compare_window,
                 sysctls, kernel_only, replay_notes):
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
        self.replay_notes = replay_notes


def scenario(peer_port, dut_port, tolerance_ms=10, tolerance_why=None, compare_window="syn",
             sysctls=None, kernel_only=None, replay_notes=None):
    """Registers a scenario. sysctls apply to both Linux and taptcp; kernel_only entries
    ({"name", "value", "why"}) configure only the kernel, to keep a feature taptcp does not
    have out of the capture. replay_notes (text) goes into the description for a reader of
    the replay: what it can and cannot compare in this capture."""
    def wrap(fn):
        SCENARIOS.append(Scenario(fn, peer_port, dut_port, tolerance_ms, tolerance_why,
                                  compare_window, sysctls, kernel_only, replay_notes))
        return fn
    return wrap


def listen_on(s, app, backlog):
    """socket(), SO_REUSEADDR, bind() to the scenario's port, listen(backlog)."""
    app.socket("listener")
    app.setsockopt("listener", "SOL_SOCKET", "SO_REUSEADDR", 1)
    app.bind("listener", s.dut_port)
    app.listen("listener", backlog)


def handshake(s, peer, syn_options=SYN_OPTIONS_FULL):
    """The peer's SYN, the kernel's SYN-ACK, the peer's ACK; returns the SYN-ACK."""
    peer.syn(syn_options)
    synack = s.expect("SA", port=peer.port)
    s.wait(0.005)
    peer.ack()
    return synack


def open_passive(s, app, peer, syn_options=SYN_OPTIONS_FULL):
    """listen(); the peer's three-way handshake; accept()."""
    listen_on(s, app, 8)
    s.wait(0.02)
    handshake(s, peer, syn_options)
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


# --- Listen queues and SYN cookies (tcp_conn_request, tcp_check_req, syncookies.c) -------------

# What the replay does with a SYN cookie, for whoever reads a replay of the captures below.
COOKIE_REPLAY_NOTE = (
    "The SYN-ACK's ISN is Linux's SYN cookie, a keyed hash that taptcp cannot (and should not) "
    "reproduce: taptcp replay learns each side's ISN from its own SYN-ACK per 4-tuple, compares "
    "the DUT's sequence numbers relative to it and moves the peer's ACK numbers from Linux's ISN "
    "to taptcp's before playing them, so a cookie compares like any ISN (relative 0) and a bogus "
    "ACK keeps its offset from the valid one. TSval is never compared (a cookie SYN-ACK's TSval "
    "is the kernel's clock with the peer's window scale, SACK and ECN in its low 6 bits, "
    "cookie_init_timestamp, plus a random TSval offset, so the bits are not readable on the "
    "wire); TSecr "
    "is, after the replay maps the peer's echo of Linux's TSval to the TSval taptcp sent at that "
    "moment, so the final ACK echoes taptcp's own cookie TSval and taptcp must decode its own "
    "option bits from it.")

LISTEN_QUEUE_NOTE = (
    "Several connections from the peer, one per peer port; the replay keys ISNs, TSvals and the "
    "comparison by port pair. A dropped segment shows as Linux sending nothing: a taptcp answer "
    "there is an EXTRA row.")


def more_peers(s, count):
    """`count` more connections from the peer host, on the ports after the scenario's, each with
    an ISN of its own: the listener sees distinct 4-tuples."""
    return [Peer(s, port=s.peer_port + i, isn=1000000 * (i + 1)) for i in range(1, count + 1)]


def exchange(s, app, peer, conn):
    """100 bytes each way on an accepted connection, each acknowledged."""
    peer.data(100)
    s.expect("A", port=peer.port)
    s.wait(0.02)
    app.recv(conn, 4096)
    app.send(conn, 100)
    s.expect("PA", length=100, port=peer.port)
    s.wait(0.005)
    peer.ack()


def sack_probe(s, peer, want_sack):
    """100 bytes beyond a 100-byte hole, then the hole: the kernel's duplicate ACK carries a SACK
    block only if SACK was agreed (RFC 2018 §4, tcp_data_queue_ofo). For a cookie connection
    that says whether the SYN's SACK-permitted came back through the cookie (cookie_v4_check)."""
    base = peer.snd_nxt
    peer.data(100, seq=seq_add(base, 100), advance=False)
    dup = s.expect("A", port=peer.port)
    if ("SAck" in dup.options) != want_sack:
        raise RecorderError(f"{s.name}: duplicate ACK {dup} has options {dup.options}; expected "
                            f"{'a' if want_sack else 'no'} SACK block")
    s.wait(0.02)
    peer.data(100, seq=base, advance=False)
    peer.snd_nxt = seq_add(base, 200)
    s.expect("A", port=peer.port)


def accept_queue_overflow(s, app, peer, abort):
    """listen(1), never accept(): two handshakes fill the accept queue; then a SYN (and its
    retransmission 1 s later) and the final ACK of a request made before the queue filled."""
    first = peer
    late, second, dropped = more_peers(s, 3)
    listen_on(s, app, 1)  # max_ack_backlog = min(1, somaxconn) = 1
    s.wait(0.02)
    handshake(s, first)  # accept queue 1: not full (full is more than max_ack_backlog)
    s.wait(0.02)
    late.syn()  # a request (SYN queue 1, not above 1), made while the accept queue has room
    s.expect("SA", port=late.port)
    s.wait(0.02)
    handshake(s, second)  # SYN queue 1 -> 2 -> 1; accept queue 2: full
    s.wait(0.02)
    dropped.syn()  # tcp_conn_request: sk_acceptq_is_full -> ListenOverflows, dropped
    syn_sent = time.time()
    s.wait(0.02)
    late.ack()  # tcp_v4_syn_recv_sock: accept queue full -> ListenOverflows
    rst = s.expect("R", port=late.port) if abort else None
    # The peer retransmits its SYN after TCP_TIMEOUT_INIT (1 s), as a Linux client would.
    s.expect_silence(syn_sent + 1.0 - time.time(), port=dropped.port)
    dropped.send("S", seq=dropped.isn, syn_options=SYN_OPTIONS_FULL, advance=False)
    s.expect_silence(0.3, port=dropped.port)
    if abort:
        later = [seg for seg in s.received if seg.port == late.port and seg.number > rst.number]
        if later:
            raise RecorderError(f"{s.name}: the aborted request still sent {later}")
        return
    # The request was marked acked and kept: its SYN-ACK is retransmitted on the normal
    # schedule (reqsk_timer_handler) and the peer's next ACK meets the full queue again.
    s.expect("SA", port=late.port, timeout=1.0)
    s.wait(0.005)
    late.ack()
    s.expect_silence(0.3, port=late.port)


@scenario(peer_port=40012, dut_port=8092, tolerance_ms=70, tolerance_why=RTO_TOLERANCE_WHY,
          sysctls={"net.ipv4.tcp_syncookies": "1", "net.ipv4.tcp_abort_on_overflow": "0"},
          replay_notes=LISTEN_QUEUE_NOTE)
def listen_overflow(s, app, peer):
    """listen(1) never accepting: two connections fill the accept queue; a SYN is dropped; a final ACK is dropped and its SYN-ACK retransmitted.

    listen() sets max_ack_backlog = min(backlog, somaxconn) = 1 and the accept queue is full
    when it holds more than that (sk_acceptq_is_full), so two completed handshakes (ports 40012
    and 40014) fill it. A SYN that arrives then (port 40015) is dropped before any request is
    made (tcp_conn_request: ListenOverflows, ListenDrops), and so is its retransmission 1 s
    later. A request made before the queue filled (port 40013) has its final ACK dropped
    (tcp_v4_syn_recv_sock fails; tcp_check_req with tcp_abort_on_overflow=0 marks the request
    acked and keeps it): its SYN-ACK is retransmitted on the normal schedule, 1 s after the
    first (reqsk_timer_handler), and the peer's next ACK is dropped again while the queue stays
    full. tcp_syncookies=1 plays no part: the SYN queue never holds more than one request.
    """
    accept_queue_overflow(s, app, peer, abort=False)


@scenario(peer_port=40020, dut_port=8093, tolerance_ms=70, tolerance_why=RTO_TOLERANCE_WHY,
          sysctls={"net.ipv4.tcp_syncookies": "1", "net.ipv4.tcp_abort_on_overflow": "1"},
          replay_notes=LISTEN_QUEUE_NOTE)
def abort_on_overflow(s, app, peer):
    """listen_overflow with tcp_abort_on_overflow=1: the final ACK to the full accept queue draws a RST.

    The same steps as listen_overflow: two connections (ports 40020 and 40022) fill the accept
    queue of listen(1), a SYN (port 40023) and its retransmission are dropped (ListenOverflows).
    The final ACK of the request made before the queue filled (port 40021) now gets a RST with
    SEQ=SEG.ACK and no ACK bit (tcp_check_req -> embryonic_reset -> tcp_v4_send_reset) and the
    request is dropped: its SYN-ACK is never retransmitted.
    """
    accept_queue_overflow(s, app, peer, abort=True)


@scenario(peer_port=40030, dut_port=8094,
          sysctls={"net.ipv4.tcp_syncookies": "2"}, replay_notes=COOKIE_REPLAY_NOTE)
def syncookies_always(s, app, peer):
    """tcp_syncookies=2: every SYN-ACK carries a cookie and no state; with and without timestamps; a bad cookie draws a RST.

    Every SYN is answered with a cookie SYN-ACK (tcp_conn_request: want_cookie, no request
    kept), so the SYN-ACK is never retransmitted: the peer stays silent for 1.5 s and nothing
    comes. With timestamps (port 40030) the SYN-ACK's TSval is the kernel's millisecond clock
    with the peer's options in its low 6 bits (window scale 7 | SACK 0x10 = 0x17:
    cookie_init_timestamp) plus the connection's random TSval offset, so the wire shows them
    only modulo that offset; the final ACK echoes the TSval, the kernel subtracts the offset
    from the TSecr and rebuilds the connection from the cookie (cookie_v4_check:
    SyncookiesRecv) with window scaling and SACK, and data flows both ways; data beyond a hole
    then draws a duplicate ACK with a SACK block (SACK survived the cookie). Without timestamps
    (port 40031, the SYN offers MSS, SACK and window scale) the kernel cannot keep those
    options in a cookie and drops them (tcp_clear_options): its SYN-ACK offers only MSS, the
    connection has neither, and the duplicate ACK for data beyond a hole has no SACK block. An ACK whose acknowledgment number is 0x10000 past the valid
    one (port 40032) fails the cookie check (SyncookiesFailed) and gets a RST with SEQ=SEG.ACK;
    accept() then finds nothing (EAGAIN).
    """
    no_ts, bogus = more_peers(s, 2)
    no_ts.timestamps = False
    listen_on(s, app, 8)
    s.wait(0.02)
    peer.syn()
    s.expect("SA", port=peer.port)
    s.expect_silence(1.5, port=peer.port)  # no state, so no SYN-ACK retransmission
    peer.ack()
    s.wait(0.01)
    app.accept("listener", "conn")
    s.wait(0.02)
    exchange(s, app, peer, "conn")
    s.wait(0.02)
    sack_probe(s, peer, want_sack=True)
    s.wait(0.05)

    no_ts.syn(SYN_OPTIONS_NO_TIMESTAMPS)
    synack = s.expect("SA", port=no_ts.port)
    if "SAckOK" in synack.options or "WScale" in synack.options or "MSS" not in synack.options:
        raise RecorderError(f"{s.name}: cookie SYN-ACK without timestamps offers "
                            f"{synack.options}; expected MSS only")
    s.wait(0.05)
    no_ts.ack()
    s.wait(0.01)
    app.accept("listener", "conn2")
    s.wait(0.02)
    exchange(s, app, no_ts, "conn2")
    s.wait(0.02)
    sack_probe(s, no_ts, want_sack=False)
    s.wait(0.05)

    bogus.syn()
    s.expect("SA", port=bogus.port)
    s.wait(0.005)
    bogus.ack(ack=seq_add(bogus.kernel_nxt, 0x10000))
    s.expect("R", port=bogus.port)
    s.wait(0.02)
    app.accept("listener", "conn3")
    s.wait(0.05)


@scenario(peer_port=40040, dut_port=8095, tolerance_ms=70, tolerance_why=RTO_TOLERANCE_WHY,
          sysctls={"net.ipv4.tcp_syncookies": "1"},
          replay_notes=COOKIE_REPLAY_NOTE + " " + LISTEN_QUEUE_NOTE)
def syncookies_on_overflow(s, app, peer):
    """tcp_syncookies=1, listen(1): SYNs beyond the SYN queue get cookie SYN-ACKs; one cookie connection completes.

    Six SYNs from ports 40040-40045, 40 ms apart, to a listen(1) socket. The first ones become
    requests until the SYN queue is full (more than max_ack_backlog = 1 requests:
    inet_csk_reqsk_queue_is_full); each later SYN gets a cookie SYN-ACK instead and leaves no
    state (TCPReqQFullDoCookies, SyncookiesSent). One second later only the requests' SYN-ACKs
    are retransmitted (reqsk_timer_handler); the cookies' never are. The first cookie
    connection's final ACK then completes it from the cookie alone (cookie_v4_check:
    SyncookiesRecv; the listener overflowed recently, so cookies are checked), accept()
    returns it and data flows both ways.
    """
    syns = [peer] + more_peers(s, 5)
    listen_on(s, app, 1)
    s.wait(0.02)
    # 40 ms apart: more than the 32 ms granularity of the kernel's timer wheel at 1 s (HZ=250),
    # so the requests' SYN-ACK retransmissions fire in the order of their SYNs, not in the
    # arbitrary order of one wheel slot, and the replay can pair them.
    for p in syns:
        p.syn()
        s.expect("SA", port=p.port)
        s.wait(0.04)
    s.wait(1.0)  # past the requests' first SYN-ACK retransmission (TCP_TIMEOUT_INIT)
    synacks = {p.port: [seg for seg in s.received if seg.port == p.port and seg.has("SA")]
               for p in syns}
    requests = [p for p in syns if len(synacks[p.port]) > 1]
    cookies = [p for p in syns if len(synacks[p.port]) == 1]
    if not requests or not cookies or syns[:len(requests)] != requests:
        raise RecorderError(f"{s.name}: expected the first SYNs to become requests (SYN-ACK "
                            f"retransmitted) and the rest cookies; SYN-ACKs per port: "
                            f"{ {port: len(v) for port, v in synacks.items()} }")
    done = cookies[0]
    done.ack()
    s.wait(0.01)
    app.accept("listener", "conn")
    s.wait(0.02)
    exchange(s, app, done, "conn")
    s.wait(0.05)
