// The checks of tcp_stack_fuzz: every frame the host sends (Transmit) and the state after every op
// (Check). The list is at the top of tcp_stack_fuzz.cc.
#include <cstdio>

#include "stack/wire/frame.h"
#include "tests/fuzz/tcp_stack_harness.h"

namespace taptcp::fuzz {

void Harness::Transmit(std::span<const uint8_t> frame, Instant now) {
  Capture(frame, now);
  FUZZ_CHECK(frame.size() <= wire::kEthernetHeaderSize + kMtu, "a %zu-byte frame", frame.size());
  wire::ParsedFrame p;
  const wire::DropReason r = wire::ParseFrame(frame, &p);
  FUZZ_CHECK(r == wire::DropReason::kNone, "the host sent a frame it would itself drop (%d)",
             static_cast<int>(r));
  FUZZ_CHECK(p.eth.src() == kHostMac, "a frame from another MAC");
  if (p.layer == wire::ParsedFrame::Layer::kArp) {
    if (p.arp.op() == wire::kArpOpRequest && p.arp.target_ip() == kPeerIp) arp_asked_ = true;
    return;
  }
  FUZZ_CHECK(p.ip.src() == kHostIp, "a packet from another address");
  FUZZ_CHECK(p.ip.total_length() <= kMtu, "a %u-byte packet", p.ip.total_length());
  if (p.layer != wire::ParsedFrame::Layer::kTcp) return;
  const wire::TcpView& t = p.tcp;
  ++tcp_out_;
  if (t.rst()) ++rst_out_;
  if (connecting_ && t.dst_port() == kClientPeerPort) client_port_ = t.src_port();
  const Connection* c = FindConnection(t.src_port(), t.dst_port());
  const int target = TargetOf(t.src_port(), t.dst_port());
  if (!t.rst()) {
    // A listener answers for its request entries too: the SYN-ACK (also a cookie's, which has
    // no entry), and a bare ACK for an out-of-window segment (tcp_v4_reqsk_send_ack).
    const bool request_synack = t.syn() && t.ack_flag() && listeners_.contains(t.src_port());
    const bool request_ack =
        !t.syn() && t.ack_flag() && t.payload().empty() && HasRequest(t.src_port(), t.dst_port());
    FUZZ_CHECK(c != nullptr || request_synack || request_ack,
               "a [%02x] segment from %u to %u, where no connection lives", t.flags(), t.src_port(),
               t.dst_port());
  }
  const size_t payload = t.payload().size();
  if (c != nullptr && c->negotiated().peer_mss >= 64) {
    FUZZ_CHECK(payload <= c->negotiated().peer_mss, "%zu bytes of data, peer MSS %u", payload,
               c->negotiated().peer_mss);
  }
  if (target < 0) {
    // An older client connection (the client reconnected), or an answer to a raw frame.
    FUZZ_CHECK(t.rst() || in_raw_frame_ || c != nullptr, "a segment to port %u from %u",
               t.dst_port(), t.src_port());
    return;
  }
  TupleView& v = views_[target];
  const Seq seq(t.seq());
  const Seq end = seq + t.seg_len();
  if (t.syn()) {
    v.host_max = end;
    v.host_sent = true;
  } else if (!t.rst() && (!v.host_sent || end > v.host_max)) {
    v.host_max = end;
    v.host_sent = true;
  }
  if (t.ack_flag() && !t.rst()) {
    v.host_ack = Seq(t.ack());
    v.host_acked = true;
    // The window's right edge (a SYN's window is never scaled, RFC 7323 §2.2).
    const uint8_t shift = c != nullptr && !t.syn() ? c->negotiated().rcv_wscale : 0;
    v.edge = Seq(t.ack()) + (uint32_t{t.window()} << shift);
    v.edge_iss = c != nullptr ? c->iss() : seq;
    v.edge_valid = true;
  }
  if (t.options().timestamp) v.host_tsval = t.options().timestamp->first;
  // Echo: what the host sends at stream offset k is what the peer sent at offset k.
  if (c != nullptr && t.src_port() == kEchoPort && !v.raw_in && !v.app_out && payload > 0 &&
      c->state() != State::kSynSent) {
    for (size_t j = 0; j < payload; ++j) {
      const uint32_t off = static_cast<uint32_t>((seq + static_cast<uint32_t>(j)) - (c->iss() + 1));
      const uint8_t want = PatternByte((c->irs() + 1 + off).value());
      FUZZ_CHECK(t.payload()[j] == want, "target %d echoed byte %u as %u, the peer sent %u", target,
                 off, t.payload()[j], want);
    }
  }
}

void Harness::Check(bool segment_injected, bool raw_frame, bool bad_checksum) {
  const Mib& mib = stack_->mib();
  const std::vector<const Connection*> conns = stack_->tcp().Connections();
  FUZZ_CHECK(conns.size() <= kTargets - 1 + connects_, "%zu connections", conns.size());
  uint64_t estab = 0, timers_low = 0, timers_high = 0;
  uint64_t segs_in_delta = 0;
  std::map<ConnKey, uint32_t> segs_in;
  std::map<std::pair<ConnKey, uint32_t>, Seq> rcv_nxt;
  std::map<uint16_t, size_t> conns_on_port;
  for (const Connection* c : conns) {
    const State st = c->state();
    const ConnKey key{c->tuple().local_port, c->tuple().remote_port, c->iss().value()};
    const char* name = tcp::StateName(st).data();
    ++conns_on_port[key.local_port];
    FUZZ_CHECK(st != State::kClosed && st != State::kListen, "a %s connection in the table", name);
    estab += st == State::kEstablished || st == State::kCloseWait;
    // Sequence space: SND.UNA <= SND.NXT <= SND.MAX (SND.MAX = SND.UNA + Send-Q in flight).
    const size_t in_flight = c->unacked_bytes();
    FUZZ_CHECK(in_flight < (size_t{1} << 31), "%s: SND.MAX before SND.UNA (%zu)", name, in_flight);
    const Seq snd_max = c->snd_una() + static_cast<uint32_t>(in_flight);
    FUZZ_CHECK(c->snd_una() <= c->snd_nxt() && c->snd_nxt() <= snd_max,
               "%s: SND.UNA %u SND.NXT %u SND.MAX %u", name, c->snd_una().value(),
               c->snd_nxt().value(), snd_max.value());
    // Our SYN is unacknowledged until SND.UNA moves off the ISN (a simultaneous open closed in
    // SYN_RECV has SYN and FIN in flight).
    const bool syn_acked = c->snd_una() != c->iss();
    FUZZ_CHECK(in_flight <=
                   c->send_queue_bytes() + (syn_acked ? 0 : 1) + (OwnFinMaybeInFlight(st) ? 1 : 0),
               "%s: %zu bytes in flight, %zu queued", name, in_flight, c->send_queue_bytes());
    // Timers.
    const std::optional<Connection::TimerInfo> timer = c->ActiveTimer();
    timers_low += timer.has_value();
    timers_high += 3;
    const std::string_view tname = timer ? timer->name : "none";
    if (st == State::kTimeWait || (st == State::kFinWait2 && c->orphan())) {
      FUZZ_CHECK(tname == "timewait", "%s%s without its timer (%s)", name,
                 c->orphan() ? " orphan" : "", tname.data());
    } else if (in_flight > 0 || (SendingState(st) && c->send_queue_bytes() > 0)) {
      FUZZ_CHECK(tname == "on" || tname == "persist",
                 "%s: %zu in flight, %zu queued, and no retransmit or persist timer (%s)", name,
                 in_flight, c->send_queue_bytes(), tname.data());
    }
    // Counters.
    const uint32_t in = c->stats().segs_in;
    segs_in[key] = in;
    const auto prev_in = segs_in_.find(key);
    segs_in_delta += in - (prev_in != segs_in_.end() ? prev_in->second : 0);
    if (st == State::kSynSent) continue;
    // Receive side: RCV.NXT only moves forward, by the bytes received (and the FIN).
    const auto rkey = std::make_pair(key, c->irs().value());
    rcv_nxt[rkey] = c->rcv_nxt();
    if (auto it = rcv_nxt_.find(rkey); it != rcv_nxt_.end()) {
      FUZZ_CHECK(c->rcv_nxt() >= it->second, "%s: RCV.NXT went back from %u to %u", name,
                 it->second.value(), c->rcv_nxt().value());
    }
    const uint64_t received = c->stats().bytes_received;
    const uint32_t moved = static_cast<uint32_t>(c->rcv_nxt() - (c->irs() + 1));
    FUZZ_CHECK(moved == static_cast<uint32_t>(received) + (FinReceived(st) ? 1 : 0),
               "%s: RCV.NXT moved %u, %llu bytes received", name, moved,
               static_cast<unsigned long long>(received));
    const Account& acct = accounts_[key];
    FUZZ_CHECK(acct.read + c->readable() == received,
               "%s: the app read %llu, %zu readable, %llu received", name,
               static_cast<unsigned long long>(acct.read), c->readable(),
               static_cast<unsigned long long>(received));
    FUZZ_CHECK(c->readable() <= c->rcv_space(), "%s: %zu readable in a %zu-byte buffer", name,
               c->readable(), c->rcv_space());
    // The window offered never reaches past the buffer: its right edge is at most the read
    // point plus the buffer.
    const int target = TargetOf(key.local_port, key.remote_port);
    if (target >= 0 && views_[target].edge_valid && views_[target].edge_iss == c->iss()) {
      // (A FIN takes a sequence number but no room.)
      const Seq buffer_end = c->irs() + 1 + static_cast<uint32_t>(received - c->readable()) +
                             static_cast<uint32_t>(c->rcv_space()) + (FinReceived(st) ? 1 : 0);
      FUZZ_CHECK(views_[target].edge <= buffer_end,
                 "%s: offered a window to %u, the buffer ends at %u", name,
                 views_[target].edge.value(), buffer_end.value());
    }
    // Send side: the queue holds what the app wrote and the peer has not acknowledged.
    {
      const uint64_t acked = syn_acked ? static_cast<uint32_t>(c->snd_una() - (c->iss() + 1)) -
                                             (OwnFinAcked(st) ? 1 : 0)
                                       : 0;
      FUZZ_CHECK(acct.written == acked + c->send_queue_bytes(),
                 "%s: the app wrote %llu, %llu acknowledged, %zu queued", name,
                 static_cast<unsigned long long>(acct.written),
                 static_cast<unsigned long long>(acked), c->send_queue_bytes());
    }
  }
  segs_in_ = std::move(segs_in);
  rcv_nxt_ = std::move(rcv_nxt);
  FUZZ_CHECK(mib.Get(Counter::kTcpCurrEstab) == estab, "TcpCurrEstab %llu, %llu connections",
             static_cast<unsigned long long>(mib.Get(Counter::kTcpCurrEstab)),
             static_cast<unsigned long long>(estab));
  // Listeners: the accept queue within the backlog, requests and connections within the
  // 4-tuples in play.
  size_t requests = 0;
  for (const tcp::Listener* l : stack_->tcp().Listeners()) {
    requests += l->request_count();
    FUZZ_CHECK(l->accept_queue_size() <= static_cast<size_t>(l->backlog()) + 1,
               "port %u: %zu in the accept queue, backlog %d", l->port(), l->accept_queue_size(),
               l->backlog());
    size_t tuples = 0;
    for (uint8_t t = 0; t < kTargets; ++t) tuples += HostPortOf(t) == l->port();
    FUZZ_CHECK(l->request_count() + conns_on_port[l->port()] <= tuples,
               "port %u: %zu requests and %zu connections from %zu 4-tuples", l->port(),
               l->request_count(), conns_on_port[l->port()], tuples);
  }
  // Timers: every request and every timer ActiveTimer reports is armed; nothing else than
  // connections in the table (3 each), requests and ARP entries may hold one (a CLOSED
  // connection the app still holds must hold none).
  const size_t armed = stack_->wheel().armed_count();
  FUZZ_CHECK(
      armed >= timers_low + requests && armed <= timers_high + requests + stack_->arp().size(),
      "%zu timers armed; %llu..%llu expected", armed,
      static_cast<unsigned long long>(timers_low + requests),
      static_cast<unsigned long long>(timers_high + requests + stack_->arp().size()));
  // Counters against the wire.
  const uint64_t in_segs = mib.Get(Counter::kTcpInSegs);
  const uint64_t in_csum = mib.Get(Counter::kTcpInCsumErrors);
  const uint64_t segs = in_segs - in_segs_;
  if (raw_frame) {
    FUZZ_CHECK(segs <= 1, "InSegs grew by %llu for one frame",
               static_cast<unsigned long long>(segs));
  } else {
    FUZZ_CHECK(segs == (segment_injected ? 1 : 0), "InSegs grew by %llu, %d segments in",
               static_cast<unsigned long long>(segs), segment_injected ? 1 : 0);
  }
  FUZZ_CHECK(segs_in_delta <= segs, "connections took %llu segments, InSegs grew by %llu",
             static_cast<unsigned long long>(segs_in_delta), static_cast<unsigned long long>(segs));
  if (!bad_checksum && !raw_frame) {
    FUZZ_CHECK(in_csum == in_csum_, "InCsumErrors grew for a good checksum");
  }
  in_segs_ = in_segs;
  in_csum_ = in_csum;
  const uint64_t out_segs = mib.Get(Counter::kTcpOutSegs);
  FUZZ_CHECK(tcp_out_ <= out_segs, "%llu segments on the wire, OutSegs %llu",
             static_cast<unsigned long long>(tcp_out_), static_cast<unsigned long long>(out_segs));
  FUZZ_CHECK(rst_out_ <= mib.Get(Counter::kTcpOutRsts), "OutRsts below the RSTs on the wire");
  FUZZ_CHECK(mib.Get(Counter::kTcpRetransSegs) <= out_segs, "RetransSegs above OutSegs");
  FUZZ_CHECK(mib.Get(Counter::kIpOutDiscards) == 0, "a segment was dropped for exceeding the MTU");
  FUZZ_CHECK(mib.Get(Counter::kTcpActiveOpens) == connects_, "TcpActiveOpens %llu, %llu connects",
             static_cast<unsigned long long>(mib.Get(Counter::kTcpActiveOpens)),
             static_cast<unsigned long long>(connects_));
  // Forget accounts of connections that are gone (unless an app still holds the socket).
  std::map<ConnKey, bool> held;
  for (const auto& [fd, s] : socks_) {
    if (s.keyed) held[s.key] = true;
  }
  for (auto it = accounts_.begin(); it != accounts_.end();) {
    const bool keep = segs_in_.contains(it->first) || held.contains(it->first);
    it = keep ? std::next(it) : accounts_.erase(it);
  }
}

}  // namespace taptcp::fuzz
