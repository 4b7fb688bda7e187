// SEGMENT ARRIVES (RFC 9293 §3.10.7), in the RFC's order of checks, with Linux's answers where
// they differ (RFC 5961 challenge ACKs, PAWS, tcp_rcv_state_process). One function per check.
#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdint>

#include "stack/tcp/connection.h"
#include "stack/tcp/tcp_layer.h"

namespace taptcp::tcp {

void Connection::OnSegment(const Segment& seg) {
  last_recv_ = now();
  stats_.segs_in += seg.gso_segs;
  if (!seg.payload.empty()) stats_.data_segs_in += seg.gso_segs;
  if (state_ == State::kSynSent) {
    OnSegmentSynSent(seg);
    Output();
    return;
  }
  if (state_ == State::kClosed || state_ == State::kListen) return;
  if (state_ == State::kTimeWait) {
    OnSegmentTimeWait(seg);
    return;
  }
  if (!CheckSequence(seg)) return;
  if (seg.rst()) {
    HandleRst(seg);
    return;
  }
  // RFC 5961 §4 / RFC 9293 §3.10.7.4 fourth check: a SYN in a synchronized state is answered
  // with a challenge ACK, never with a reset (Linux tcp_validate_incoming: TCPSYNChallenge).
  if (seg.syn()) {
    // Linux 6.10+: in a simultaneous open, the peer's SYN-ACK crossing ours completes the
    // handshake (tcp_validate_incoming lets exactly that segment pass).
    const bool crossing_synack = state_ == State::kSynReceived && seg.has_ack() &&
                                 seg.payload.empty() && !seg.fin() && seg.seq + 1 == rcv_nxt_ &&
                                 seg.ack == snd_nxt_;
    if (!crossing_synack) {
      SynChallenge();
      return;
    }
    // Its SYN occupies sequence space we already received, so tcp_data_queue sees a
    // retransmission ("2nd most common case") and ACKs at once, in quick-ack mode.
    ack_now_ = true;
  }
  if (!seg.has_ack()) return;  // fifth check: no ACK, drop
  if (!HandleAck(seg)) {
    Output();
    return;
  }
  if (state_ == State::kClosed) return;
  HandleData(seg);
  HandleFin(seg);
  Output();
  Notify();
}

// TIME_WAIT (Linux tcp_timewait_state_process; RFC 9293 §3.10.7.4, RFC 1122 §4.2.2.13).
void Connection::OnSegmentTimeWait(const Segment& seg) {
  net::NetContext& ctx = layer_.ctx();
  const bool has_ts = neg_.timestamps && seg.options != nullptr && seg.options->timestamp;
  const uint32_t tsval = has_ts ? seg.options->timestamp->first : 0;
  const bool paws_reject = PawsReject(seg);
  // In window there can only be a bare ACK (restart the 2 MSL wait) or a RST (TIME-WAIT
  // assassination, RFC 1337: Linux lets it kill the entry unless tcp_rfc1337=1).
  if (!paws_reject && seg.seq == rcv_nxt_ && (seg.len() == 0 || seg.rst())) {
    if (seg.rst()) {
      if (ctx.sysctl.tcp_rfc1337 == 0) Done(0);
      return;
    }
    ctx.wheel.ArmAfter(sk_timer_, seconds(60));
    if (has_ts) {
      ts_recent_ = tsval;
      ts_recent_stamp_ = now();
    }
    return;
  }
  // A new SYN may reopen the 4-tuple (RFC 1122 §4.2.2.13) when it is newer than anything of the
  // old connection: above its RCV.NXT, or with a newer timestamp. The new connection's ISN
  // continues above the old one's sequence space.
  if (seg.syn() && !seg.rst() && !seg.has_ack() && !paws_reject &&
      (seg.seq > rcv_nxt_ || (has_ts && static_cast<int32_t>(ts_recent_ - tsval) < 0))) {
    Seq isn = snd_nxt_ + 65535 + 2;
    if (isn == Seq(0)) isn += 1;
    if (layer_.ReopenFromTimeWait(this, seg, isn)) return;  // `this` may be gone now
  }
  if (paws_reject) ctx.mib.Inc(Counter::kTcpExtPAWSTimewait);
  if (seg.rst()) return;
  // Every other segment is acknowledged (rate-limited); one with an ACK, or one PAWS rejected,
  // restarts the 2 MSL wait (an ACK-less SYN may be a fresh connection: no restart).
  if (paws_reject || seg.has_ack()) ctx.wheel.ArmAfter(sk_timer_, seconds(60));
  if (!OowRateLimited(&seg, Counter::kTcpExtTCPACKSkippedTimeWait)) SendAck();
}

// SYN_SENT (RFC 9293 §3.10.7.3; Linux tcp_rcv_synsent_state_process).
void Connection::OnSegmentSynSent(const Segment& seg) {
  if (seg.has_ack() && (seg.ack <= iss_ || seg.ack > snd_max_)) {
    // The peer may hold an old connection on this 4-tuple: reset it and resend our SYN soon
    // (TCP_TIMEOUT_MIN, 2 ms) rather than after the full RTO (tcp_rcv_synsent_state_process).
    if (retransmits_ == 0) layer_.ctx().wheel.ArmAfter(rtx_timer_, milliseconds(2));
    if (!seg.rst()) layer_.SendResetFor(tuple_, seg);
    return;
  }
  if (seg.rst()) {
    if (seg.has_ack()) Done(ECONNREFUSED);  // "connection refused"
    return;
  }
  if (!seg.syn()) return;
  irs_ = seg.seq;
  rcv_nxt_ = seg.seq + 1;
  // The window our SYN offered (unscaled, RFC 7323 §2.2) is the receive window until we send
  // another; its right edge could only be placed once the peer's ISN was known.
  rcv_wnd_ = syn_window_;
  rcv_adv_ = rcv_nxt_ + rcv_wnd_;
  ProcessOptions(seg);
  if (seg.has_ack()) {
    snd_una_ = seg.ack;
    snd_wnd_ = seg.window;  // RFC 7323 §2.2: the window of a SYN-ACK is never scaled
    snd_wl1_ = seg.seq;
    snd_wl2_ = seg.ack;
    // Karn's rule: the handshake gives an RTT sample only if the SYN was not retransmitted.
    if (retransmits_ == 0)
      rto_.OnSample(now() - last_send_, snd_una_.value(), snd_nxt_.value(), now());
    retransmits_ = 0;
    rto_.ResetBackoff();
    layer_.ctx().wheel.Cancel(rtx_timer_);
    EnterEstablished();
    // Linux acknowledges the SYN-ACK at once (tcp_send_ack after tcp_finish_connect).
    ack_now_ = true;
    quickack_ = 16;  // TCP_MAX_QUICKACKS: ACK every segment while the connection starts
    Notify();
    return;
  }
  // Simultaneous open (RFC 9293 §3.5, figure 8): SYN_SENT -> SYN_RECEIVED, SYN-ACK out.
  snd_wnd_ = seg.window;
  SetState(State::kSynReceived);
  SendSegment(iss_, wire::kSyn | wire::kAck, 0, 0, true);
}

// Options are taken from SYNs only (RFC 7323 §2.2, RFC 2018 §2, RFC 9293 §3.7.1), clamped as Linux
// tcp_parse_options does: window scale above 14 is used as 14, an MSS of 0 is ignored.
void Connection::ProcessOptions(const Segment& seg) {
  const Sysctl& sc = layer_.ctx().sysctl;
  const wire::TcpOptions* o = seg.options;
  if (o == nullptr) return;
  if (o->mss && *o->mss > 0) neg_.peer_mss = *o->mss;
  neg_.window_scaling = o->window_scale.has_value() && sc.tcp_window_scaling != 0;
  if (neg_.window_scaling) {
    neg_.snd_wscale = std::min<uint8_t>(*o->window_scale, 14);
  } else {
    neg_.snd_wscale = 0;
    neg_.rcv_wscale = 0;
  }
  neg_.timestamps = o->timestamp.has_value() && sc.tcp_timestamps != 0;
  if (neg_.timestamps) {
    ts_recent_ = o->timestamp->first;
    ts_recent_stamp_ = now();
  }
  neg_.sack = o->sack_permitted && sc.tcp_sack != 0;
  SyncMss();
}

// RFC 5961 §4 "syn_challenge" in tcp_validate_incoming: a SYN in a synchronized state, in or out of
// the window, is counted and answered with a challenge ACK. In ESTABLISHED it is also an input
// error (tcp_rcv_established passes syn_inerr).
void Connection::SynChallenge() {
  net::NetContext& ctx = layer_.ctx();
  if (state_ == State::kEstablished) ctx.mib.Inc(Counter::kTcpInErrs);
  ctx.mib.Inc(Counter::kTcpExtTCPSYNChallenge);
  SendChallengeAck();
}

// First check (RFC 9293 §3.10.7.4), as Linux's tcp_validate_incoming does it: PAWS (RFC 7323
// §5.3, tcp_paws_discard), then tcp_sequence(), which is looser than the RFC's table: it drops
// only what ends before RCV.WUP (the RCV.NXT of our last window update) or starts beyond the
// window's right edge. Rejected segments are answered with a duplicate ACK (rate-limited), SYNs
// with a challenge ACK, and a RST only counts if tcp_reset_check says so.
bool Connection::PawsReject(const Segment& seg) const {
  if (!neg_.timestamps || seg.options == nullptr || !seg.options->timestamp || seg.rst()) {
    return false;
  }
  return static_cast<int32_t>(seg.options->timestamp->first - ts_recent_) < 0 &&
         now() - ts_recent_stamp_ < hours(24 * 24);
}

bool Connection::CheckSequence(const Segment& seg) {
  if (PawsReject(seg)) {
    if (!OowRateLimited(&seg, Counter::kTcpExtTCPACKSkippedSeq)) {
      ack_now_ = true;
      Output();
    }
    return false;
  }
  const Seq rcv_wup = rcv_adv_ - rcv_wnd_;
  const SequenceVerdict v =
      TcpSequence(seg.seq, seg.seq + seg.len(), rcv_wup, rcv_nxt_, rcv_wnd_, true);
  if (v == SequenceVerdict::kAcceptable) {
    // RFC 7323 §4.3 (tcp_replace_ts_recent): remember the peer's timestamp from segments that
    // start at or before the left edge of the window we last offered.
    if (neg_.timestamps && seg.options != nullptr && seg.options->timestamp && seg.seq <= rcv_wup) {
      ts_recent_ = seg.options->timestamp->first;
      ts_recent_stamp_ = now();
    }
    return true;
  }
  if (seg.rst()) {
    if (ResetCheck(seg)) ResetByPeer();
    return false;
  }
  if (seg.syn()) {
    SynChallenge();
    return false;
  }
  if (!OowRateLimited(&seg, Counter::kTcpExtTCPACKSkippedSeq)) {
    // tcp_send_dupack: data we already have means our ACK was lost or the peer retransmitted
    // needlessly; tell it with a D-SACK block (RFC 2883) when SACK is on.
    if (neg_.sack && !seg.payload.empty() && seg.seq < rcv_nxt_) {
      rcv_buf_.Insert(RcvOffset(seg.seq), seg.payload);
    }
    ack_now_ = true;
    Output();
  }
  return false;
}

// tcp_reset: the peer reset us. The application sees ECONNREFUSED in SYN_SENT, EPIPE in
// CLOSE_WAIT (it already read the EOF) and ECONNRESET otherwise.
// (TIME_WAIT never gets here: OnSegmentTimeWait handles its resets.)
void Connection::ResetByPeer() {
  const int error = state_ == State::kSynSent     ? ECONNREFUSED
                    : state_ == State::kCloseWait ? EPIPE
                                                  : ECONNRESET;
  Done(error);
}

// Second check with RFC 5961 §3.2 as Linux extends it (tcp_validate_incoming): a RST resets when
// it is at RCV.NXT, at RCV.NXT - 1 after the peer's FIN, or at the right edge of our highest SACK
// block; anywhere else in the window it draws a challenge ACK.
void Connection::HandleRst(const Segment& seg) {
  bool reset = seg.seq == rcv_nxt_ || ResetCheck(seg);
  if (!reset && neg_.sack && !rcv_buf_.sack_blocks().empty()) {
    uint64_t max_end = 0;
    for (const SackRange& b : rcv_buf_.sack_blocks()) max_end = std::max(max_end, b.end);
    reset = seg.seq == rcv_nxt_ + static_cast<uint32_t>(max_end - rcv_buf_.next_expected());
  }
  if (!reset) {
    SendChallengeAck();
    return;
  }
  ResetByPeer();
}

void Connection::UpdateWindow(const Segment& seg) {
  // RFC 9293 §3.10.7.4: take the window from the newest segment (SND.WL1/SND.WL2).
  if (snd_wl1_ < seg.seq || (snd_wl1_ == seg.seq && snd_wl2_ <= seg.ack)) {
    snd_wnd_ = static_cast<uint32_t>(seg.window) << neg_.snd_wscale;
    snd_wl1_ = seg.seq;
    snd_wl2_ = seg.ack;
  }
}

// Fifth check. Returns false when the segment must not be processed further.
bool Connection::HandleAck(const Segment& seg) {
  net::NetContext& ctx = layer_.ctx();
  if (state_ == State::kSynReceived) {
    if (seg.ack <= snd_una_ || seg.ack > snd_max_) {
      layer_.SendResetFor(tuple_, seg);
      return false;
    }
    snd_una_ = seg.ack;
    snd_wnd_ = static_cast<uint32_t>(seg.window) << neg_.snd_wscale;
    snd_wl1_ = seg.seq;
    snd_wl2_ = seg.ack;
    ctx.wheel.Cancel(rtx_timer_);
    retransmits_ = 0;
    rto_.ResetBackoff();
    EnterEstablished();
    return true;
  }
  // RFC 5961 §5.2 as Linux's tcp_ack applies it: an ACK of data never sent is dropped (silently by
  // the ESTABLISHED fast path, with a challenge ACK from tcp_rcv_state_process in the other
  // states), and so is one older than SND.UNA by more than min(max window, bytes acked so far).
  if (seg.ack > snd_max_) {
    if (state_ != State::kEstablished) SendChallengeAck();
    return false;
  }
  const uint32_t max_window = static_cast<uint32_t>(std::min<uint64_t>(max_snd_wnd_, bytes_acked_));
  if (seg.ack < snd_una_ - max_window) {
    SendChallengeAck();
    return false;
  }
  probes_out_ = 0;                             // the peer is alive: it answered (tcp_ack)
  stats_.last_ack_recv_ms = Jiffies32(now());  // tp->rcv_tstamp
  const Seq prior_una = snd_una_;
  const uint32_t prior_wnd = snd_wnd_;
  UpdateWindow(seg);
  max_snd_wnd_ = std::max(max_snd_wnd_, snd_wnd_);
  // The peer's SACK blocks, into the scoreboard in stream offsets (before the buffer moves).
  uint64_t newly_sacked = 0;
  if (neg_.sack && seg.options != nullptr && seg.options->sack_count > 0) {
    std::array<SackRange, 4> blocks;
    const size_t n = std::min<size_t>(seg.options->sack_count, blocks.size());
    for (size_t i = 0; i < n; ++i) {
      blocks[i] = {SndOffset(Seq(seg.options->sack[i].left)),
                   SndOffset(Seq(seg.options->sack[i].right))};
    }
    newly_sacked = sacks_
                       .Update(SndOffset(seg.ack), SndOffset(prior_una), SndOffset(snd_max_),
                               std::span(blocks).first(n))
                       .newly_sacked;
  }
  if (seg.ack > prior_una) {
    const bool fin_acked = fin_sent_ && seg.ack == snd_max_;
    OnNewAck(static_cast<uint32_t>(seg.ack - prior_una), fin_acked, seg);
  } else if (neg_.sack) {
    // RFC 6675 §2: with SACK, a duplicate ACK is one that SACKs new data. Recovery starts at
    // DupThresh of them, or as soon as the scoreboard deems SND.UNA lost (§5).
    if (seg.ack == prior_una && newly_sacked > 0) ++dupacks_;
    if (!in_recovery_ && snd_nxt_ != snd_una_ &&
        (dupacks_ >= 3 || sacks_.IsLost(SndOffset(snd_una_), mss_))) {
      EnterRecovery();
    }
  } else if (seg.ack == prior_una && seg.payload.empty() && !seg.fin() && snd_wnd_ == prior_wnd &&
             snd_nxt_ != snd_una_) {
    // A duplicate ACK (RFC 5681 §2). The third starts fast retransmit (RFC 5681 §3.2) with
    // NewReno's recovery point (RFC 6582); later ones inflate the window.
    ++dupacks_;
    if (dupacks_ == 3 && !in_recovery_) {
      in_recovery_ = true;
      recover_ = snd_max_;
      cc_state_.packets_in_flight = static_cast<uint32_t>(snd_nxt_ - snd_una_) / mss_;
      cc_state_.ssthresh = cc_->SsThresh(cc_state_);
      cc_state_.cwnd = cc_state_.ssthresh + 3;
      cc_->SetState(cc_state_, CaState::kRecovery, now());
      rtt_probe_armed_ = false;
      const uint64_t off = SndOffset(snd_una_);
      const size_t len = static_cast<size_t>(std::min<uint64_t>(
          CurrentMss(), snd_buf_.end_offset() > off ? snd_buf_.end_offset() - off : 0));
      if (len > 0) SendSegment(snd_una_, wire::kAck, off, len, false);
    } else if (dupacks_ > 3 && in_recovery_) {
      cc_state_.cwnd += 1;
    }
  }
  if (in_recovery_ && neg_.sack) {
    // tcp_cwnd_reduction, once per ACK in recovery: cwnd = pipe + what PRR lets out now.
    const uint32_t mss = std::max(mss_, 1u);
    const uint64_t delivered = static_cast<uint64_t>(seg.ack - prior_una) + newly_sacked;
    cc_state_.packets_in_flight = static_cast<uint32_t>(
        sacks_.Pipe(SndOffset(snd_una_), SndOffset(snd_max_), high_rxt_, mss) / mss);
    prr_.OnAck(cc_state_, static_cast<uint32_t>((delivered + mss - 1) / mss), 0,
               seg.ack > prior_una);
  }
  switch (state_) {
    case State::kFinWait1:
      if (fin_sent_ && snd_una_ == snd_max_) {
        SetState(State::kFinWait2);
        // An orphan does not wait forever for the peer's FIN (tcp_fin_timeout; per socket
        // TCP_LINGER2). A FIN_WAIT2 reached by shutdown() keeps no timer.
        if (orphan_) {
          const int secs = opts_.linger2_s > 0 ? opts_.linger2_s : ctx.sysctl.tcp_fin_timeout;
          ctx.wheel.ArmAfter(sk_timer_, seconds(secs));
        }
      }
      break;
    case State::kClosing:
      if (fin_sent_ && snd_una_ == snd_max_) {
        EnterTimeWait();
        return false;
      }
      break;
    case State::kLastAck:
      if (fin_sent_ && snd_una_ == snd_max_) {
        if (rto_.has_sample()) layer_.metrics().Update(tuple_.remote_ip);  // tcp_update_metrics
        Done(0);
        return false;
      }
      break;
    case State::kTimeWait:
      return true;  // only a FIN matters, handled below
    default:
      break;
  }
  return true;
}

void Connection::OnNewAck(uint32_t acked, bool fin_acked, const Segment& seg) {
  net::NetContext& ctx = layer_.ctx();
  bytes_acked_ += acked;
  snd_una_ = seg.ack;
  if (snd_nxt_ < snd_una_) snd_nxt_ = snd_una_;
  // The new SND.UNA as a stream offset, less the FIN's sequence number if it was acked; computed
  // before the buffer moves, as SndOffset is relative to its start.
  const uint64_t data_acked_to = SndOffset(seg.ack) - (fin_acked ? 1 : 0);
  snd_buf_.AckTo(std::min<uint64_t>(data_acked_to, snd_buf_.end_offset()));
  // RTT (Linux tcp_clean_rtx_queue / tcp_ack_update_rtt): from the timed segment when it was
  // never retransmitted (Karn's rule, RFC 6298 §3), else from the echoed timestamp, which stays
  // valid across retransmissions (RFC 7323 §4.1), in whole milliseconds, at least one
  // (tcp_rtt_tsopt_us).
  std::optional<Duration> rtt;
  if (rtt_probe_armed_ && seg.ack >= rtt_probe_seq_) {
    rtt = now() - rtt_probe_sent_;
    rtt_probe_armed_ = false;
  } else if (neg_.timestamps && seg.options != nullptr && seg.options->timestamp &&
             seg.options->timestamp->second != 0) {
    const int32_t ms = static_cast<int32_t>(TsVal() - seg.options->timestamp->second);
    if (ms >= 0) rtt = milliseconds(std::max(ms, 1));
  }
  retransmits_ = 0;
  if (rtt) {
    rto_.OnSample(*rtt, snd_una_.value(), snd_nxt_.value(), now());
    rto_.ResetBackoff();  // RFC 6298 §5.7: backoff ends with a valid RTT measurement
  }
  dupacks_ = 0;
  const uint32_t acked_segs = std::max<uint32_t>(1, acked / std::max<uint32_t>(mss_, 1));
  if (in_recovery_) {
    if (seg.ack >= recover_) {
      // Full ACK: leave recovery with cwnd = ssthresh (RFC 6582 §3.2 step 3; with SACK, Linux's
      // tcp_end_cwnd_reduction).
      in_recovery_ = false;
      if (neg_.sack) {
        prr_.End(cc_state_, *cc_, /*undo_marker=*/true, now());
      } else {
        cc_state_.cwnd = std::max<uint32_t>(cc_state_.ssthresh, 2);
      }
      cc_->SetState(cc_state_, CaState::kOpen, now());
    } else if (neg_.sack) {
      // Partial ACK under SACK: the scoreboard picks what to send next (SackRecoverySend).
    } else {
      // Partial ACK: retransmit the next hole at once, deflate by what was acked.
      const uint64_t off = SndOffset(snd_una_);
      const size_t len = static_cast<size_t>(std::min<uint64_t>(
          CurrentMss(), snd_buf_.end_offset() > off ? snd_buf_.end_offset() - off : 0));
      if (len > 0) SendSegment(snd_una_, wire::kAck, off, len, false);
      cc_state_.cwnd = cc_state_.cwnd > acked_segs ? cc_state_.cwnd - acked_segs + 1 : 1;
    }
  } else {
    CcOnAck(acked_segs, rtt);
  }
  // Let the send buffer grow with the window, as Linux's tcp_sndbuf_expand does (up to
  // tcp_wmem[2]), unless the application fixed SO_SNDBUF.
  if (opts_.sndbuf == 0) {
    const size_t want =
        std::min<size_t>(2ull * cc_state_.cwnd * mss_, static_cast<size_t>(ctx.sysctl.tcp_wmem[2]));
    if (want > snd_buf_.capacity()) snd_buf_.set_capacity(want);
  }
  if (snd_una_ == snd_max_) {
    ctx.wheel.Cancel(rtx_timer_);
  } else {
    ArmRetransmitTimer();
  }
}

// Seventh check: the data (RFC 9293 §3.10.7.4; Linux tcp_data_queue).
void Connection::HandleData(const Segment& seg) {
  if (seg.payload.empty()) return;
  net::NetContext& ctx = layer_.ctx();
  // tcp_rcv_state_process, step 7. After the peer's FIN only retransmissions of old data can
  // arrive; new data for a socket whose reading side is shut (by the application, or by the
  // peer's FIN) is answered with a reset, as RFC 1122 §4.2.2.13 asks.
  const bool rcv_shutdown = read_shut_ || fin_received_;
  switch (state_) {
    case State::kCloseWait:
    case State::kClosing:
    case State::kLastAck:
      if (seg.seq >= rcv_nxt_) return;
      [[fallthrough]];
    case State::kFinWait1:
    case State::kFinWait2:
      if (rcv_shutdown && seg.seq + static_cast<uint32_t>(seg.payload.size()) > rcv_nxt_) {
        ctx.mib.Inc(Counter::kTcpExtTCPAbortOnData);
        layer_.SendResetFor(tuple_, seg);  // tcp_v4_send_reset: <SEQ=SEG.ACK><RST>
        ResetByPeer();
        return;
      }
      break;
    case State::kEstablished:
      break;
    default:
      return;
  }
  // The buffer trims what it already holds (and notes it for a D-SACK) and what lies beyond its
  // free space.
  const uint64_t before = rcv_buf_.next_expected();
  if (!seg.payload.empty()) stats_.last_data_recv_ms = Jiffies32(now());  // tcp_event_data_recv
  const ReceiveBuffer::InsertResult r = rcv_buf_.Insert(RcvOffset(seg.seq), seg.payload);
  rcv_nxt_ += static_cast<uint32_t>(rcv_buf_.next_expected() - before);
  stats_.bytes_received += rcv_buf_.next_expected() - before;
  if (r.readable_added > 0 && !r.out_of_order) RcvRttMeasure();  // tcp_event_data_recv
  if (r.out_of_order || r.duplicate > 0) {
    ack_now_ = true;  // out of order: ACK at once so the sender sees the hole (RFC 5681 §4.2)
  } else {
    if (r.readable_added > 0) ctx.TookInOrder(InPlaceReceiverOps(this));  // zero-copy receive
    segs_since_ack_ =
        static_cast<uint16_t>(std::min<uint32_t>(segs_since_ack_ + seg.gso_segs, 0xFFFF));
    ScheduleAck(false);
  }
  if (pending_fin_ && rcv_nxt_ == *pending_fin_) HandleFin(seg);
  Notify();
}

// Zero-copy receive (net::InPlaceReceiver): only ESTABLISHED takes new text without conditions.
net::InPlaceReceiver Connection::InPlaceReceiverOps(Connection* c) {
  net::InPlaceReceiver r;
  r.owner = c;
  r.room = [](void* owner, size_t headroom) {
    return static_cast<Connection*>(owner)->InPlaceRoom(headroom);
  };
  r.expects = [](const void* owner, wire::Ipv4Address local, uint16_t local_port,
                 wire::Ipv4Address remote, uint16_t remote_port, uint32_t seq) {
    return static_cast<const Connection*>(owner)->ExpectsInPlace(local, local_port, remote,
                                                                 remote_port, seq);
  };
  return r;
}

std::span<uint8_t> Connection::InPlaceRoom(size_t headroom) {
  if (state_ != State::kEstablished) return {};
  return rcv_buf_.InPlaceRoom(headroom);
}

bool Connection::ExpectsInPlace(wire::Ipv4Address local, uint16_t local_port,
                                wire::Ipv4Address remote, uint16_t remote_port,
                                uint32_t seq) const {
  return state_ == State::kEstablished && seq == rcv_nxt_.value() && local == tuple_.local_ip &&
         local_port == tuple_.local_port && remote == tuple_.remote_ip &&
         remote_port == tuple_.remote_port;
}

// Eighth check: the FIN (RFC 9293 §3.10.7.4). A FIN beyond RCV.NXT waits until the data before it
// has arrived.
void Connection::HandleFin(const Segment& seg) {
  if (!fin_received_ && seg.fin()) {
    const Seq fin_seq = seg.seq + static_cast<uint32_t>(seg.payload.size());
    if (fin_seq != rcv_nxt_) {
      if (fin_seq > rcv_nxt_) {
        pending_fin_ = fin_seq;
        ack_now_ = true;  // out of order: queued (tcp_data_queue_ofo), duplicate ACK at once
      }
      return;
    }
  } else if (!(pending_fin_ && *pending_fin_ == rcv_nxt_)) {
    if (seg.fin() && seg.seq + static_cast<uint32_t>(seg.payload.size()) < rcv_nxt_) {
      // A retransmitted FIN (our ACK of it was lost): acknowledge it again at once, as
      // tcp_data_queue does for any old segment; in TIME_WAIT also restart the 2 MSL wait
      // (RFC 9293 §3.10.7.4).
      ack_now_ = true;
      if (state_ == State::kTimeWait) layer_.ctx().wheel.ArmAfter(sk_timer_, seconds(60));
    }
    return;
  }
  pending_fin_.reset();
  fin_received_ = true;
  rcv_nxt_ += 1;
  switch (state_) {
    case State::kSynReceived:
    case State::kEstablished:
      // tcp_fin: CLOSE_WAIT in pingpong (interactive) mode, where quick ACKs are off: the ACK
      // waits for the delayed-ACK timer (unless more than a segment is unacknowledged), so an
      // application that closes on EOF sends its FIN with it and the close takes three
      // segments, not four.
      quickack_ = 0;
      ack_now_ = segs_since_ack_ >= 2;
      if (!ack_now_) ScheduleAck(false);
      SetState(State::kCloseWait);
      break;
    case State::kFinWait1:
      ack_now_ = true;  // tcp_fin: tcp_send_ack, then CLOSING or (our FIN acked) TIME_WAIT
      if (fin_sent_ && snd_una_ == snd_max_) {
        EnterTimeWait();
      } else {
        SetState(State::kClosing);  // simultaneous close (RFC 9293 §3.6, figure 13)
      }
      break;
    case State::kFinWait2:
      ack_now_ = true;  // tcp_fin: tcp_send_ack, then tcp_time_wait
      EnterTimeWait();
      break;
    default:
      ack_now_ = true;
      break;
  }
  Notify();
}

// RFC 6675 §5 step (4) with Linux's reduction (tcp_enter_recovery): remember the recovery point
// and let PRR (RFC 6937, tcp_init_cwnd_reduction) bring cwnd down to the new ssthresh over the
// next round trip, instead of halving it at once; then send by the scoreboard.
void Connection::EnterRecovery() {
  in_recovery_ = true;
  recover_ = snd_max_;
  cc_state_.packets_in_flight = static_cast<uint32_t>(snd_max_ - snd_una_) / std::max(mss_, 1u);
  prr_.Start(cc_state_, *cc_);
  cc_->SetState(cc_state_, CaState::kRecovery, now());
  high_rxt_ = SndOffset(snd_una_);
  rescue_rxt_ = 0;
  rtt_probe_armed_ = false;
  snd_nxt_ = snd_max_;
}

// RFC 6675 §5 step (C): while the window holds another segment above what the network holds
// (pipe), send the one NextSeg() picks: a lost segment, new data, an unSACKed one, or the rescue.
void Connection::SackRecoverySend() {
  const uint32_t mss = CurrentMss();
  for (int guard = 0; guard < 1024; ++guard) {
    const uint64_t una = SndOffset(snd_una_);
    const uint64_t high = SndOffset(snd_max_);
    const uint64_t pipe = sacks_.Pipe(una, high, high_rxt_, mss);
    if (pipe + mss > uint64_t{cc_state_.cwnd} * mss) break;
    SackScoreboard::NextSegInput in;
    in.snd_una = una;
    in.snd_nxt = high;
    in.high_rxt = high_rxt_;
    in.send_end = snd_buf_.end_offset();
    in.window_end = una + snd_wnd_;
    in.smss = mss;
    if (rescue_rxt_ != 0) in.rescue_rxt = rescue_rxt_;
    const std::optional<SackScoreboard::NextSegment> next = sacks_.NextSeg(in);
    if (!next) break;
    const uint64_t start = next->range.start;
    const size_t len = static_cast<size_t>(std::min<uint64_t>(next->range.size(), mss));
    if (len == 0) break;
    const Seq seq = snd_una_ + static_cast<uint32_t>(start - una);
    SendSegment(seq, wire::kAck, start, len, false);
    prr_.OnSent(1);
    if (next->rule == SackScoreboard::Rule::kNewData) {
      snd_nxt_ = snd_max_;
    } else {
      high_rxt_ = std::max(high_rxt_, start + len);
      if (next->rule == SackScoreboard::Rule::kRescue) rescue_rxt_ = start + len;
    }
  }
  if (!rtx_timer_.armed()) ArmRetransmitTimer();
}

// Linux tcp_cong_control for Reno and CUBIC: the RTT sample first (pkts_acked), then window
// growth (cong_avoid) only while the window, not the application, limited the sender.
void Connection::CcOnAck(uint32_t acked_segments, std::optional<Duration> rtt) {
  AckSample sample;
  sample.pkts_acked = acked_segments;
  if (rtt) sample.rtt = *rtt;
  cc_state_.packets_in_flight = static_cast<uint32_t>(snd_nxt_ - snd_una_) / std::max(mss_, 1u);
  cc_state_.is_cwnd_limited = cc_state_.packets_in_flight + acked_segments >= cc_state_.cwnd;
  cc_->PktsAcked(cc_state_, sample, now());
  if (cc_state_.is_cwnd_limited) cc_->CongAvoid(cc_state_, acked_segments, now());
}

void Connection::EnterEstablished() {
  SetState(State::kEstablished);
  // tcp_init_buffer_space: DRS starts from what ten segments or the first window carry.
  const uint32_t advmss = OwnMss() - (neg_.timestamps ? 12 : 0);
  rcvq_space_ = std::min(rcv_wnd_, 10 * advmss);
  rcvq_seq_ = static_cast<uint32_t>(rcv_buf_.read_offset());
  rcvq_time_ = MicrosNow();
  if (opts_.keepalive) SetKeepalive(true);
  // Room to grow the congestion window comes from the first cwnd of data.
  if (opts_.sndbuf == 0) {
    snd_buf_.set_capacity(std::max<size_t>(snd_buf_.capacity(), 2ull * cc_state_.cwnd * mss_));
  }
}

// Receive-buffer autotuning, "dynamic right-sizing" (Linux tcp_rcv_space_adjust, after Fisk and
// Feng's DRS): the receiver measures what the application reads per RTT and sizes the buffer, and
// with it the window it offers, to about twice that (more while the rate still grows), up to
// tcp_rmem[2]. A socket whose SO_RCVBUF the application set keeps its size (SOCK_RCVBUF_LOCK).
// Here the buffer's free space is the window offered (WindowToAdvertise), so its size stands for
// both Linux's sk_rcvbuf and window_clamp; it only grows. Always on, as with Linux's default
// net.ipv4.tcp_moderate_rcvbuf = 1 (that knob is not in Sysctl yet).

uint32_t Connection::MicrosNow() const {
  return static_cast<uint32_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(now().time_since_epoch()).count());
}

