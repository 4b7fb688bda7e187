// A full TCP connection (a TCB, RFC 9293 §3.3.1): the state machine, the send and receive
// sequence spaces, the buffers, the four timers and the negotiated options.
//
// Member functions live in files named after the part of TCP they do, as Linux splits them:
//   connection.cc   construction, the socket-facing calls (send, recv, shutdown, close)
//   tcp_input.cc    SEGMENT ARRIVES (RFC 9293 §3.10.7; Linux tcp_rcv_state_process)
//   tcp_output.cc   building and sending segments, the window to advertise (tcp_output.c)
//   tcp_timers.cc   retransmission, delayed ACK, keepalive and TIME_WAIT (tcp_timer.c)
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "stack/mib.h"
#include "stack/net/context.h"
#include "stack/tcp/congestion.h"
#include "stack/tcp/prr.h"
#include "stack/tcp/reassembly.h"
#include "stack/tcp/rto.h"
#include "stack/tcp/sack_scoreboard.h"
#include "stack/tcp/send_buffer.h"
#include "stack/tcp/seq.h"
#include "stack/tcp/state.h"
#include "stack/tcp/tuple.h"
#include "stack/wire/tcp.h"
#include "timers/wheel.h"

namespace taptcp::tcp {

class TcpLayer;

// An inbound segment after the wire checks: what the state machine reads.
struct Segment {
  Seq seq;
  Seq ack;
  uint8_t flags = 0;
  uint16_t window = 0;  // raw, unscaled
  const wire::TcpOptions* options = nullptr;
  std::span<const uint8_t> payload;
  uint16_t gso_segs = 1;  // a super-segment (GRO) stands for this many segments

  bool syn() const { return flags & wire::kSyn; }
  bool fin() const { return flags & wire::kFin; }
  bool rst() const { return flags & wire::kRst; }
  bool has_ack() const { return flags & wire::kAck; }
  // SEG.LEN: data plus one for each of SYN and FIN (RFC 9293 §3.4).
  uint32_t len() const {
    return static_cast<uint32_t>(payload.size()) + (syn() ? 1 : 0) + (fin() ? 1 : 0);
  }
};

// What a socket hears from its connection; the socket layer turns these into readiness.
class ConnectionObserver {
 public:
  virtual void OnConnectionEvent() = 0;

 protected:
  ~ConnectionObserver() = default;
};

// The options both sides agreed on in the handshake.
struct Negotiated {
  uint16_t peer_mss = 536;  // RFC 9293 §3.7.1: the default without the option
  bool window_scaling = false;
  uint8_t snd_wscale = 0;  // the peer's shift, applied to windows it sends
  uint8_t rcv_wscale = 0;  // ours, applied to windows we send
  bool timestamps = false;
  bool sack = false;
};

// What `ss -i` reports of a connection's traffic (struct tcp_info's RFC 4898 counters).
struct ConnectionStats {
  uint64_t bytes_sent = 0;             // tcpi_bytes_sent: data bytes sent, retransmissions included
  uint64_t bytes_received = 0;         // tcpi_bytes_received: data bytes RCV.NXT moved over
  uint32_t segs_out = 0, segs_in = 0;  // tcpi_segs_out/in: every segment
  uint32_t data_segs_out = 0, data_segs_in = 0;  // those with data
  uint32_t total_retrans = 0;                    // tcpi_total_retrans
  // When data last went out, data last came in and an ACK was last taken, in Jiffies32
  // (tp->lsndtime, icsk_ack.lrcvtime, tp->rcv_tstamp: u32 jiffies in Linux).
  uint32_t last_data_sent_ms = 0, last_data_recv_ms = 0, last_ack_recv_ms = 0;
};

// Per-socket options the TCB consults (setsockopt). Sized to Linux's own limits (MAX_TCP_SYNCNT
// 127, MAX_TCP_KEEPIDLE 32767, ...; SocketApi checks them), because every established connection
// carries a copy and issue 3 asks for at most 1 KiB per connection.
struct ConnectionOptions {
  bool nodelay = false;
  bool keepalive = false;
  uint8_t syn_retries = 0;                   // TCP_SYNCNT; 0 = net.ipv4.tcp_syn_retries
  uint8_t keepcnt = 0;                       // TCP_KEEPCNT; 0 = tcp_keepalive_probes
  uint16_t user_mss = 0;                     // TCP_MAXSEG; 0 = from the MTU
  uint16_t keepidle_s = 0, keepintvl_s = 0;  // 0 = the sysctls
  int16_t linger2_s = 0;                     // TCP_LINGER2; 0 = tcp_fin_timeout
  uint32_t sndbuf = 0, rcvbuf = 0;           // 0 = tcp_wmem[1], tcp_rmem[1]
};

class Connection final : private timers::TimerHandler {
 public:
  Connection(TcpLayer& layer, const FourTuple& tuple, const ConnectionOptions& options);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Active open: CLOSED -> SYN_SENT, SYN out (tcp_connect).
  void Connect(Instant now);
  // Passive open completed by the handshake's final ACK (tcp_create_openreq_child): the
  // connection starts in ESTABLISHED with the request's sequence numbers and options.
  void StartFromRequest(Seq iss, Seq irs, const Negotiated& neg, uint32_t snd_wnd_raw,
                        uint32_t ts_recent, uint32_t ts_offset, uint16_t synack_window,
                        std::optional<Duration> synack_rtt = std::nullopt);

