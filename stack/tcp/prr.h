// Proportional Rate Reduction (RFC 6937; its standards-track successor RFC 9937 describes the
// variant Linux runs): how much to send on each ACK while cwnd comes down to ssthresh in CWR or
// fast recovery. Linux: tcp_init_cwnd_reduction, tcp_cwnd_reduction, tcp_end_cwnd_reduction
// (net/ipv4/tcp_input.c), with prr_out counted by the output path.
//
//  - While more than ssthresh is in flight, send in proportion to what is delivered:
//    sent_total = ceil(delivered_total * ssthresh / prior_cwnd), spreading the reduction over one
//    RTT instead of stopping dead (RFC 3517) or halving at once.
//  - Once in flight is at or below ssthresh (heavy loss), send what is delivered (packet
//    conservation, PRR-CRB) plus one extra segment on an ACK that advances snd_una without
//    revealing a new loss (the slow-start bound, PRR-SSRB, only when recovery makes progress), up
//    to ssthresh.
//  - The first ACK always lets one segment out: the fast retransmit.
// Units are segments, like the rest of congestion control. The TCB owns a Prr per connection and
// owns the state machine around it (entering Recovery/CWR, high_seq, undo).
#pragma once

#include <cstdint>

#include "stack/tcp/congestion.h"
#include "timers/time.h"

namespace taptcp::tcp {

class Prr {
 public:
  // tcp_init_cwnd_reduction, entering CWR or Recovery: prior_cwnd = cwnd, ssthresh from the
  // algorithm (cc.SsThresh), counters cleared, cwnd_cnt cleared. The TCB also sets high_seq =
  // snd_nxt, queues ECN CWR, and then calls cc.SetState(kCwr or kRecovery). Like Linux
  // (tcp_enter_recovery, tcp_enter_cwr), call it only when not already in a reduction: moving
  // from CWR to Recovery keeps the reduction that is under way.
  void Start(CcState& s, CongestionControl& cc);

  // Segments (new data or retransmissions) sent while the reduction is in progress (prr_out).
  void OnSent(uint32_t segments) { prr_out_ += segments; }

  // tcp_cwnd_reduction, once per ACK during CWR/Recovery, after the scoreboard was updated:
  // `s.packets_in_flight` is the pipe after this ACK; `newly_acked_sacked` the segments this ACK
  // delivered (cumulative plus SACK); `newly_lost` those it marked lost; `snd_una_advanced` is
  // FLAG_SND_UNA_ADVANCED. Sets s.cwnd = packets_in_flight + segments allowed out now.
  void OnAck(CcState& s, uint32_t newly_acked_sacked, uint32_t newly_lost, bool snd_una_advanced);

  // tcp_end_cwnd_reduction, leaving CWR/Recovery (snd_una reached high_seq): cwnd = ssthresh in
  // CWR, or in Recovery unless the reduction was undone (`undo_marker` still set means it was
  // not), then CA_EVENT_COMPLETE_CWR. Call before cc.SetState(kOpen).
  void End(CcState& s, CongestionControl& cc, bool undo_marker, Instant now);

  uint32_t prr_delivered() const { return prr_delivered_; }
  uint32_t prr_out() const { return prr_out_; }

 private:
  uint32_t prr_delivered_ = 0;
  uint32_t prr_out_ = 0;
};

// What tcp_cong_control needs to know about an ACK.
struct CongControlInput {
  uint32_t acked_sacked = 0;      // segments newly delivered (cumulatively acked or SACKed)
  uint32_t newly_lost = 0;        // segments this ACK marked lost (rs->losses)
  bool snd_una_advanced = false;  // FLAG_SND_UNA_ADVANCED
  bool may_raise_cwnd = false;    // tcp_may_raise_cwnd: data acked (or forward progress with
                                  // high reordering)
};

// tcp_cong_control for algorithms without their own cong_control (reno, cubic): during CWR or
// Recovery, PRR sets cwnd; otherwise, if allowed, the algorithm's cong_avoid grows it. Call after
// cc.PktsAcked for the same ACK. (The pacing-rate update Linux does next is PacingRate().)
void CongControl(CongestionControl& cc, Prr& prr, CcState& s, const CongControlInput& in,
                 Instant now);

}  // namespace taptcp::tcp
