// PRR (RFC 6937, RFC 9937; Linux tcp_init_cwnd_reduction / tcp_cwnd_reduction /
// tcp_end_cwnd_reduction) on the two scenarios of RFC 6937 §4: cwnd = FlightSize = pipe = 20
// segments, Reno halving to ssthresh = 10, a bulk sender that always has data, and either a
// single loss or a burst of 15 consecutive losses. Each ACK delivers one segment. The model: pipe
// (packets_in_flight) drops by what is delivered or marked lost; the sender then sends
// cwnd - pipe segments, counted as prr_out.
#include <gtest/gtest.h>

#include <vector>

#include "stack/tcp/cubic.h"
#include "stack/tcp/newreno.h"
#include "stack/tcp/prr.h"

namespace taptcp::tcp {
namespace {

constexpr Instant T0 = kEpoch + seconds(5);

struct Sender {
  Reno reno;
  Prr prr;
  CcState s;
  uint32_t pipe = 0;

  void EnterRecovery(uint32_t cwnd_and_pipe) {
    s.cwnd = cwnd_and_pipe;
    pipe = cwnd_and_pipe;
    prr.Start(s, reno);
    reno.SetState(s, CaState::kRecovery, T0);
  }
  // One ACK; returns how many segments the sender may send now (and sends them).
  uint32_t Ack(uint32_t delivered, uint32_t newly_lost, bool snd_una_advanced) {
    pipe -= delivered + newly_lost;
    s.packets_in_flight = pipe;
    prr.OnAck(s, delivered, newly_lost, snd_una_advanced);
    const uint32_t sent = s.cwnd > pipe ? s.cwnd - pipe : 0;
    prr.OnSent(sent);
    pipe += sent;
    return sent;
  }
};

TEST(Prr, StartSavesPriorCwndAndAsksTheAlgorithmForSsthresh) {
  Sender snd;
  snd.s.cwnd_cnt = 7;
  snd.EnterRecovery(20);
  EXPECT_EQ(snd.s.prior_cwnd, 20u);
  EXPECT_EQ(snd.s.ssthresh, 10u);  // tcp_reno_ssthresh
  EXPECT_EQ(snd.s.cwnd_cnt, 0u);
  EXPECT_EQ(snd.prr.prr_delivered(), 0u);
  EXPECT_EQ(snd.prr.prr_out(), 0u);

  Cubic cubic;
  Prr prr;
  CcState s;
  s.cwnd = 100;
  prr.Start(s, cubic);
  EXPECT_EQ(s.ssthresh, 70u);  // 100 * 717 / 1024
}

TEST(Prr, SingleLossSendsOnEveryOtherAckAndEndsAtSsthresh) {
  // RFC 6937 §4, first example. Segment 0 is lost; the 19 others are SACKed one per ACK.
  Sender snd;
  snd.EnterRecovery(20);
  std::vector<uint32_t> sent;
  for (uint32_t k = 1; k <= 19; ++k) {
    // The first SACK marks segment 0 lost (RACK / dupthresh) in the same ACK.
    sent.push_back(snd.Ack(1, k == 1 ? 1 : 0, false));
    if (k <= 16) {
      // While pipe > ssthresh, sent so far = ceil(delivered * ssthresh / RecoverFS) = ceil(k/2).
      EXPECT_EQ(snd.prr.prr_out(), (k + 1) / 2) << "ack " << k;
      EXPECT_EQ(snd.pipe, 19 - k + (k + 1) / 2) << "ack " << k;
    }
  }
  // The first ACK sends the fast retransmit; then one segment per two ACKs (RFC 6937: PRR
  // "spreads the window reduction across a full RTT"). ACK 17 brings pipe down to ssthresh
  // exactly (11 - 1 = 10): from there PRR only keeps pipe at ssthresh, one out per one in.
  const std::vector<uint32_t> expected = {1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1};
  EXPECT_EQ(sent, expected);
  EXPECT_EQ(snd.prr.prr_out(), 10u);
  EXPECT_EQ(snd.pipe, 10u);  // exactly ssthresh after one RTT of ACKs

  // The ACK of the retransmission advances snd_una past everything: still no overshoot.
  EXPECT_EQ(snd.Ack(1, 0, true), 1u);
  EXPECT_EQ(snd.pipe, 10u);
  // Recovery ends; Recovery not undone: cwnd = ssthresh.
  snd.prr.End(snd.s, snd.reno, /*undo_marker=*/true, T0);
  EXPECT_EQ(snd.s.cwnd, 10u);
}

TEST(Prr, BurstLossConservesThenSlowStartsToSsthresh) {
  // RFC 6937 §4, second example: segments 0..14 lost, 15..19 SACKed. Only 4 segments stay in
  // flight once the losses are known, well below ssthresh = 10.
  Sender snd;
  snd.EnterRecovery(20);
  // First SACK: all 15 marked lost. Packet conservation (PRR-CRB): one out per one delivered,
  // the first of them being the forced fast retransmit.
  EXPECT_EQ(snd.Ack(1, 15, false), 1u);
  EXPECT_EQ(snd.pipe, 5u);
  for (int k = 2; k <= 5; ++k) {
    EXPECT_EQ(snd.Ack(1, 0, false), 1u) << "SACK " << k;
    EXPECT_EQ(snd.pipe, 5u) << "SACK " << k;  // conservation: SACK-only ACKs do not grow it
  }
  // Now the retransmissions come back and advance snd_una with no new loss: PRR-SSRB adds one
  // segment per ACK (slow start) until pipe reaches ssthresh, then holds it there.
  const uint32_t expected_pipe[] = {6, 7, 8, 9, 10, 10, 10};
  for (uint32_t p : expected_pipe) {
    snd.Ack(1, 0, true);
    EXPECT_EQ(snd.pipe, p);
  }
}

TEST(Prr, NewLossOnAnAdvancingAckGetsNoSlowStartBonus) {
  // Same heavy-loss start as above (pipe 5 after the first SACK), then an ACK that advances
  // snd_una. Without a new loss: max(prr_delivered - prr_out, 1) + 1 = 2 segments. If the ACK also
  // marks one more segment lost (a lost retransmission), recovery is not going well: only 1.
  Sender good, bad;
  good.EnterRecovery(20);
  bad.EnterRecovery(20);
  good.Ack(1, 15, false);
  bad.Ack(1, 15, false);
  EXPECT_EQ(good.Ack(1, 0, true), 2u);
  EXPECT_EQ(good.pipe, 6u);
  EXPECT_EQ(bad.Ack(1, 1, true), 1u);
  EXPECT_EQ(bad.pipe, 4u);
}

TEST(Prr, CatchesUpWhatAStalledSenderDidNotSend) {
  // The application had nothing to send during the proportional phase (prr_out stayed 1); once
  // pipe is below ssthresh, PRR lets it catch up to what delivery allowed, bounded by ssthresh.
  Sender snd;
  snd.EnterRecovery(20);
  snd.Ack(1, 1, false);  // pipe 18 -> fast retransmit, pipe 19
  for (int k = 0; k < 12; ++k) {
    snd.pipe -= 1;  // a SACK, nothing sent
    snd.s.packets_in_flight = snd.pipe;
    snd.prr.OnAck(snd.s, 1, 0, false);
  }
  EXPECT_EQ(snd.pipe, 7u);
  // prr_delivered 14, prr_out 1: delivery allows 13, capped at ssthresh - pipe = 10 - 6.
  EXPECT_EQ(snd.Ack(1, 0, false), 4u);
  EXPECT_EQ(snd.pipe, 10u);
}

TEST(Prr, AckWithoutDeliveryChangesNothing) {
  Sender snd;
  snd.EnterRecovery(20);
  snd.s.cwnd = 17;
  snd.s.packets_in_flight = 15;
  snd.prr.OnAck(snd.s, 0, 0, false);
  EXPECT_EQ(snd.s.cwnd, 17u);
  // Without Start() (prior_cwnd 0), Linux refuses to compute.
  Prr fresh;
  CcState s;
  s.cwnd = 9;
  fresh.OnAck(s, 3, 0, true);
  EXPECT_EQ(s.cwnd, 9u);
}

class CompleteSpy : public CongestionControl {
 public:
  std::string_view name() const override { return "spy"; }
  void Init(CcState&, Instant) override {}
  void CongAvoid(CcState&, uint32_t, Instant) override {}
  uint32_t SsThresh(const CcState& s) override { return s.cwnd / 2; }
  void OnCwndEvent(CcState&, CwndEvent e, Instant) override {
    if (e == CwndEvent::kCompleteCwr) completes++;
  }
  int completes = 0;
};

TEST(Prr, EndSetsCwndToSsthreshUnlessUndone) {
  CompleteSpy spy;
  Prr prr;
  CcState s;
  s.cwnd = 40;
  prr.Start(s, spy);
  spy.SetState(s, CaState::kCwr, T0);
  s.cwnd = 13;
  prr.End(s, spy, /*undo_marker=*/false, T0);  // CWR: always back to ssthresh
  EXPECT_EQ(s.cwnd, 20u);
  EXPECT_EQ(spy.completes, 1);

  spy.SetState(s, CaState::kRecovery, T0);
  s.cwnd = 13;
  prr.End(s, spy, /*undo_marker=*/false, T0);  // Recovery already undone: leave cwnd alone
  EXPECT_EQ(s.cwnd, 13u);
  EXPECT_EQ(spy.completes, 2);
}

}  // namespace
}  // namespace taptcp::tcp
