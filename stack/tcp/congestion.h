// Congestion control: the per-connection window state (CcState) and the pluggable algorithm
// interface (CongestionControl), shaped like Linux's struct tcp_congestion_ops (include/net/tcp.h)
// reduced to what reno and cubic use. Selected by net.ipv4.tcp_congestion_control.
//
// Units are Linux's: cwnd, ssthresh and every "acked" count are in segments (tp->snd_cwnd), not
// bytes. Time comes in as an Instant; algorithms that keep Linux's jiffies (tcp_jiffies32) or usec
// (tcp_mstamp) clocks derive them from it, with HZ=1000 like the timer wheel.
//
// Who does what (the split Linux makes between tcp_input.c and the tcp_congestion_ops):
//  - The algorithm (this interface): slow start and congestion avoidance (cong_avoid), the new
//    ssthresh on a congestion event (ssthresh), reaction to state changes and events (set_state,
//    cwnd_event), RTT bookkeeping (pkts_acked), and the cwnd to restore on undo (undo_cwnd).
//  - The TCB: the loss-recovery state machine (tcp_fastretrans_alert: Open/Disorder/CWR/Recovery/
//    Loss, RFC 6675 SACK recovery or RFC 6582 NewReno without SACK, undo via D-SACK/timestamps),
//    the cwnd reduction during CWR/Recovery (PRR, RFC 6937; see prr.h), setting cwnd to
//    packets_in_flight + 1 on RTO (tcp_enter_loss), and deciding when cong_avoid may run
//    (tcp_cong_control: not during a reduction, and only if tcp_may_raise_cwnd).
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "timers/time.h"

namespace taptcp::tcp {

// TCP_INIT_CWND: RFC 6928's initial window of 10 segments.
inline constexpr uint32_t kInitCwnd = 10;
// TCP_INFINITE_SSTHRESH: "no threshold yet", so a new connection slow-starts until loss or HyStart.
inline constexpr uint32_t kInfiniteSsthresh = 0x7fffffff;

// Linux's enum tcp_ca_state (TCP_CA_Open ... TCP_CA_Loss), same order and values: Linux compares
// them with < and <=, and so may the TCB.
enum class CaState : uint8_t {
  kOpen = 0,      // nothing suspicious
  kDisorder = 1,  // dupacks or SACKs seen, no loss inferred yet
  kCwr = 2,       // cwnd reduced for ECN or local congestion, no loss
  kRecovery = 3,  // fast retransmit / fast recovery
  kLoss = 4,      // RTO fired (or SACK reneging)
};

// Linux's enum tcp_ca_event.
enum class CwndEvent : uint8_t {
  kTxStart,      // CA_EVENT_TX_START: first transmission with nothing in flight (after idle)
  kCwndRestart,  // CA_EVENT_CWND_RESTART: tcp_cwnd_restart after idle (RFC 7661/2861)
  kCompleteCwr,  // CA_EVENT_COMPLETE_CWR: end of CWR or Recovery (tcp_end_cwnd_reduction)
  kLoss,         // CA_EVENT_LOSS: RTO, entering Loss (tcp_enter_loss)
  kEcnNoCe,      // CA_EVENT_ECN_NO_CE
  kEcnIsCe,      // CA_EVENT_ECN_IS_CE
};

// Counters an algorithm may bump, under their TcpExt names, for the TCB to fold into the Mib.
struct CcStats {
  uint64_t TCPHystartTrainDetect = 0;
  uint64_t TCPHystartTrainCwnd = 0;
  uint64_t TCPHystartDelayDetect = 0;
  uint64_t TCPHystartDelayCwnd = 0;
};

// The part of Linux's tcp_sock that congestion control reads and writes. The TCB owns one per
// connection and keeps the "input" fields current before calling a hook.
struct CcState {
  // Written by the algorithm (and by the TCB's recovery code):
  uint32_t cwnd = kInitCwnd;              // snd_cwnd, segments
  uint32_t ssthresh = kInfiniteSsthresh;  // snd_ssthresh, segments
  uint32_t cwnd_cnt = 0;                  // snd_cwnd_cnt: ACKed segments toward the next +1
  uint32_t cwnd_clamp = 0xffffffff;       // snd_cwnd_clamp (~0 in tcp_init_sock)
  uint32_t prior_cwnd = 0;                // cwnd when the last reduction started (undo, PRR)

