// "reno": Linux's built-in congestion control (net/ipv4/tcp_cong.c, tcp_reno_*), the RFC 5681
// slow start and congestion avoidance. The "New" in NewReno (RFC 6582: partial ACKs keep fast
// recovery going until everything outstanding at its start is acknowledged) is loss recovery, and
// lives in the TCB together with SACK recovery and PRR (prr.h); Linux makes the same split, so
// "reno" here is exactly what `sysctl net.ipv4.tcp_congestion_control=reno` selects.
#pragma once

#include <string_view>

#include "stack/tcp/congestion.h"

namespace taptcp::tcp {

class Reno final : public CongestionControl {
 public:
  std::string_view name() const override { return "reno"; }
  // Reno keeps no state of its own: the initial window and ssthresh are the TCB's (tcp_init_sock).
  void Init(CcState&, Instant) override {}
  // tcp_reno_cong_avoid: slow start below ssthresh (tcp_slow_start), then +1 segment per cwnd
  // ACKed segments (tcp_cong_avoid_ai with w = cwnd). No growth unless cwnd-limited.
  void CongAvoid(CcState& s, uint32_t acked, Instant now) override;
  // tcp_reno_ssthresh: half the window, at least 2 segments (RFC 5681 §3.1 eq. 4, in segments).
  uint32_t SsThresh(const CcState& s) override;
};

}  // namespace taptcp::tcp
