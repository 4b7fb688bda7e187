// The connection's timers (Linux tcp_timer.c): retransmission (with SYN retries and the zero-window
// probe), delayed ACK, keepalive, and the TIME_WAIT / orphaned FIN_WAIT2 timeout.
#include <algorithm>
#include <bit>

#include "stack/tcp/connection.h"
#include "stack/tcp/tcp_layer.h"

namespace taptcp::tcp {
namespace {

// tcp_model_timeout(): how long `boundary` retransmissions take when the RTO starts at `rto_base`
// and doubles up to TCP_RTO_MAX. Linux decides "too many retransmissions" by elapsed time against
// this model (retransmits_timed_out), not by counting, so a connection whose RTO was already
// large times out no sooner than one that started small.
Duration ModelTimeout(int boundary, Duration rto_base) {
  const Duration kRtoMax = seconds(120);
  const int thresh = std::bit_width(static_cast<uint64_t>(kRtoMax / rto_base)) - 1;  // ilog2
  if (boundary <= thresh) return ((2 << boundary) - 1) * rto_base;
  return ((2 << thresh) - 1) * rto_base + (boundary - thresh) * kRtoMax;
}

}  // namespace

void Connection::OnTimer(timers::Timer& t, Instant) {
  net::NetContext& ctx = layer_.ctx();
  if (ctx.trace != nullptr) {
    // The names `ss -o` uses for the same timers: on (retransmission), persist (zero-window
    // probe), keepalive, timewait; and delack.
    TraceEvent e;
    e.time = now();
    e.kind = TraceKind::kTimer;
    e.what = &t == &rtx_timer_      ? (snd_wnd_ == 0 && snd_nxt_ == snd_una_ ? "persist" : "on")
             : &t == &delack_timer_ ? "delack"
             : (state_ == State::kTimeWait || (state_ == State::kFinWait2 && orphan_))
                 ? "timewait"
                 : "keepalive";
    e.local_ip = tuple_.local_ip;
    e.local_port = tuple_.local_port;
    e.remote_ip = tuple_.remote_ip;
    e.remote_port = tuple_.remote_port;
    ctx.trace->OnEvent(e);
  }
  if (&t == &rtx_timer_) {
    OnRetransmitTimer();
  } else if (&t == &delack_timer_) {
    ack_now_ = true;
    Output();
  } else if (state_ == State::kTimeWait || (state_ == State::kFinWait2 && orphan_)) {
    OnTimeWaitTimer();
  } else {
    OnKeepaliveTimer();
  }
}

void Connection::ArmRetransmitTimer() { layer_.ctx().wheel.ArmAfter(rtx_timer_, rto_.Rto()); }

void Connection::OnRetransmitTimer() {
  net::NetContext& ctx = layer_.ctx();
  const Sysctl& sc = ctx.sysctl;
  if (state_ == State::kSynSent || state_ == State::kSynReceived) {
    // tcp_write_timeout for SYN_SENT: syn_retries (TCP_SYNCNT or tcp_syn_retries) plus, since
    // Linux 6.5, tcp_syn_linear_timeouts retransmissions; counted, not time-modelled.
    const int retries = opts_.syn_retries > 0 ? opts_.syn_retries : sc.tcp_syn_retries;
    const int max =
        state_ == State::kSynSent ? retries + sc.tcp_syn_linear_timeouts : sc.tcp_synack_retries;
    if (retransmits_ >= max) {
      ctx.mib.Inc(Counter::kTcpExtTCPAbortOnTimeout);
      Done(ETIMEDOUT);  // no RST (tcp_write_err)
      return;
    }
    ctx.mib.Inc(Counter::kTcpExtTCPTimeouts);
    // The first tcp_syn_linear_timeouts retransmissions keep the initial RTO (1 s); then the RTO
    // doubles: 1, 2, 3, 4, 5, 7, 11, 19, 35, 67 s and failure at 131 s with the defaults.
    const bool linear = state_ == State::kSynSent && retransmits_ < sc.tcp_syn_linear_timeouts;
    ++retransmits_;
    rtt_probe_armed_ = false;
    SendSegment(iss_, state_ == State::kSynSent ? wire::kSyn : (wire::kSyn | wire::kAck), 0, 0,
                true);
    if (!linear) rto_.Backoff();
    ArmRetransmitTimer();
    return;
  }
  const uint64_t unsent_from = SndOffset(snd_nxt_);
  const bool probing = snd_nxt_ == snd_una_ && snd_buf_.end_offset() > unsent_from;
  if (snd_una_ == snd_max_ && !probing) return;  // everything acknowledged meanwhile
  if (probing) {
    // Zero-window probe (tcp_probe_timer / tcp_send_probe0 / tcp_xmit_probe_skb): an ACK one byte
    // left of the window makes the peer answer with its current window, and any answer resets the
    // count, so a live peer may keep its window closed forever; unanswered, the connection ends
    // after tcp_retries2 probes (an orphan's after tcp_orphan_retries, 8 for 0).
    const int max_probes =
        orphan_ ? (sc.tcp_orphan_retries > 0 ? sc.tcp_orphan_retries : 8) : sc.tcp_retries2;
    if (probes_out_ >= max_probes) {
      ctx.mib.Inc(Counter::kTcpExtTCPAbortOnTimeout);
      Done(ETIMEDOUT);
      return;
    }
    ++probes_out_;
    // tcp_write_wakeup: a window that is open but smaller than a segment (what sender SWS
    // avoidance holds back for) gets as much data as fits, with PSH; a closed one gets the bare
    // probe one byte left of it.
    const uint64_t unsent = snd_buf_.end_offset() - unsent_from;
    const uint32_t fits = static_cast<uint32_t>(std::min<uint64_t>({snd_wnd_, mss_, unsent}));
    if (fits > 0) {
      SendSegment(snd_nxt_, wire::kAck | wire::kPsh, unsent_from, fits, false);
      snd_nxt_ += fits;
    } else {
      SendSegment(snd_una_ - 1, wire::kAck, 0, 0, false);
    }
    rto_.Backoff();
    ArmRetransmitTimer();
    return;
  }
  // Orphans give up after tcp_orphan_retries (0 means 8 here, tcp_orphan_retries()), live sockets
  // after tcp_retries2; both by elapsed time since the first retransmission.
  int boundary = sc.tcp_retries2;
  if (orphan_) {
    boundary = sc.tcp_orphan_retries > 0 ? sc.tcp_orphan_retries : 8;
  }
  if (retransmits_ > 0 && now() - retrans_stamp_ >= ModelTimeout(boundary, milliseconds(200))) {
    ctx.mib.Inc(Counter::kTcpExtTCPAbortOnTimeout);
    Done(ETIMEDOUT);  // dropped with no RST
    return;
  }
  ctx.mib.Inc(Counter::kTcpExtTCPTimeouts);
  // Linux measures from the original transmission of the segment now retransmitted (retrans_stamp
  // takes the head skb's send time): one RTO before this first expiry.
  if (retransmits_ == 0) retrans_stamp_ = now() - rto_.Rto();
  ++retransmits_;
  // RTO (RFC 6298 §5.4-5.6; Linux tcp_enter_loss): slow start from one segment, resend from the
  // oldest unacknowledged byte.
  cc_state_.packets_in_flight = static_cast<uint32_t>(snd_nxt_ - snd_una_) / std::max(mss_, 1u);
  cc_state_.ssthresh = cc_->SsThresh(cc_state_);
  cc_state_.cwnd = 1;
  cc_->OnCwndEvent(cc_state_, CwndEvent::kLoss, now());
  cc_->SetState(cc_state_, CaState::kLoss, now());
  in_recovery_ = false;
  dupacks_ = 0;
  rtt_probe_armed_ = false;
  // Everything outstanding is presumed lost; resend from SND.UNA (the RFC 2018 §8 choice of
  // forgetting SACK state; Linux keeps it in tcp_timeout_mark_lost and skips SACKed data).
  sacks_.Reset();
  snd_nxt_ = snd_una_;  // the FIN, if sent, goes again after the data (Output's fin_out)
  rto_.Backoff();
  Output();
  ArmRetransmitTimer();
}

void Connection::OnTimeWaitTimer() {
  if (state_ == State::kTimeWait) {
    layer_.ctx().mib.Inc(Counter::kTcpExtTW);
    Done(0);
  } else if (state_ == State::kFinWait2 && orphan_) {
    // tcp_fin_timeout ran out for an orphan: gone without a RST.
    Done(0);
  }
}

void Connection::ArmKeepalive(Duration after) { layer_.ctx().wheel.ArmAfter(sk_timer_, after); }

void Connection::SetKeepalive(bool on) {
  opts_.keepalive = on;
  // TIME_WAIT and an orphan's FIN_WAIT2 use the same timer for their own timeout.
  if (state_ == State::kTimeWait || (state_ == State::kFinWait2 && orphan_)) return;
  if (!on) {
    layer_.ctx().wheel.Cancel(sk_timer_);
  } else if (state_ != State::kClosed && state_ != State::kSynSent) {
    const Sysctl& sc = layer_.ctx().sysctl;
    ArmKeepalive(seconds(opts_.keepidle_s > 0 ? opts_.keepidle_s : sc.tcp_keepalive_time));
  }
}

// tcp_keepalive_timer: after keepidle of silence from the peer, probe every keepintvl with an ACK
// one byte left of the window (which any live peer answers); after keepcnt unanswered probes,
// reset the connection and report ETIMEDOUT. Probes wait while data is in flight or queued, since
// the retransmission timer already watches the peer then.
void Connection::OnKeepaliveTimer() {
  net::NetContext& ctx = layer_.ctx();
  const Sysctl& sc = ctx.sysctl;
  if (!opts_.keepalive || state_ == State::kClosed || state_ == State::kSynSent ||
      state_ == State::kTimeWait) {
    return;
  }
  const Duration idle = seconds(opts_.keepidle_s > 0 ? opts_.keepidle_s : sc.tcp_keepalive_time);
  const Duration intvl =
      seconds(opts_.keepintvl_s > 0 ? opts_.keepintvl_s : sc.tcp_keepalive_intvl);
  const int count = opts_.keepcnt > 0 ? opts_.keepcnt : sc.tcp_keepalive_probes;
  if (snd_max_ != snd_una_ || snd_buf_.size() > 0) {
    ArmKeepalive(idle);
    return;
  }
  const Duration elapsed = now() - last_recv_;
  if (elapsed < idle) {
    ArmKeepalive(idle - elapsed);
    return;
  }
  if (probes_out_ >= count) {
    SendRst(snd_nxt_);
    Done(ETIMEDOUT);
    return;
  }
  ++probes_out_;
  ctx.mib.Inc(Counter::kTcpExtTCPKeepAlive);
  SendSegment(snd_una_ - 1, wire::kAck, 0, 0, false);
  ArmKeepalive(intvl);
}

// TIME_WAIT lasts 2 x MSL = 60 s on Linux whatever tcp_fin_timeout says (TCP_TIMEWAIT_LEN).
void Connection::EnterTimeWait() {
  net::NetContext& ctx = layer_.ctx();
  // tcp_time_wait -> tcp_update_metrics: a peer we closed with properly is "proven".
  if (rto_.has_sample()) layer_.metrics().Update(tuple_.remote_ip);
  SetState(State::kTimeWait);
  ctx.wheel.Cancel(rtx_timer_);
  ctx.wheel.ArmAfter(sk_timer_, seconds(60));  // replaces any keepalive
  // The buffers stay until the connection is freed: giving them back here measured 2.5x slower
  // connection turnover (malloc/munmap churn of the 128 KiB receive ring). The compact TIME_WAIT
  // entry of issue 7 frees the whole TCB, and will want a ring-buffer pool for the same reason.
}

}  // namespace taptcp::tcp
