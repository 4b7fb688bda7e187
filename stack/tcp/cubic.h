// "cubic": Linux's default congestion control (net/ipv4/tcp_cubic.c), RFC 9438 CUBIC with
// HyStart, reproduced in Linux's integer arithmetic and units:
//  - W(t) = C*(t-K)^3 + W_max with C = bic_scale*10/1024 (~0.4) and t in 1/1024 s (BICTCP_HZ=10),
//    computed relative to the srtt of 100 ms the constants were scaled for (cube_factor);
//  - multiplicative decrease beta = 717/1024 (~0.7), fast convergence (W_max lowered to
//    cwnd*(1+beta)/2 when a loss comes below the previous W_max), and the TCP-friendly region
//    (RFC 9438 §4.3: never grow slower than an AIMD flow with the same beta would);
//  - the clocks Linux uses: tcp_jiffies32 (ms at HZ=1000) for the epoch, usec (tcp_mstamp) for
//    HyStart and delay_min.
// One deliberate difference: Linux's cubic_root() approximates the cube root with a hand-tuned
// table plus one Newton step (mean error ~0.2%); CubicRoot() below is the exact floor. K (and so
// the curve) can differ from the kernel by a few 1/1024 s; see the tests for the bound.
#pragma once

#include <cstdint>
#include <string_view>

#include "stack/tcp/congestion.h"

namespace taptcp::tcp {

// hystart_detect bits.
inline constexpr int kHystartAckTrain = 0x1;
inline constexpr int kHystartDelay = 0x2;

// The tcp_cubic module parameters (/sys/module/tcp_cubic/parameters/*), Linux's defaults.
struct CubicParams {
  int fast_convergence = 1;
  int beta = 717;  // /1024
  int initial_ssthresh = 0;
  int bic_scale = 41;  // C = bic_scale * 10 / 1024
  int tcp_friendliness = 1;
  int hystart = 1;
  int hystart_detect = kHystartAckTrain | kHystartDelay;
  int hystart_low_window = 16;
  int hystart_ack_delta_us = 2000;
  // sk_gso_max_size in hystart_ack_delay(): a Linux netdev's default GSO limit
  // (GSO_LEGACY_MAX_SIZE), which is what a kernel socket over a TAP/veth device sees.
  uint32_t gso_max_size = 65536;
};

class Cubic final : public CongestionControl {
 public:
  // Linux's struct bictcp, field for field (epoch_start == 0 meaning "no epoch" is made explicit
  // with in_epoch, since a virtual clock starts at jiffies 0).
  struct Vars {
    uint32_t cnt = 0;               // ACKed segments per +1 cwnd (for tcp_cong_avoid_ai)
    uint32_t last_max_cwnd = 0;     // W_max, segments
    uint32_t last_cwnd = 0;         // cwnd at the last bictcp_update
    uint32_t last_time = 0;         // jiffies of the last bictcp_update
    uint32_t bic_origin_point = 0;  // origin of the cubic function, segments
    uint32_t bic_K = 0;             // time to reach the origin, in 1/1024 s
    uint32_t delay_min = 0;         // min RTT, usec (0: none yet)
    uint32_t epoch_start = 0;       // jiffies when the current epoch began
    bool in_epoch = false;
    uint32_t ack_cnt = 0;   // segments ACKed, for the TCP-friendly estimate
    uint32_t tcp_cwnd = 0;  // estimated AIMD (Reno-friendly) cwnd
    // HyStart
    uint8_t sample_cnt = 0;    // RTT samples in this round
    bool found = false;        // exit point found: HyStart stays off until reset
    uint32_t round_start = 0;  // usec, start of the round
    uint32_t end_seq = 0;      // snd_nxt when the round began
    uint32_t last_ack = 0;     // usec of the last ACK of the current train
    uint32_t curr_rtt = 0;     // min RTT in this round, usec
  };

  explicit Cubic(const CubicParams& params = {});

  std::string_view name() const override { return "cubic"; }
  // cubictcp_init
  void Init(CcState& s, Instant now) override;
  // cubictcp_cong_avoid
  void CongAvoid(CcState& s, uint32_t acked, Instant now) override;
  // cubictcp_acked: delay_min and HyStart
  void PktsAcked(CcState& s, const AckSample& sample, Instant now) override;
  // cubictcp_recalc_ssthresh: ends the epoch, sets W_max (fast convergence), cwnd*beta
  uint32_t SsThresh(const CcState& s) override;
  // cubictcp_cwnd_event: after idle, shift the epoch so the curve does not jump
  void OnCwndEvent(CcState& s, CwndEvent event, Instant now) override;

  const Vars& vars() const { return ca_; }
  const CubicParams& params() const { return params_; }
  // Precomputed in cubictcp_register from the parameters.
  uint32_t beta_scale() const { return beta_scale_; }
  uint32_t cube_rtt_scale() const { return cube_rtt_scale_; }
  uint64_t cube_factor() const { return cube_factor_; }

  // floor(cbrt(a)), exact (see the file comment for how Linux differs).
  static uint32_t CubicRoot(uint64_t a);
  // The low 32 bits of tcp_mstamp (usec) for an Instant (tcp_jiffies32 is Jiffies32, time.h).
  static uint32_t ClockUs(Instant t);

 protected:
  // cubictcp_state: an RTO forgets everything, W_max included, and restarts HyStart.
  void OnSetState(CcState& s, CaState new_state, Instant now) override;

 private:
  void Reset();                                             // bictcp_reset
  void HystartReset(const CcState& s, Instant now);         // bictcp_hystart_reset
  void Update(uint32_t cwnd, uint32_t acked, Instant now);  // bictcp_update
  void HystartUpdate(CcState& s, uint32_t delay, Instant now);
  uint32_t HystartAckDelay(const CcState& s) const;

  CubicParams params_;
  uint32_t beta_scale_;
  uint32_t cube_rtt_scale_;
  uint64_t cube_factor_;
  Vars ca_;
};

}  // namespace taptcp::tcp
