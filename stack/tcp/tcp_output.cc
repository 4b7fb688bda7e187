// Sending: what goes out, when, and with which window and options (Linux tcp_output.c).
#include <algorithm>

#include "stack/tcp/connection.h"
#include "stack/tcp/tcp_layer.h"

namespace taptcp::tcp {

// RFC 7323 §5.4: the timestamp clock. Linux ticks it in milliseconds (tcp_time_stamp_ts) and adds
// a per-connection offset so it reveals nothing about uptime (secure_tcp_ts_off).
uint32_t Connection::TsVal() const { return Jiffies32(now()) + ts_offset_; }

// The window we offer (Linux tcp_select_window / __tcp_select_window): the receive buffer's free
// space, not opened by tiny amounts (receiver silly-window avoidance, RFC 9293 §3.8.6.2.2), in
// units of our window scale, and never shrinking the right edge already offered (RFC 9293
// §3.8.6.2.2 "SHOULD NOT shrink").
uint16_t Connection::WindowToAdvertise() {
  uint32_t free = static_cast<uint32_t>(std::min<size_t>(rcv_buf_.free_space(), UINT32_MAX));
  if (read_shut_) free = static_cast<uint32_t>(rcv_buf_.free_space());
  const uint32_t full = static_cast<uint32_t>(rcv_buf_.capacity());
  if (free < std::min(full / 2, mss_)) free = 0;
  uint32_t wnd = free & ~((uint32_t{1} << neg_.rcv_wscale) - 1);
  if (rcv_nxt_ + wnd < rcv_adv_) wnd = static_cast<uint32_t>(rcv_adv_ - rcv_nxt_);
  const uint32_t max_wnd = uint32_t{65535} << neg_.rcv_wscale;
  wnd = std::min(wnd, max_wnd);
  rcv_wnd_ = wnd;
  rcv_adv_ = rcv_nxt_ + wnd;
  return static_cast<uint16_t>(wnd >> neg_.rcv_wscale);
}

uint32_t Connection::OwnMss() const {
  const uint32_t mtu_mss = layer_.mtu_mss();
  return opts_.user_mss > 0 ? std::min<uint32_t>(opts_.user_mss, mtu_mss) : mtu_mss;
}

// Linux tcp_sync_mss / __tcp_mtu_to_mss: the peer's MSS, our own, never below
// tcp_min_snd_mss (48), then less the timestamp option. The floor keeps every segment (and
// CurrentMss with SACK blocks) positive whatever MSS a peer announces.
void Connection::SyncMss() {
  const uint32_t floor = static_cast<uint32_t>(layer_.ctx().sysctl.tcp_min_snd_mss);
  mss_ = std::max(std::min<uint32_t>(neg_.peer_mss, OwnMss()), floor) - (neg_.timestamps ? 12 : 0);
}

// Data per segment now (Linux tcp_current_mss): the negotiated MSS less the room the SACK
// blocks we are about to carry take (2 NOPs, kind, length and 8 bytes a block), so a full segment
// with its options still fits the MTU.
uint32_t Connection::CurrentMss() const {
  if (!neg_.sack) return mss_;
  const size_t n = std::min<size_t>(
      rcv_buf_.sack_blocks().size() + (rcv_buf_.pending_dsack() ? 1 : 0), neg_.timestamps ? 3 : 4);
  return n == 0 ? mss_ : mss_ - static_cast<uint32_t>(4 + 8 * n);
}

void Connection::SendSegment(Seq seq, uint8_t flags, uint64_t data_offset, size_t len,
                             bool syn_options, uint16_t gso_size) {
  const Sysctl& sc = layer_.ctx().sysctl;
  wire::TcpHeaderFields h;
  h.src_port = tuple_.local_port;
  h.dst_port = tuple_.remote_port;
  h.seq = seq.value();
  h.ack = (flags & wire::kAck) ? rcv_nxt_.value() : 0;
  h.flags = flags;
  wire::TcpOptions o;
  if (flags & wire::kSyn) {
    // The window in a SYN or SYN-ACK is never scaled (RFC 7323 §2.2): Linux offers 65535 rounded
    // down to whole segments (64240 for MSS 1460).
    const uint32_t space = std::min<uint32_t>(65535, static_cast<uint32_t>(rcv_buf_.capacity()));
    h.window = static_cast<uint16_t>(space / layer_.mtu_mss() * layer_.mtu_mss());
    syn_window_ = h.window;
    if (state_ != State::kSynSent) {
      rcv_wnd_ = h.window;
      rcv_adv_ = rcv_nxt_ + h.window;
    }
  } else {
    h.window = WindowToAdvertise();
  }
  if (syn_options) {
    // Linux tcp_syn_options: MSS, then SACK-permitted and timestamps, then window scale.
    o.mss = static_cast<uint16_t>(OwnMss());
    if (state_ == State::kSynSent || neg_.sack) o.sack_permitted = sc.tcp_sack != 0;
    if (state_ == State::kSynSent ? sc.tcp_timestamps != 0 : neg_.timestamps) {
      o.timestamp = std::make_pair(TsVal(), state_ == State::kSynSent ? 0u : ts_recent_);
    }
    if (state_ == State::kSynSent ? sc.tcp_window_scaling != 0 : neg_.window_scaling) {
      o.window_scale = neg_.rcv_wscale;
    }
  } else if (neg_.timestamps) {
    o.timestamp = std::make_pair(TsVal(), ts_recent_);
  }
  if (!(flags & wire::kSyn) && neg_.sack && (flags & wire::kAck)) {
    // RFC 2018 §3: up to 3 blocks beside timestamps (4 without), most recent first.
    // RFC 2883 §4: a D-SACK block, when one is due, goes first; then the SACK blocks.
    std::array<SackRange, 4> blocks;
    const size_t max = neg_.timestamps ? 3 : 4;
    size_t n = 0;
    if (std::optional<SackRange> d = rcv_buf_.TakeDsack()) blocks[n++] = *d;
    n += rcv_buf_.SackBlocks(std::span(blocks).subspan(n), max - n);
    // Offsets back to sequence numbers, relative to RCV.NXT (mod 2^32).
    const uint64_t nxt = rcv_buf_.next_expected();
    for (size_t i = 0; i < n; ++i) {
      o.sack[i] = {(rcv_nxt_ + static_cast<uint32_t>(blocks[i].start - nxt)).value(),
                   (rcv_nxt_ + static_cast<uint32_t>(blocks[i].end - nxt)).value()};
    }
    o.sack_count = static_cast<uint8_t>(n);
  }
  const ByteSpans data = len > 0 ? snd_buf_.Peek(data_offset, len) : ByteSpans{};
  const uint32_t pieces =
      std::max<uint32_t>(layer_.Transmit(tuple_, h, o, data.first, data.second, gso_size), 1);

  net::NetContext& ctx = layer_.ctx();
  const uint32_t seg_len =
      static_cast<uint32_t>(len) + ((flags & wire::kSyn) ? 1 : 0) + ((flags & wire::kFin) ? 1 : 0);
  // A super-segment counts as its pieces, as Linux counts tcp_skb_pcount.
  stats_.segs_out += pieces;
  if (len > 0) {
    stats_.data_segs_out += pieces;
    stats_.bytes_sent += len;
    stats_.last_data_sent_ms = Jiffies32(now());  // tcp_event_data_sent
  }
  if (seg_len > 0 && seq < snd_max_) {
    ctx.mib.Inc(Counter::kTcpRetransSegs, pieces);
    stats_.total_retrans += pieces;
  }
  if (seg_len > 0 && seq + seg_len > snd_max_) snd_max_ = seq + seg_len;
  if (flags & wire::kAck) {
    // Any segment carrying an ACK satisfies a pending delayed ACK (tcp_event_ack_sent).
    layer_.ctx().wheel.Cancel(delack_timer_);
    segs_since_ack_ = 0;
    ack_now_ = false;
  }
  last_send_ = now();
}

void Connection::SendAck() { SendSegment(snd_nxt_, wire::kAck, 0, 0, false); }

// RFC 5961 §3.2/§4.2: answer a suspicious RST or SYN with an ACK that tells a legitimate peer where
// we are, at most one per tcp_invalid_ratelimit ms (Linux tcp_send_challenge_ack).
void Connection::SendChallengeAck() {
  if (OowRateLimited(nullptr, Counter::kTcpExtTCPACKSkippedChallenge)) return;
  layer_.ctx().mib.Inc(Counter::kTcpExtTCPChallengeACK);
  SendAck();
}

// One clock for every answer to an out-of-window segment (tp->last_oow_ack_time), so a storm of
// forged segments cannot make us send more than one ACK per tcp_invalid_ratelimit. Data segments
// are exempt (they are not part of an ACK loop), as in tcp_oow_rate_limited.
bool Connection::OowRateLimited(const Segment* seg, Counter skipped) {
  if (seg != nullptr && !seg->payload.empty() && !seg->syn()) return false;
  net::NetContext& ctx = layer_.ctx();
  if (last_oow_ack_ != Instant{} &&
      now() - last_oow_ack_ < milliseconds(ctx.sysctl.tcp_invalid_ratelimit)) {
    ctx.mib.Inc(skipped);
    return true;
  }
  last_oow_ack_ = now();
  return false;
}

void Connection::SendRst(Seq seq) {
  layer_.ctx().mib.Inc(Counter::kTcpOutRsts);
  SendSegment(seq, wire::kRst | wire::kAck, 0, 0, false);
}

// When to acknowledge (Linux __tcp_ack_snd_check): at once in quick-ack mode (the start of a
// connection, out-of-order data, a FIN), or when more than one full segment is unacknowledged;
// otherwise within the delayed-ACK timeout (TCP_DELACK_MIN 40 ms).
void Connection::ScheduleAck(bool quick) {
  if (quick || quickack_ > 0 || segs_since_ack_ >= 2) {
    if (quickack_ > 0 && !quick) --quickack_;
    ack_now_ = true;
    return;
  }
  if (!delack_timer_.armed()) layer_.ctx().wheel.ArmAfter(delack_timer_, milliseconds(40));
}

// TSO (Linux tcp_tso_autosize / tcp_send_mss): a super-segment of whole segments, as large as
// the link's gso_max_size and the largest IPv4 packet allow with our headers. Without TSO, one
// segment.
uint32_t Connection::TsoBurst(uint32_t mss) const {
  const wire::LinkOffloads link = layer_.offloads();
  if (!link.tso || mss == 0) return mss;
  const uint32_t headers = 20 + (neg_.timestamps ? 12 : 0) + (mss_ - mss);
  const uint32_t room = std::min<uint32_t>(link.gso_max_size, net::Ipv4::kMaxGsoPayload) - headers;
  return std::max<uint32_t>(room / mss, 1) * mss;
}

// Sends whatever the send window, the congestion window, Nagle and the state allow (Linux
// tcp_write_xmit), then a bare ACK if one is owed and nothing carried it.
void Connection::Output() {
  const bool sending_state = state_ == State::kEstablished || state_ == State::kCloseWait ||
                             state_ == State::kFinWait1 || state_ == State::kClosing ||
                             state_ == State::kLastAck;
  if (sending_state && in_recovery_ && neg_.sack) {
    SackRecoverySend();
  } else if (sending_state) {
    const uint32_t mss = CurrentMss();
    const uint32_t burst = TsoBurst(mss);
    for (;;) {
      const uint64_t next = SndOffset(snd_nxt_);
      // Our FIN, once sent, stays at SND.MAX - 1; it is out while SND.NXT stands past it. After
      // an RTO rewinds SND.NXT it goes again with the data before it (fin_sent_ stays true so
      // that an ACK of the original FIN is still recognised as one).
      const bool fin_out = fin_sent_ && snd_nxt_ == snd_max_;
      if (fin_out) break;
      const uint64_t unsent = snd_buf_.end_offset() > next ? snd_buf_.end_offset() - next : 0;
      const uint32_t in_flight = static_cast<uint32_t>(snd_nxt_ - snd_una_);
      const uint64_t cwnd_bytes = uint64_t{cc_state_.cwnd} * mss_;
      const uint64_t window = std::min<uint64_t>(snd_wnd_, cwnd_bytes);
      const uint64_t allowed = window > in_flight ? window - in_flight : 0;
      size_t len = static_cast<size_t>(std::min<uint64_t>({unsent, burst, allowed}));
      if (len == 0) {
        // A FIN needs no window (it is sent even when the peer's window is closed, as Linux
        // does when it appends the FIN to the queue's tail).
        if (fin_queued_ && unsent == 0) {
          SendSegment(snd_nxt_, wire::kFin | wire::kAck, next, 0, false);
          snd_nxt_ += 1;
          fin_sent_ = true;
          continue;
        }
        break;
      }
      // Sender silly-window avoidance and Nagle (RFC 9293 §3.7.4, RFC 896): a short segment
      // goes only if it is all we have and nothing is in flight (or TCP_NODELAY).
      if (len < mss && len < unsent) break;
      if (len < mss && in_flight > 0 && !opts_.nodelay && !fin_queued_) break;
      // A super-segment carries whole segments; a short tail rides along only where it would
      // have gone out alone too: the end of the data with TCP_NODELAY or a FIN (Nagle holds it
      // otherwise, since the whole segments before it are in flight). tcp_mss_split_point.
      if (len > mss && len % mss != 0 && !(len == unsent && (opts_.nodelay || fin_queued_))) {
        len -= len % mss;
      }
      const bool last = len == unsent;
      const bool with_fin = last && fin_queued_;
      uint8_t flags = wire::kAck | (last ? wire::kPsh : 0);
      if (with_fin) flags |= wire::kFin;
      if (!rtt_probe_armed_ && snd_nxt_ >= snd_max_) {
        rtt_probe_armed_ = true;
        rtt_probe_seq_ = snd_nxt_ + static_cast<uint32_t>(len);
        rtt_probe_sent_ = now();
      }
      SendSegment(snd_nxt_, flags, next, len, false, static_cast<uint16_t>(mss));
      snd_nxt_ += static_cast<uint32_t>(len);
      if (with_fin) {
        snd_nxt_ += 1;
        fin_sent_ = true;
      }
    }
    if (snd_nxt_ != snd_una_ && !rtx_timer_.armed()) ArmRetransmitTimer();
    // Data waits but nothing is in flight: the peer's window (or SWS avoidance) holds us back.
    // Without a timer a lost window update would deadlock both sides, so probe (RFC 9293
    // §3.8.6.1; Linux tcp_check_probe_timer arms ICSK_TIME_PROBE0).
    const uint64_t next = SndOffset(snd_nxt_);
    if (snd_nxt_ == snd_una_ && snd_buf_.end_offset() > next && !rtx_timer_.armed()) {
      ArmRetransmitTimer();
    }
  }
  if (ack_now_ && state_ != State::kClosed && state_ != State::kSynSent) SendAck();
}

}  // namespace taptcp::tcp
