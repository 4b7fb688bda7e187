#include "stack/tcp/newreno.h"

#include <algorithm>

namespace taptcp::tcp {

void Reno::CongAvoid(CcState& s, uint32_t acked, Instant) {
  if (!IsCwndLimited(s)) return;
  if (InSlowStart(s)) {
    // Whatever slow start could not use (it stopped at ssthresh) spills into congestion
    // avoidance on the same ACK.
    acked = SlowStart(s, acked);
    if (acked == 0) return;
  }
  CongAvoidAi(s, s.cwnd, acked);
}

uint32_t Reno::SsThresh(const CcState& s) { return std::max(s.cwnd >> 1, 2u); }

}  // namespace taptcp::tcp
