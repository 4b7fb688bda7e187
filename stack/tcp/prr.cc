#include "stack/tcp/prr.h"

#include <algorithm>

namespace taptcp::tcp {

void Prr::Start(CcState& s, CongestionControl& cc) {
  s.cwnd_cnt = 0;
  s.prior_cwnd = s.cwnd;  // RFC 6937 RecoverFS; Linux uses the cwnd at the start
  prr_delivered_ = 0;
  prr_out_ = 0;
  s.ssthresh = cc.SsThresh(s);
}

void Prr::OnAck(CcState& s, uint32_t newly_acked_sacked, uint32_t newly_lost,
                bool snd_una_advanced) {
  // Nothing delivered, nothing to clock out. prior_cwnd == 0 would mean Start() was never called
  // (Linux warns and bails out the same way).
  if (newly_acked_sacked == 0 || s.prior_cwnd == 0) return;

  prr_delivered_ += newly_acked_sacked;
  const int64_t in_flight = s.packets_in_flight;
  const int64_t delta = int64_t{s.ssthresh} - in_flight;
  int64_t sndcnt;
  if (delta < 0) {
    // Proportional part: ceil(prr_delivered * ssthresh / prior_cwnd) - prr_out.
    const uint64_t dividend = uint64_t{s.ssthresh} * prr_delivered_ + s.prior_cwnd - 1;
    sndcnt = static_cast<int64_t>(dividend / s.prior_cwnd) - int64_t{prr_out_};
  } else {
    // At or below ssthresh: conservation, catching up on what the proportional part held back,
    // plus one when the ACK shows recovery progressing (RFC 9937's "SafeACK").
    sndcnt = std::max<int64_t>(int64_t{prr_delivered_} - prr_out_, newly_acked_sacked);
    if (snd_una_advanced && newly_lost == 0) sndcnt++;
    sndcnt = std::min(delta, sndcnt);
  }
  // The first ACK of the reduction always sends: that is the fast retransmit.
  sndcnt = std::max<int64_t>(sndcnt, prr_out_ != 0 ? 0 : 1);
  s.cwnd = static_cast<uint32_t>(in_flight + sndcnt);
}

void Prr::End(CcState& s, CongestionControl& cc, bool undo_marker, Instant now) {
  if (s.ssthresh < kInfiniteSsthresh && (s.ca_state == CaState::kCwr || undo_marker)) {
    s.cwnd = s.ssthresh;
  }
  cc.OnCwndEvent(s, CwndEvent::kCompleteCwr, now);
}

void CongControl(CongestionControl& cc, Prr& prr, CcState& s, const CongControlInput& in,
                 Instant now) {
  if (InCwndReduction(s)) {
    prr.OnAck(s, in.acked_sacked, in.newly_lost, in.snd_una_advanced);
  } else if (in.may_raise_cwnd) {
    cc.CongAvoid(s, in.acked_sacked, now);
  }
}

}  // namespace taptcp::tcp