  // SEGMENT ARRIVES for this connection's 4-tuple.
  void OnSegment(const Segment& seg);

  // Socket calls. Results are byte counts or negative errno values.
  int64_t Send(std::span<const uint8_t> data);
  int64_t Recv(std::span<uint8_t> out, bool peek = false);
  int Shutdown(bool read, bool write);
  // close(): the socket lets go; the connection may live on as an orphan (FIN_WAIT, LAST_ACK...).
  void Close(bool linger_zero);
  // Send RST and drop to CLOSED (SO_LINGER 0, unread data on close, errors).
  void Abort(int error);

  // What readiness and `ss` read.
  State state() const { return state_; }
  const FourTuple& tuple() const { return tuple_; }
  size_t readable() const { return rcv_buf_.readable(); }
  bool read_eof() const { return fin_received_ || read_shut_; }
  size_t send_space() const;
  int pending_error() const { return error_; }
  int TakeError() {
    int e = error_;
    error_ = 0;
    return e;
  }
  bool orphan() const { return orphan_; }
  size_t unacked_bytes() const;  // Send-Q
  size_t send_queue_bytes() const { return snd_buf_.size(); }
  const Negotiated& negotiated() const { return neg_; }
  uint32_t mss() const { return mss_; }
  uint32_t cwnd() const { return cc_state_.cwnd; }
  const RtoEstimator& rto() const { return rto_; }
  const ConnectionStats& stats() const { return stats_; }
  uint64_t bytes_acked() const { return bytes_acked_; }
  uint32_t ssthresh() const { return cc_state_.ssthresh; }
  CaState ca_state() const { return cc_state_.ca_state; }
  std::string_view congestion_control() const { return cc_->name(); }
  uint32_t rcv_wnd() const { return rcv_wnd_; }
  size_t rcv_space() const { return rcv_buf_.capacity(); }
  // What DRS measures the reader against (tp->rcvq_space.space): TCP_INFO's rcv_space, `ss -i`.
  uint32_t rcvq_space() const { return rcvq_space_; }
  int retransmits() const { return retransmits_; }
  Seq snd_una() const { return snd_una_; }
  Seq snd_nxt() const { return snd_nxt_; }
  Seq rcv_nxt() const { return rcv_nxt_; }
  Seq iss() const { return iss_; }
  Seq irs() const { return irs_; }
  uint32_t snd_wnd() const { return snd_wnd_; }
  // The armed timer `ss -o` shows: name and when it fires.
  struct TimerInfo {
    const char* name;
    Instant expires;
    int retransmits;
  };
  std::optional<TimerInfo> ActiveTimer() const;

  void set_observer(ConnectionObserver* o) { observer_ = o; }
  // SO_KEEPALIVE on or off; (re)arms the keepalive timer when the connection is up.
  void SetKeepalive(bool on);
  ConnectionOptions& options() { return opts_; }

