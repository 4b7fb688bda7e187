// RTT estimation and the retransmission timeout, as Linux computes them (net/ipv4/tcp_input.c:
// tcp_rtt_estimator, tcp_set_rto, tcp_update_rtt_min; include/net/tcp.h: __tcp_set_rto,
// tcp_bound_rto; net/ipv4/tcp_timer.c: the backoff in tcp_retransmit_timer), with RFC 6298 as the
// base. Where Linux differs from the RFC, we follow Linux:
//  - RTTVAR has a floor: the variance term added to SRTT is at least tcp_rto_min (200 ms), so the
//    RTO is SRTT + max(4*RTTVAR, 200 ms), never SRTT + 4*RTTVAR below that (RFC 6298 §2.4 rounds
//    the whole RTO up to 1 s instead; Linux's min is on the variance, so RTO >= SRTT + 200 ms).
//  - The variance term decays at most once per RTT (mdev_max tracked per window of snd_una
//    passing rtt_seq), and a falling RTT moves mdev with a smaller gain (the Eifel-like rule).
//  - The RTO is a whole number of jiffies (ms at HZ=1000), rounded up; capped at tcp_rto_max.
//
// Callers apply Karn's algorithm (RFC 6298 §3): feed only samples from segments never
// retransmitted, or from the timestamp echo (RFC 7323 §4), as tcp_ack_update_rtt decides.
#pragma once

#include <cstdint>

#include "timers/time.h"

namespace taptcp::tcp {

// Kathleen Nichols' windowed min filter, as Linux uses it for min_rtt (lib/win_minmax.c): the best
// three samples from successive parts of the window, so the minimum over the last `window`
// expires smoothly instead of sticking forever. Time in jiffies, values in usec, like Linux.
class WindowedMinFilter {
 public:
  // ~0 is "no sample", as minmax_reset(&rtt_min, now, ~0U) in tcp_init_sock leaves it.
  static constexpr uint32_t kNone = ~0u;

  uint32_t Get() const { return s_[0].v; }
  // minmax_running_min: adds a sample at time t (jiffies) and returns the windowed minimum.
  uint32_t Update(uint32_t window, uint32_t t, uint32_t v);
  void Reset(uint32_t t, uint32_t v);

 private:
  struct Sample {
    uint32_t t = 0;
    uint32_t v = kNone;
  };
  uint32_t SubwinUpdate(uint32_t window, Sample val);
  Sample s_[3];
};

// What an ACK's RTT measurement gives the estimator (tcp_ack_update_rtt's arguments).
struct RttSample {
  // seq_rtt_us: from the oldest segment this ACK newly acknowledged (or SACKed, or the timestamp
  // echo); feeds srtt/rttvar. Negative: no valid sample (Karn), nothing is updated.
  Duration rtt = Duration(-1);
  // ca_rtt_us: from the most recently sent segment (s)acked; feeds min_rtt. Negative: use rtt.
  Duration ca_rtt = Duration(-1);
  // FLAG_ACK_MAYBE_DELAYED: the ACK may have sat in the receiver's delayed-ACK timer (it acked
  // one lone sub-MSS segment with no SACK or ECN event); such a sample may lower min_rtt but
  // never raise it.
  bool ack_maybe_delayed = false;
};

class RtoEstimator {
 public:
  static constexpr Duration kInitialRto = seconds(1);   // TCP_TIMEOUT_INIT (RFC 6298 §2.1)
  static constexpr Duration kFallbackRto = seconds(3);  // TCP_TIMEOUT_FALLBACK
  static constexpr Duration kDefaultRtoMin = milliseconds(200);   // TCP_RTO_MIN, tcp_rto_min_us
  static constexpr Duration kDefaultRtoMax = seconds(120);        // TCP_RTO_MAX, tcp_rto_max_ms
  static constexpr Duration kDefaultMinRttWindow = seconds(300);  // net.ipv4.tcp_min_rtt_wlen

  struct Config {
    Duration rto_min = kDefaultRtoMin;  // the floor of the variance term (route rto_min too)
    Duration rto_max = kDefaultRtoMax;
    Duration min_rtt_window = kDefaultMinRttWindow;
  };