// tcp_rcv_rtt_measure: time how long the window offered when the last measurement started takes
// to arrive. Such samples only ever lower the estimate (tcp_rcv_rtt_update with win_dep: a sender
// that is not window-limited makes them too long). Linux also takes samples from echoed
// timestamps (tcp_rcv_rtt_measure_ts); ours tick in milliseconds and read 0 on a LAN, so only
// the window's timing is used.
void Connection::RcvRttMeasure() {
  uint32_t t = MicrosNow();
  if (t == 0) t = 1;  // 0 means "not started"
  if (rcv_rtt_time_ != 0) {
    if (rcv_nxt_ < rcv_rtt_seq_) return;
    const uint32_t sample = std::max<uint32_t>(t - rcv_rtt_time_, 1);
    const uint32_t m = sample < (1u << 28) ? sample << 3 : UINT32_MAX;
    if (rcv_rtt_us8_ == 0 || m < rcv_rtt_us8_) rcv_rtt_us8_ = m;
  }
  rcv_rtt_seq_ = rcv_nxt_ + rcv_wnd_;
  rcv_rtt_time_ = t;
}

// tcp_rcv_space_adjust, after every read: once an RTT has passed, compare what the application
// read in it (less what is still queued) with the last RTT's.
void Connection::RcvSpaceAdjust() {
  if (rcv_rtt_us8_ == 0) return;
  const uint32_t t = MicrosNow();
  if (t - rcvq_time_ < (rcv_rtt_us8_ >> 3)) return;
  const uint32_t read_to = static_cast<uint32_t>(rcv_buf_.read_offset());
  const int64_t copied =
      static_cast<int64_t>(read_to - rcvq_seq_) - static_cast<int64_t>(rcv_buf_.readable());
  if (copied > static_cast<int64_t>(rcvq_space_)) {
    RcvBufGrow(static_cast<uint32_t>(std::min<int64_t>(copied, INT32_MAX)));
  }
  rcvq_seq_ = read_to;
  rcvq_time_ = t;
}