 private:
  friend class TcpLayer;
  // tcp_input.cc
  void OnSegmentSynSent(const Segment& seg);
  void OnSegmentTimeWait(const Segment& seg);
  bool CheckSequence(const Segment& seg);  // RFC 9293 §3.10.7.4 first check
  void HandleRst(const Segment& seg);      // second check, RFC 5961 §3
  bool HandleAck(const Segment& seg);      // fifth check
  void HandleData(const Segment& seg);     // seventh check
  void HandleFin(const Segment& seg);      // eighth check
  void ProcessOptions(const Segment& seg);
  // Zero-copy receive (net::InPlaceReceiver): the receive buffer's room at RCV.NXT while
  // ESTABLISHED, and whether a segment is the one that goes there.
  static net::InPlaceReceiver InPlaceReceiverOps(Connection* c);
  std::span<uint8_t> InPlaceRoom(size_t headroom);
  bool ExpectsInPlace(wire::Ipv4Address local, uint16_t local_port, wire::Ipv4Address remote,
                      uint16_t remote_port, uint32_t seq) const;
  void UpdateWindow(const Segment& seg);
  void OnNewAck(uint32_t acked_bytes, bool fin_acked, const Segment& seg);
  void CcOnAck(uint32_t acked_segments, std::optional<Duration> rtt);
  void EnterRecovery();
  void SackRecoverySend();
  void EnterEstablished();
  // Receive-buffer autotuning (Linux DRS): the RTT sample from the time a window of data took
  // (tcp_rcv_rtt_measure), the check after each read (tcp_rcv_space_adjust) and the growth
  // (tcp_rcvbuf_grow).
  void RcvRttMeasure();
  void RcvSpaceAdjust();
  void RcvBufGrow(uint32_t copied);
  uint32_t MicrosNow() const;
  // tcp_output.cc
  void Output();  // send what the windows allow
  // With gso_size > 0 and len > gso_size: one TSO super-segment the link cuts into gso_size
  // pieces (tcp_output.cc, TsoBurst).
  void SendSegment(Seq seq, uint8_t flags, uint64_t data_offset, size_t len, bool syn_options,
                   uint16_t gso_size = 0);
  // The most data one TSO super-segment may carry now (whole segments), or `mss` without TSO.
  uint32_t TsoBurst(uint32_t mss) const;
  void SendAck();
  void SendChallengeAck();
  // tcp_oow_rate_limited: at most one out-of-window answer per tcp_invalid_ratelimit per socket.
  bool OowRateLimited(const Segment* seg, Counter skipped);
  // tcp_reset: the error an application sees when the peer resets, then CLOSED.
  void ResetByPeer();
  void SynChallenge();
  // tcp_reset_check: after the peer's FIN, a RST at RCV.NXT - 1 is as good as one at RCV.NXT.
  bool ResetCheck(const Segment& seg) const {
    return seg.seq == rcv_nxt_ - 1 &&
           (state_ == State::kCloseWait || state_ == State::kLastAck || state_ == State::kClosing);
  }
  void SendRst(Seq seq);
  uint16_t WindowToAdvertise();
  uint32_t CurrentMss() const;
  // The MSS we offer: the MTU's, lowered by TCP_MAXSEG.
  uint32_t OwnMss() const;
  // tcp_sync_mss: data per segment from both offers, less the timestamp option's 12 bytes.
  void SyncMss();
  // RFC 7323 §5.3 (tcp_paws_discard): a non-RST segment whose timestamp is older than ts_recent,
  // while ts_recent is younger than 24 days (§5.5), is an old duplicate.
  bool PawsReject(const Segment& seg) const;
  // 64-bit stream offsets of sequence numbers (0 = the first byte after the SYN), unwrapped around
  // the buffers' own positions so a connection may carry more than 4 GiB.
  uint64_t SndOffset(Seq s) const {
    const Seq begin = iss_ + 1 + static_cast<uint32_t>(snd_buf_.begin_offset());
    return snd_buf_.begin_offset() + static_cast<uint64_t>(static_cast<int64_t>(s - begin));
  }
  uint64_t RcvOffset(Seq s) const {
    return rcv_buf_.next_expected() + static_cast<uint64_t>(static_cast<int64_t>(s - rcv_nxt_));
  }
  uint32_t TsVal() const;
  void ScheduleAck(bool quick);
  // tcp_timers.cc
  void OnTimer(timers::Timer& t, Instant now) override;
  void OnRetransmitTimer();
  void OnTimeWaitTimer();
  void OnKeepaliveTimer();
  void ArmRetransmitTimer();
  void ArmKeepalive(Duration after);
  void EnterTimeWait();
  // connection.cc
  void SetState(State s);
  void Notify();
  void Done(int error);  // to CLOSED, timers off, maybe freed
  Instant now() const;

