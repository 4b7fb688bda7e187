// Construction, the socket-facing calls and state bookkeeping of a connection.
#include "stack/tcp/connection.h"

#include <algorithm>
#include <cerrno>

#include "stack/tcp/tcp_layer.h"

namespace taptcp::tcp {

Connection::Connection(TcpLayer& layer, const FourTuple& tuple, const ConnectionOptions& options)
    : layer_(layer),
      tuple_(tuple),
      opts_(options),
      snd_buf_(options.sndbuf > 0 ? options.sndbuf
                                  : static_cast<size_t>(layer.ctx().sysctl.tcp_wmem[1])),
      rcv_buf_(options.rcvbuf > 0 ? options.rcvbuf
                                  : static_cast<size_t>(layer.ctx().sysctl.tcp_rmem[1])),
      cc_(MakeCongestionControl(layer.ctx().sysctl.tcp_congestion_control)),
      rtx_timer_(this),
      delack_timer_(this),
      sk_timer_(this) {
  if (!cc_) cc_ = MakeCongestionControl("reno");
  ts_offset_ = layer.TimestampOffset(tuple);
  neg_.rcv_wscale = layer.ReceiveWindowScale();
  mss_ = std::min<uint32_t>(536, layer.mtu_mss());
}

Connection::~Connection() {
  layer_.ctx().Forget(this);
  if (state_ == State::kEstablished || state_ == State::kCloseWait) {
    layer_.ctx().mib.Dec(Counter::kTcpCurrEstab);
  }
}

Instant Connection::now() const { return layer_.ctx().now(); }

void Connection::Connect(Instant t) {
  iss_ = Seq(layer_.isn().Isn(tuple_, t));
  snd_una_ = snd_nxt_ = snd_max_ = iss_;
  layer_.ctx().mib.Inc(Counter::kTcpActiveOpens);
  SetState(State::kSynSent);
  cc_state_.mss = mss_;
  cc_->Init(cc_state_, now());
  SendSegment(iss_, wire::kSyn, 0, 0, true);
  snd_nxt_ = iss_ + 1;
  ArmRetransmitTimer();  // the initial RTO: 1 s (TCP_TIMEOUT_INIT)
}

void Connection::StartFromRequest(Seq iss, Seq irs, const Negotiated& neg, uint32_t snd_wnd_raw,
                                  uint32_t ts_recent, uint32_t ts_offset, uint16_t synack_window,
                                  std::optional<Duration> synack_rtt) {
  iss_ = iss;
  snd_una_ = snd_nxt_ = snd_max_ = iss + 1;
  irs_ = irs;
  rcv_nxt_ = irs + 1;
  neg_ = neg;
  ts_recent_ = ts_recent;
  ts_recent_stamp_ = now();
  ts_offset_ = ts_offset;
  SyncMss();
  snd_wnd_ = snd_wnd_raw << neg_.snd_wscale;
  snd_wl1_ = irs + 1;
  snd_wl2_ = iss + 1;
  // The SYN-ACK offered this much (unscaled): it is the receive window until we send another.
  syn_window_ = synack_window;
  rcv_wnd_ = synack_window;
  rcv_adv_ = rcv_nxt_ + rcv_wnd_;
  cc_state_.mss = mss_;
  cc_->Init(cc_state_, now());
  quickack_ = 16;
  // tcp_synack_rtt_meas: the handshake's round trip is the first RTT sample, so the first RTO is
  // about 200 ms on a LAN, not the initial 1 s.
  if (synack_rtt) rto_.OnSample(*synack_rtt, snd_una_.value(), snd_nxt_.value(), now());
  EnterEstablished();
}

size_t Connection::send_space() const {
  if (fin_queued_) return 0;
  return snd_buf_.free_space();
}

size_t Connection::unacked_bytes() const { return static_cast<uint32_t>(snd_max_ - snd_una_); }

int64_t Connection::Send(std::span<const uint8_t> data) {
  if (error_ != 0) return -TakeError();
  switch (state_) {
    case State::kSynSent:
    case State::kSynReceived:
      return -EAGAIN;  // a non-blocking send before the handshake completes
    case State::kEstablished:
    case State::kCloseWait:
      break;
    default:
      return -EPIPE;
  }
  if (fin_queued_) return -EPIPE;
  const size_t n = snd_buf_.Append(data);
  if (n == 0 && !data.empty()) return -EAGAIN;
  Output();
  return static_cast<int64_t>(n);
}

int64_t Connection::Recv(std::span<uint8_t> out, bool peek) {
  if (rcv_buf_.readable() == 0) {
    if (fin_received_ || read_shut_) return 0;
    if (error_ != 0) return -TakeError();
    if (state_ == State::kClosed) return 0;
    return -EAGAIN;  // nothing yet (also before the handshake completes)
  }
  const size_t n = peek ? rcv_buf_.Peek(out) : rcv_buf_.Read(out);
  if (!peek && n > 0) RcvSpaceAdjust();  // tcp_recvmsg: DRS may grow the buffer and the window
  if (!peek && state_ != State::kClosed) {
    // Reading opened the window; tell the peer when it doubled (tcp_cleanup_rbuf), so a sender
    // stalled on a closed window resumes without waiting for a probe.
    // Compare the window we could advertise now (capped by what the scale can express), not the
    // raw free space: without window scaling a 128 KiB buffer still offers at most 65535.
    const uint32_t offered = static_cast<uint32_t>(rcv_adv_ - rcv_nxt_);
    const uint64_t could =
        std::min<uint64_t>(rcv_buf_.free_space(), uint64_t{65535} << neg_.rcv_wscale);
    if (could >= 2ull * offered && could >= mss_) {
      ack_now_ = true;
      Output();
    }
  }
  return static_cast<int64_t>(n);
}

int Connection::Shutdown(bool read, bool write) {
  if (state_ == State::kClosed || state_ == State::kListen) return -ENOTCONN;
  if (read) read_shut_ = true;
  if (write && !fin_queued_) {
    switch (state_) {
      case State::kSynSent:
        Done(0);  // nothing was said yet: just stop
        return 0;
      case State::kSynReceived:
      case State::kEstablished:
        SetState(State::kFinWait1);
        break;
      case State::kCloseWait:
        SetState(State::kLastAck);
        break;
      default:
        return 0;
    }
    fin_queued_ = true;
    Output();
  }
  Notify();
  return 0;
}

// close() (Linux __tcp_close): unread data means RST (RFC 2525 §2.17), SO_LINGER{1,0} means RST,
// otherwise the FIN goes after the queued data and the connection lives on as an orphan.
void Connection::Close(bool linger_zero) {
  net::NetContext& ctx = layer_.ctx();
  orphan_ = true;
  read_shut_ = true;
  observer_ = nullptr;
  switch (state_) {
    case State::kClosed:
      layer_.Release(this);
      return;
    case State::kSynSent:
      Done(0);  // quietly, no RST
      return;
    default:
      break;
  }
  if (rcv_buf_.readable() > 0 && IsSynchronized(state_)) {
    ctx.mib.Inc(Counter::kTcpExtTCPAbortOnClose);
    Abort(0);
    return;
  }
  if (linger_zero) {
    ctx.mib.Inc(Counter::kTcpExtTCPAbortOnData);
    Abort(0);
    return;
  }
  if (state_ == State::kFinWait2) {
    // Now an orphan: FIN_WAIT2 no longer waits forever (the keepalive it may have had ends).
    const int secs = opts_.linger2_s > 0 ? opts_.linger2_s : ctx.sysctl.tcp_fin_timeout;
    ctx.wheel.ArmAfter(sk_timer_, seconds(secs));
  }
  Shutdown(true, true);
}

void Connection::Abort(int error) {
  if (state_ != State::kClosed && state_ != State::kSynSent && state_ != State::kTimeWait) {
    SendRst(snd_nxt_);
  }
  Done(error);
}

void Connection::SetState(State s) {
  if (s == state_) return;
  net::NetContext& ctx = layer_.ctx();
  const State old = state_;
  // Tcp CurrEstab counts ESTABLISHED and CLOSE_WAIT; EstabResets counts the direct falls from
  // those states to CLOSED (tcp_set_state).
  const bool was_estab = old == State::kEstablished || old == State::kCloseWait;
  const bool is_estab = s == State::kEstablished || s == State::kCloseWait;
  if (was_estab && !is_estab) ctx.mib.Dec(Counter::kTcpCurrEstab);
  if (!was_estab && is_estab) ctx.mib.Inc(Counter::kTcpCurrEstab);
  if (was_estab && s == State::kClosed) ctx.mib.Inc(Counter::kTcpEstabResets);
  // tcp_done: a connection that dies before it was established is a failed attempt.
  if ((old == State::kSynSent || old == State::kSynReceived) && s == State::kClosed) {
    ctx.mib.Inc(Counter::kTcpAttemptFails);
  }
  state_ = s;
  if (ctx.trace != nullptr) {
    TraceEvent e;
    e.time = now();
    e.kind = TraceKind::kState;
    e.what = StateName(s);
    e.detail = StateName(old);
    e.local_ip = tuple_.local_ip;
    e.local_port = tuple_.local_port;
    e.remote_ip = tuple_.remote_ip;
    e.remote_port = tuple_.remote_port;
    ctx.trace->OnEvent(e);
  }
}

void Connection::Notify() {
  if (observer_ != nullptr) observer_->OnConnectionEvent();
}

void Connection::Done(int error) {
  net::NetContext& ctx = layer_.ctx();
  if (error != 0) error_ = error;
  ctx.wheel.Cancel(rtx_timer_);
  ctx.wheel.Cancel(delack_timer_);
  ctx.wheel.Cancel(sk_timer_);
  SetState(State::kClosed);
  Notify();
  layer_.OnConnectionClosed(this);  // may free this connection: nothing after this line
}

std::optional<Connection::TimerInfo> Connection::ActiveTimer() const {
  // `ss -o` calls the TIME_WAIT and the orphaned FIN_WAIT2 timeouts both "timewait".
  const bool closing_timer = state_ == State::kTimeWait || (state_ == State::kFinWait2 && orphan_);
  if (sk_timer_.armed() && closing_timer) return TimerInfo{"timewait", sk_timer_.expiry(), 0};
  if (rtx_timer_.armed()) {
    return TimerInfo{snd_wnd_ == 0 && snd_nxt_ == snd_una_ ? "persist" : "on", rtx_timer_.expiry(),
                     retransmits_};
  }
  if (sk_timer_.armed()) return TimerInfo{"keepalive", sk_timer_.expiry(), 0};
  return std::nullopt;
}

}  // namespace taptcp::tcp