  // Inputs the TCB keeps current:
  uint32_t mss = 536;                 // mss_cache, bytes (RFC 9293 default without the option)
  uint32_t packets_in_flight = 0;     // tcp_packets_in_flight(): out - (sacked + lost) + retrans
  uint32_t max_packets_out = 0;       // tp->max_packets_out of the current window
  bool is_cwnd_limited = false;       // tp->is_cwnd_limited (tcp_cwnd_validate)
  bool app_limited = false;           // rate sampling (tp->app_limited); unused by reno/cubic
  CaState ca_state = CaState::kOpen;  // icsk_ca_state; change it only via SetState()
  uint32_t snd_una = 0;               // after the ACK being processed
  uint32_t snd_nxt = 0;
  Instant lsndtime{};        // time of the last data transmission (tp->lsndtime)
  uint64_t pacing_rate = 0;  // sk_pacing_rate, bytes/s (see PacingRate below)
  bool pacing = false;       // sk_pacing_status != SK_PACING_NONE (fq or internal)
  CcStats* stats = nullptr;  // optional counters sink
};

// Linux's struct ack_sample, given to pkts_acked.
struct AckSample {
  uint32_t pkts_acked = 0;  // segments newly cumulatively acked by this ACK
  // RTT of the most recently sent segment this ACK (s)acked (rate sample rtt_us, Karn-filtered);
  // negative when the ACK gave no sample.
  Duration rtt = Duration(-1);
};

class CongestionControl {
 public:
  virtual ~CongestionControl() = default;

  // The name net.ipv4.tcp_congestion_control and TCP_CONGESTION use ("reno", "cubic").
  virtual std::string_view name() const = 0;

  // .init: called once when the connection starts using the algorithm (tcp_init_congestion_control
  // at the end of the handshake, or on TCP_CONGESTION). `s` holds the initial window.
  virtual void Init(CcState& s, Instant now) = 0;

  // .cong_avoid: grow cwnd for `acked` newly delivered segments (acked_sacked). The TCB calls it
  // only outside CWR/Recovery and when tcp_may_raise_cwnd says so (see OnAck below).
  virtual void CongAvoid(CcState& s, uint32_t acked, Instant now) = 0;

  // .pkts_acked: per-ACK accounting (RTT samples) before cong_avoid, from tcp_clean_rtx_queue.
  virtual void PktsAcked(CcState& s, const AckSample& sample, Instant now);

  // .ssthresh: the slow start threshold after a congestion event (entering Recovery, CWR or Loss).
  // Called once per event, before the state change; may update the algorithm's own state.
  virtual uint32_t SsThresh(const CcState& s) = 0;

  // .cwnd_event
  virtual void OnCwndEvent(CcState& s, CwndEvent event, Instant now);

  // .undo_cwnd: cwnd to restore after a spurious reduction is undone. Linux's reno and cubic both
  // use tcp_reno_undo_cwnd: max(cwnd, prior_cwnd).
  virtual uint32_t UndoCwnd(const CcState& s);

  // tcp_set_ca_state: lets the algorithm react (.set_state), then records the new state.
  void SetState(CcState& s, CaState new_state, Instant now) {
    OnSetState(s, new_state, now);
    s.ca_state = new_state;
  }

