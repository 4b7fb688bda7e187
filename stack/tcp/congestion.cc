#include "stack/tcp/congestion.h"

#include <algorithm>

#include "stack/tcp/cubic.h"
#include "stack/tcp/newreno.h"

namespace taptcp::tcp {

void CongestionControl::PktsAcked(CcState&, const AckSample&, Instant) {}
void CongestionControl::OnCwndEvent(CcState&, CwndEvent, Instant) {}
void CongestionControl::OnSetState(CcState&, CaState, Instant) {}

// tcp_reno_undo_cwnd, which both reno and cubic register as .undo_cwnd.
uint32_t CongestionControl::UndoCwnd(const CcState& s) { return std::max(s.cwnd, s.prior_cwnd); }

std::unique_ptr<CongestionControl> MakeCongestionControl(std::string_view name) {
  if (name == "cubic") return std::make_unique<Cubic>();
  if (name == "reno") return std::make_unique<Reno>();
  return nullptr;
}

// Linux lists reno first (built in, registered at boot) and cubic after it.
std::vector<std::string_view> AvailableCongestionControls() { return {"reno", "cubic"}; }

uint32_t SlowStart(CcState& s, uint32_t acked) {
  const uint32_t cwnd = std::min(s.cwnd + acked, s.ssthresh);
  acked -= cwnd - s.cwnd;
  s.cwnd = std::min(cwnd, s.cwnd_clamp);
  return acked;
}

void CongAvoidAi(CcState& s, uint32_t w, uint32_t acked) {
  // Credit earned while w was larger (cwnd_cnt >= a now smaller w) is paid out as a single +1
  // rather than a burst, as tcp_cong_avoid_ai does.
  if (s.cwnd_cnt >= w) {
    s.cwnd_cnt = 0;
    s.cwnd++;
  }
  s.cwnd_cnt += acked;
  if (s.cwnd_cnt >= w) {
    const uint32_t delta = s.cwnd_cnt / w;
    s.cwnd_cnt -= delta * w;
    s.cwnd += delta;
  }
  s.cwnd = std::min(s.cwnd, s.cwnd_clamp);
}

void CwndRestart(CcState& s, CongestionControl& cc, Duration idle, Duration rto, Instant now,
                 uint32_t init_cwnd) {
  cc.OnCwndEvent(s, CwndEvent::kCwndRestart, now);
  s.ssthresh = CurrentSsthresh(s);
  // tcp_init_cwnd clamps the route's initial window to snd_cwnd_clamp.
  uint32_t restart_cwnd = std::min(init_cwnd, s.cwnd_clamp);
  uint32_t cwnd = s.cwnd;
  restart_cwnd = std::min(restart_cwnd, cwnd);
  // Linux counts in jiffies (ms at HZ=1000): one halving per whole RTO of idleness.
  int64_t delta = std::chrono::duration_cast<milliseconds>(idle).count();
  const int64_t rto_ms = std::chrono::duration_cast<milliseconds>(rto).count();
  while ((delta -= rto_ms) > 0 && cwnd > restart_cwnd) cwnd >>= 1;
  s.cwnd = std::max(cwnd, restart_cwnd);
}

uint64_t PacingRate(const CcState& s, uint32_t srtt_us8, uint32_t packets_out, uint32_t ss_ratio,
                    uint32_t ca_ratio, uint64_t max_pacing_rate) {
  // mss * (USEC_PER_SEC / 100) << 3: the ratio is in percent and srtt_us8 is scaled by 8.
  uint64_t rate = uint64_t{s.mss} * ((1000000 / 100) << 3);
  // "Approaching the end of slow start" once cwnd reaches half of ssthresh: slow down to the
  // congestion-avoidance ratio.
  rate *= (s.cwnd < s.ssthresh / 2) ? ss_ratio : ca_ratio;
  rate *= std::max(s.cwnd, packets_out);
  if (srtt_us8 != 0) rate /= srtt_us8;
  return std::min(rate, max_pacing_rate);
}

}  // namespace taptcp::tcp