// tcp_rcvbuf_grow: twice what was read in an RTT (DRS is an RTT late), plus twice the growth
// since the RTT before (a sender in slow start doubles its rate), plus what waits out of order.
void Connection::RcvBufGrow(uint32_t copied) {
  const uint32_t old_space = std::max<uint32_t>(rcvq_space_, 1);
  rcvq_space_ = copied;
  // SO_RCVBUF pins the buffer (SOCK_RCVBUF_LOCK), and tcp_moderate_rcvbuf=0 turns DRS off.
  if (opts_.rcvbuf != 0 || layer_.ctx().sysctl.tcp_moderate_rcvbuf == 0) return;
  uint64_t rcvwin = uint64_t{copied} << 1;
  rcvwin += (rcvwin * (copied - std::min(copied, old_space)) / old_space) << 1;
  if (!rcv_buf_.ooo_ranges().empty()) {
    rcvwin += rcv_buf_.ooo_ranges().back().end - rcv_buf_.next_expected();
  }
  const uint64_t rcvbuf =
      std::min<uint64_t>(rcvwin, static_cast<uint64_t>(layer_.ctx().sysctl.tcp_rmem[2]));
  if (rcvbuf > rcv_buf_.capacity()) rcv_buf_.set_capacity(static_cast<size_t>(rcvbuf));
}

}  // namespace taptcp::tcp