  // Convenience for the common ACK path: pkts_acked, then cong_avoid, as tcp_ack orders them. Only
  // valid when the TCB would call cong_avoid (not in CWR/Recovery, tcp_may_raise_cwnd); otherwise
  // call PktsAcked alone and let the reduction (Prr) set cwnd. No allocation.
  void OnAck(CcState& s, uint32_t acked, Duration rtt_sample, Instant now) {
    PktsAcked(s, AckSample{acked, rtt_sample}, now);
    CongAvoid(s, acked, now);
  }

 protected:
  // .set_state: called before s.ca_state changes; `s.ca_state` is still the old state.
  virtual void OnSetState(CcState& s, CaState new_state, Instant now);
};

// Makes the algorithm named as net.ipv4.tcp_congestion_control names it; nullptr if unknown (the
// sysctl and setsockopt report ENOENT, as Linux does). One allocation per connection, none per ACK.
std::unique_ptr<CongestionControl> MakeCongestionControl(std::string_view name);
// net.ipv4.tcp_available_congestion_control, in registration order.
std::vector<std::string_view> AvailableCongestionControls();

// --- Helpers from include/net/tcp.h and net/ipv4/tcp_cong.c, shared by the algorithms ---

// tcp_in_slow_start
inline bool InSlowStart(const CcState& s) { return s.cwnd < s.ssthresh; }

// tcp_is_cwnd_limited: grow only if the window was actually used; in slow start, allow growth up
// to twice what was in flight (so an ACK-clocked sender does not get stuck).
inline bool IsCwndLimited(const CcState& s) {
  if (s.is_cwnd_limited) return true;
  if (InSlowStart(s)) return s.cwnd < 2 * s.max_packets_out;
  return false;
}

// tcp_in_cwnd_reduction: CWR or Recovery, where PRR rather than cong_avoid sets cwnd.
inline bool InCwndReduction(const CcState& s) {
  return s.ca_state == CaState::kCwr || s.ca_state == CaState::kRecovery;
}

// tcp_current_ssthresh: outside a reduction, at least 3/4 of cwnd (what RTO and idle restart save).
inline uint32_t CurrentSsthresh(const CcState& s) {
  if (InCwndReduction(s)) return s.ssthresh;
  const uint32_t three_quarters = (s.cwnd >> 1) + (s.cwnd >> 2);
  return s.ssthresh > three_quarters ? s.ssthresh : three_quarters;
}

// tcp_slow_start: cwnd += acked, but not past ssthresh (RFC 5681 §3.1; a stretch ACK counts all
// its segments, Linux's alternative to RFC 3465 ABC). Returns the ACKed segments left over for
// congestion avoidance.
uint32_t SlowStart(CcState& s, uint32_t acked);

// tcp_cong_avoid_ai: cwnd += 1 per `w` ACKed segments, tracked in cwnd_cnt (reno uses w = cwnd).
void CongAvoidAi(CcState& s, uint32_t w, uint32_t acked);

// tcp_cwnd_restart (net.ipv4.tcp_slow_start_after_idle, RFC 7661 §4 / RFC 2861): after `idle`
// without sending, halve cwnd once per RTO elapsed, not below min(init_cwnd, cwnd); ssthresh keeps
// CurrentSsthresh. Raises kCwndRestart first.
void CwndRestart(CcState& s, CongestionControl& cc, Duration idle, Duration rto, Instant now,
                 uint32_t init_cwnd = kInitCwnd);

// tcp_update_pacing_rate: sk_pacing_rate = mss * max(cwnd, packets_out) / srtt, times
// tcp_pacing_ss_ratio (200%) while cwnd < ssthresh/2, else tcp_pacing_ca_ratio (120%). `srtt_us8`
// is srtt << 3 in usec (RtoEstimator::linux_state().srtt_us); 0 means no RTT yet.
uint64_t PacingRate(const CcState& s, uint32_t srtt_us8, uint32_t packets_out,
                    uint32_t ss_ratio = 200, uint32_t ca_ratio = 120,
                    uint64_t max_pacing_rate = ~uint64_t{0});

}  // namespace taptcp::tcp