  // Linux's per-socket fields, in Linux's scaling, for traces and exact tests.
  struct LinuxState {
    uint32_t srtt_us;      // srtt << 3, usec (0: no sample yet)
    uint32_t mdev_us;      // mean deviation << 2, usec
    uint32_t mdev_max_us;  // max mdev in the current RTT window, >= rto_min
    uint32_t rttvar_us;    // the variance term of the RTO (~4*RTTVAR), >= rto_min
    uint32_t rtt_seq;      // snd_nxt when the current RTT window began
    uint32_t icsk_rto_ms;  // current RTO in jiffies, backoff included
    uint32_t icsk_backoff;
  };

  RtoEstimator() : RtoEstimator(Config{}) {}
  explicit RtoEstimator(const Config& config);

  // One RTT measurement (tcp_ack_update_rtt after its Karn filtering): updates min_rtt, srtt and
  // the variance, recomputes the RTO and clears the backoff (RFC 6298 §5.7: only a valid sample
  // may). `snd_una` is the value after this ACK, `snd_nxt` the current one: the variance is
  // allowed to decay once per RTT, when snd_una passes the snd_nxt of the previous decay.
  void OnSample(const RttSample& sample, uint32_t snd_una, uint32_t snd_nxt, Instant now);
  void OnSample(Duration rtt, uint32_t snd_una, uint32_t snd_nxt, Instant now) {
    OnSample(RttSample{rtt}, snd_una, snd_nxt, now);
  }

  // The current retransmission timeout, backoff included (icsk_rto).
  Duration Rto() const { return milliseconds(rto_ms_); }
  // tcp_retransmit_timer's exponential backoff: double the RTO, capped at rto_max; counts
  // icsk_backoff.
  void Backoff();
  // Backoff cleared and the RTO recomputed from the current estimate (or the initial 1 s without
  // one): for paths that end a backoff without a new sample (RFC 6069's ICMP revert, a
  // zero-window probe answered). A new sample does this by itself.
  void ResetBackoff();
  // tcp_init_metrics' RFC 6298 §5.7 rule when the handshake ends: no RTT sample yet (SYN or
  // SYN-ACK retransmitted, no timestamps) means the 1 s initial RTO was too aggressive; use 3 s.
  // No-op once a sample exists.
  void ApplyFallbackIfNoSample();

  bool has_sample() const { return srtt_us8_ != 0; }
  uint32_t backoff() const { return backoff_; }
  // Smoothed RTT (RFC 6298 SRTT).
  Duration srtt() const { return microseconds(srtt_us8_ >> 3); }
  // RFC 6298 RTTVAR as Linux reports it (mdev/4): what `ss -i` shows after the slash.
  Duration rttvar() const { return microseconds(mdev_us_ >> 2); }
  // The variance term the RTO adds to srtt (Linux rttvar_us), never below rto_min.
  Duration rto_variance() const { return microseconds(rttvar_us_); }
  // Windowed minimum RTT over min_rtt_window; Duration::max() before the first sample.
  Duration min_rtt() const;

  // TCP_INFO (struct tcp_info) fields, usec, as tcp_get_info fills them.
  uint32_t tcpi_rtt() const { return srtt_us8_ >> 3; }
  uint32_t tcpi_rttvar() const { return mdev_us_ >> 2; }
  uint32_t tcpi_rto() const { return rto_ms_ * 1000; }
  uint32_t tcpi_min_rtt() const { return min_rtt_.Get(); }  // ~0u: none yet
  uint32_t tcpi_backoff() const { return backoff_; }

  LinuxState linux_state() const;
  const Config& config() const { return config_; }

 private:
  void Estimate(int64_t m, uint32_t snd_una, uint32_t snd_nxt);  // tcp_rtt_estimator
  void SetRto();                                                 // tcp_set_rto
  uint32_t BaseRtoMs() const;                                    // __tcp_set_rto + tcp_bound_rto

  Config config_;
  uint32_t rto_min_us_;
  uint32_t rto_max_ms_;
  uint32_t min_rtt_window_j_;
  uint32_t srtt_us8_ = 0;
  uint32_t mdev_us_ = 0;
  uint32_t mdev_max_us_ = 0;
  uint32_t rttvar_us_ = 0;
  uint32_t rtt_seq_ = 0;
  uint32_t rto_ms_;
  uint32_t backoff_ = 0;
  WindowedMinFilter min_rtt_;
};

}  // namespace taptcp::tcp