  TcpLayer& layer_;
  ConnectionObserver* observer_ = nullptr;
  FourTuple tuple_;
  // The small fields together, so a connection stays under 1 KiB (issue 3's memory target).
  State state_ = State::kClosed;
  bool orphan_ = false;
  bool fin_queued_ = false;  // shutdown(WR)/close(): FIN goes after the queued data
  bool fin_sent_ = false;
  bool fin_received_ = false;
  bool read_shut_ = false;
  bool in_recovery_ = false;
  bool ack_now_ = false;
  bool rtt_probe_armed_ = false;  // a segment is being timed (Karn: never a retransmitted one)
  uint8_t quickack_ = 0;          // quick-ack budget at start (TCP_MAX_QUICKACKS)
  uint16_t syn_window_ = 0;       // the unscaled window of our SYN or SYN-ACK
  uint16_t segs_since_ack_ = 0;   // full segments received since our last ACK
  uint16_t probes_out_ = 0;       // icsk_probes_out: unanswered zero-window or keepalive probes
  int error_ = 0;
  ConnectionOptions opts_;

  // Send sequence space (RFC 9293 §3.3.1).
  Seq iss_, snd_una_, snd_nxt_, snd_max_;
  uint32_t snd_wnd_ = 0;  // scaled
  Seq snd_wl1_, snd_wl2_;
  uint32_t max_snd_wnd_ = 0;  // largest window the peer offered (RFC 5961 §5.2 MAX.SND.WND)
  // Receive sequence space.
  Seq irs_, rcv_nxt_;
  uint32_t rcv_wnd_ = 0;            // what we last advertised, scaled
  Seq rcv_adv_;                     // right edge we advertised: never moved left
  std::optional<Seq> pending_fin_;  // a FIN that arrived ahead of missing data

  Negotiated neg_;
  uint32_t mss_ = 536;  // bytes of data per segment we send (options excluded)
  uint32_t ts_recent_ = 0;
  uint32_t ts_offset_ = 0;
  // Receive-buffer autotuning (Linux DRS): the receiver's RTT estimate in microseconds times 8
  // (tp->rcv_rtt_est.rtt_us; 0 = none yet).
  uint32_t rcv_rtt_us8_ = 0;
  Instant ts_recent_stamp_{};

  SendBuffer snd_buf_;
  ReceiveBuffer rcv_buf_;
  RtoEstimator rto_;
  std::unique_ptr<CongestionControl> cc_;
  CcState cc_state_;
  // Loss recovery: with SACK, RFC 6675's scoreboard and pipe; without, RFC 5681 §3.2 fast
  // retransmit and RFC 6582 NewReno.
  int dupacks_ = 0;
  Seq recover_;
  SackScoreboard sacks_;
  uint64_t high_rxt_ = 0;    // RFC 6675 HighRxt + 1, as a stream offset
  uint64_t rescue_rxt_ = 0;  // RFC 6675 RescueRxt + 1; 0 while undefined
  Prr prr_;                  // RFC 6937 rate reduction while in recovery
  // RTT sample without timestamps: the segment ending at rtt_probe_seq_, sent at rtt_probe_sent_.
  Seq rtt_probe_seq_;
  int retransmits_ = 0;  // icsk_retransmits
  Instant rtt_probe_sent_{};
  Instant retrans_stamp_{};  // first retransmission of the current loss episode
  Instant last_recv_{};
  Instant last_send_{};
  Instant last_oow_ack_{};    // tp->last_oow_ack_time: dupACK / challenge-ACK rate limit
  uint64_t bytes_acked_ = 0;  // tp->bytes_acked: bounds how old an acceptable ACK may be
  ConnectionStats stats_;
  // The rest of DRS, with times in microseconds modulo 2^32 (intervals of over an hour read wrong,
  // which at worst moves one sample): the window whose arrival is timed for an RTT sample
  // (tp->rcv_rtt_est.seq and .time; time 0 = not started), and the bytes the application read in
  // the last RTT, counted from a read offset (modulo 2^32) and a time (tp->rcvq_space).
  Seq rcv_rtt_seq_;
  uint32_t rcv_rtt_time_ = 0;
  uint32_t rcvq_space_ = 0;
  uint32_t rcvq_seq_ = 0;
  uint32_t rcvq_time_ = 0;

  timers::Timer rtx_timer_;  // retransmit, SYN/FIN retries, zero-window probe
  timers::Timer delack_timer_;
  // One timer for keepalive and for the TIME_WAIT / orphaned FIN_WAIT2 timeouts, as Linux's
  // sk_timer serves both (tcp_keepalive_timer): a connection never needs the two at once.
  timers::Timer sk_timer_;
};

}  // namespace taptcp::tcp
