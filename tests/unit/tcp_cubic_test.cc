// CUBIC as Linux's tcp_cubic.c computes it: multiplicative decrease, W(t) over virtual time, the
// TCP-friendly region, fast convergence, epochs, and HyStart (ACK train and delay).
#include <gtest/gtest.h>

#include <cmath>
#include <deque>
#include <limits>
#include <random>
#include <vector>

#include "stack/tcp/cubic.h"

namespace taptcp::tcp {
namespace {

constexpr Instant T0 = kEpoch + seconds(10);

// RFC 9438's W_cubic(t) = C*(t-K)^3 + W_max with Linux's C = 410/1024 and K for a window that
// was reduced from w_max to w_reduced.
double CubicK(double w_max, double w_reduced) {
  return std::cbrt((w_max - w_reduced) / (410.0 / 1024.0));
}
double WCubic(double t, double w_max, double k) {
  return (410.0 / 1024.0) * std::pow(t - k, 3) + w_max;
}

// ACK-clocked congestion avoidance: each round the whole window comes back, one segment per ACK,
// spread evenly over one RTT. Returns the time after the last round.
Instant RunRounds(Cubic& c, CcState& s, Instant now, Duration rtt, int rounds) {
  for (int r = 0; r < rounds; ++r) {
    const uint32_t n = s.cwnd;
    for (uint32_t i = 0; i < n; ++i) {
      const Instant t = now + rtt * i / n;
      c.PktsAcked(s, AckSample{1, rtt}, t);
      c.CongAvoid(s, 1, t);
    }
    now += rtt;
  }
  return now;
}

// A cubic sender that has seen `rtt` and just lost at w_max; cwnd is back at ssthresh, as at the
// end of recovery.
CcState AfterLoss(Cubic& c, uint32_t w_max, Duration rtt) {
  CcState s;
  s.is_cwnd_limited = true;
  c.Init(s, T0);
  c.PktsAcked(s, AckSample{1, rtt}, T0);  // delay_min
  s.cwnd = w_max;
  s.ssthresh = c.SsThresh(s);
  s.cwnd = s.ssthresh;
  return s;
}

TEST(Cubic, ConstantsMatchLinux) {
  Cubic c;
  EXPECT_EQ(c.beta_scale(), 15u);           // 8*(1024+717)/3/(1024-717)
  EXPECT_EQ(c.cube_rtt_scale(), 410u);      // bic_scale * 10
  EXPECT_EQ(c.cube_factor(), 2681735677u);  // 2^40 / 410
}

TEST(Cubic, CubicRootIsTheExactFloor) {
  EXPECT_EQ(Cubic::CubicRoot(0), 0u);
  EXPECT_EQ(Cubic::CubicRoot(1), 1u);
  EXPECT_EQ(Cubic::CubicRoot(7), 1u);
  EXPECT_EQ(Cubic::CubicRoot(8), 2u);
  EXPECT_EQ(Cubic::CubicRoot(26), 2u);
  EXPECT_EQ(Cubic::CubicRoot(27), 3u);
  EXPECT_EQ(Cubic::CubicRoot(uint64_t{1} << 63), 2097152u);  // 2^21
  EXPECT_EQ(Cubic::CubicRoot(std::numeric_limits<uint64_t>::max()), 2642245u);
  std::mt19937_64 rng(42);
  for (int i = 0; i < 2000; ++i) {
    const uint64_t a = rng() >> (rng() % 64);
    const unsigned __int128 x = Cubic::CubicRoot(a);
    EXPECT_LE(x * x * x, a);
    EXPECT_GT((x + 1) * (x + 1) * (x + 1), a);
  }
}

TEST(Cubic, LossReducesToBetaTimesCwnd) {
  Cubic c;
  CcState s;
  c.Init(s, T0);
  const uint32_t cwnds[] = {10, 100, 1000, 2};
  const uint32_t expected[] = {7, 70, 700, 2};  // cwnd * 717 / 1024, at least 2
  for (size_t i = 0; i < std::size(cwnds); ++i) {
    s.cwnd = cwnds[i];
    EXPECT_EQ(c.SsThresh(s), expected[i]) << "cwnd " << cwnds[i];
  }
}

TEST(Cubic, FastConvergenceLowersWmax) {
  Cubic c;
  CcState s;
  c.Init(s, T0);
  s.cwnd = 100;
  c.SsThresh(s);
  EXPECT_EQ(c.vars().last_max_cwnd, 100u);
  // The next loss comes below the previous W_max: release bandwidth by remembering
  // cwnd * (1 + beta) / 2 = 80 * 1741 / 2048 = 68 instead of 80.
  s.cwnd = 80;
  EXPECT_EQ(c.SsThresh(s), 56u);  // 80 * 717 / 1024
  EXPECT_EQ(c.vars().last_max_cwnd, 68u);
  // A loss above W_max: plain W_max = cwnd.
  s.cwnd = 90;
  c.SsThresh(s);
  EXPECT_EQ(c.vars().last_max_cwnd, 90u);

  CubicParams p;
  p.fast_convergence = 0;
  Cubic slow(p);
  slow.Init(s, T0);
  s.cwnd = 100;
  slow.SsThresh(s);
  s.cwnd = 80;
  slow.SsThresh(s);
  EXPECT_EQ(slow.vars().last_max_cwnd, 80u);
}

TEST(Cubic, EpochStartsAfterLossWithKFromTheFormula) {
  Cubic c;
  CcState s = AfterLoss(c, 100, milliseconds(100));
  EXPECT_FALSE(c.vars().in_epoch);
  const Instant start = T0 + seconds(2);
  c.CongAvoid(s, 1, start);
  EXPECT_TRUE(c.vars().in_epoch);
  EXPECT_EQ(c.vars().epoch_start, Jiffies32(start));
  EXPECT_EQ(c.vars().bic_origin_point, 100u);
  EXPECT_EQ(c.vars().tcp_cwnd, 70u);
  // K = cbrt((W_max - cwnd) * 2^40 / 410) = cbrt(30 * 2681735677) = 4316 (1/1024 s) = 4.2148 s;
  // the formula cbrt(30 / C) gives 4.2158 s (the 1/1024 units and 2^40/410 truncation).
  EXPECT_EQ(c.vars().bic_K, 4316u);
  EXPECT_NEAR(c.vars().bic_K / 1024.0, CubicK(100, 70), 0.002);
}

TEST(Cubic, WindowFollowsTheCubicCurve) {
  // RTT 100 ms, W_max 100, back to 70: W(t) = 0.4 (t - 4.2)^3 + 100. Each round Linux aims at
  // W one RTT ahead, so the window at the end of a round should be W at that moment; allow 2
  // segments for the integer ACK counting (cnt) and the per-jiffy target updates.
  Cubic c;
  const Duration rtt = milliseconds(100);
  CcState s = AfterLoss(c, 100, rtt);
  const Instant start = T0 + seconds(2);
  Instant now = start;
  double k = 0;                   // known once the epoch starts, on the first ACK
  std::vector<uint32_t> cwnd_at;  // cwnd_at[r]: after r rounds, t = r * 100 ms
  cwnd_at.push_back(s.cwnd);
  for (int r = 1; r <= 70; ++r) {
    now = RunRounds(c, s, now, rtt, 1);
    if (r == 1) k = c.vars().bic_K / 1024.0;
    const double t = ToSeconds(now - start);
    EXPECT_NEAR(s.cwnd, WCubic(t, 100, k), 2.0) << "round " << r << " t=" << t;
    cwnd_at.push_back(s.cwnd);
  }
  // Concave below W_max: W(1)-W(0) = 16.7, W(2)-W(1) = 8.9 segments.
  EXPECT_GT(cwnd_at[10] - cwnd_at[0], cwnd_at[20] - cwnd_at[10] + 4);
  // Convex beyond it: W(6)-W(5) = 2.1, W(7)-W(6) = 6.4.
  EXPECT_GT(cwnd_at[70] - cwnd_at[60], cwnd_at[60] - cwnd_at[50] + 2);
  EXPECT_GE(s.cwnd, 107u);  // W(7 s) = 108.6
}

TEST(Cubic, PlateauAroundWmax) {
  Cubic c;
  const Duration rtt = milliseconds(100);
  CcState s = AfterLoss(c, 100, rtt);
  Instant now = T0 + seconds(2);
  now = RunRounds(c, s, now, rtt, 37);  // t = 3.7 s = K - 0.5 s
  const uint32_t before = s.cwnd;
  now = RunRounds(c, s, now, rtt, 10);  // through K
  // W(K - 0.5) = 99.95, W(K + 0.5) = 100.05: a second around K adds almost nothing.
  EXPECT_GE(before, 98u);
  EXPECT_LE(s.cwnd, 102u);
}

TEST(Cubic, TcpFriendlyRegionForSmallRtt) {
  // RTT 1 ms: the cubic curve is time-based, so in 100 RTTs (0.1 s) it barely moves (W(0.101 s)
  // = 72). An AIMD flow with beta 0.7 gains 3(1-beta)/(1+beta) = 0.53 segment per RTT; CUBIC's
  // TCP-friendly region (RFC 9438 §4.3) must keep up with it: ~+50 segments.
  const Duration rtt = milliseconds(1);
  Cubic friendly;
  CcState s = AfterLoss(friendly, 100, rtt);
  RunRounds(friendly, s, T0 + seconds(2), rtt, 100);
  // 0.45/RTT: Linux refreshes the estimate once per jiffy, or every 32 jiffies when cwnd has not
  // changed, so it lags the ideal 0.53 a little.
  EXPECT_GE(s.cwnd, 70u + 45u);
  EXPECT_LE(s.cwnd, 70u + 54u);

  CubicParams p;
  p.tcp_friendliness = 0;
  Cubic pure(p);
  CcState t = AfterLoss(pure, 100, rtt);
  RunRounds(pure, t, T0 + seconds(2), rtt, 100);
  EXPECT_LE(t.cwnd, 75u);
}

TEST(Cubic, BeforeAnyLossGrowthIsAtLeastFivePercentPerRtt) {
  // HyStart ended slow start (ssthresh set, no loss, W_max = 0): the curve starts at the current
  // window, and cnt is capped at 20 so cwnd grows >= 5% per RTT.
  Cubic c;
  CcState s;
  s.is_cwnd_limited = true;
  c.Init(s, T0);
  c.PktsAcked(s, AckSample{1, milliseconds(50)}, T0);
  s.cwnd = 100;
  s.ssthresh = 100;
  c.CongAvoid(s, 1, T0 + seconds(1));
  EXPECT_EQ(c.vars().bic_K, 0u);
  EXPECT_EQ(c.vars().bic_origin_point, 100u);
  EXPECT_LE(c.vars().cnt, 20u);
  RunRounds(c, s, T0 + seconds(1), milliseconds(50), 1);
  EXPECT_GE(s.cwnd, 105u);
}

TEST(Cubic, NewEpochOnEveryLoss) {
  Cubic c;
  const Duration rtt = milliseconds(100);
  CcState s = AfterLoss(c, 100, rtt);
  Instant now = RunRounds(c, s, T0 + seconds(2), rtt, 20);
  EXPECT_TRUE(c.vars().in_epoch);
  const uint32_t w = s.cwnd;
  s.ssthresh = c.SsThresh(s);  // second loss below W_max: fast convergence
  s.cwnd = s.ssthresh;
  EXPECT_FALSE(c.vars().in_epoch);
  c.CongAvoid(s, 1, now);
  EXPECT_TRUE(c.vars().in_epoch);
  EXPECT_EQ(c.vars().epoch_start, Jiffies32(now));
  const uint32_t w_max = w * 1741 / 2048;
  EXPECT_EQ(c.vars().last_max_cwnd, w_max);
  EXPECT_EQ(c.vars().bic_origin_point, w_max);
  EXPECT_EQ(c.vars().bic_K, Cubic::CubicRoot(c.cube_factor() * (w_max - s.cwnd)));
}

TEST(Cubic, RtoForgetsWmaxAndRestartsHystart) {
  Cubic c;
  CcState s = AfterLoss(c, 100, milliseconds(100));
  RunRounds(c, s, T0 + seconds(2), milliseconds(100), 5);
  s.snd_nxt = 5000;
  // tcp_enter_loss: ssthresh first, then the state change.
  s.ssthresh = c.SsThresh(s);
  c.SetState(s, CaState::kLoss, T0 + seconds(3));
  EXPECT_EQ(s.ca_state, CaState::kLoss);
  EXPECT_EQ(c.vars().last_max_cwnd, 0u);
  EXPECT_EQ(c.vars().delay_min, 0u);
  EXPECT_FALSE(c.vars().in_epoch);
  EXPECT_FALSE(c.vars().found);
  EXPECT_EQ(c.vars().end_seq, 5000u);
  EXPECT_EQ(c.vars().curr_rtt, ~0u);
  EXPECT_EQ(c.vars().round_start, Cubic::ClockUs(T0 + seconds(3)));
  // Other states leave cubic alone.
  const uint32_t k = c.vars().bic_K;
  c.SetState(s, CaState::kRecovery, T0 + seconds(4));
  EXPECT_EQ(c.vars().bic_K, k);
}

TEST(Cubic, TxStartAfterIdleShiftsTheEpoch) {
  Cubic c;
  CcState s = AfterLoss(c, 100, milliseconds(100));
  const Instant start = T0 + seconds(2);
  c.CongAvoid(s, 1, start);
  const uint32_t e0 = c.vars().epoch_start;
  // Last send 500 ms before now: the epoch moves 500 ms later.
  s.lsndtime = start + seconds(1);
  c.OnCwndEvent(s, CwndEvent::kTxStart, start + milliseconds(1500));
  EXPECT_EQ(c.vars().epoch_start, e0 + 500);
  // Never past now.
  s.lsndtime = start;
  c.OnCwndEvent(s, CwndEvent::kTxStart, start + seconds(2));
  EXPECT_EQ(c.vars().epoch_start, Jiffies32(start + seconds(2)));
  // Other events do nothing.
  c.OnCwndEvent(s, CwndEvent::kLoss, start + seconds(9));
  EXPECT_EQ(c.vars().epoch_start, Jiffies32(start + seconds(2)));
}

TEST(Cubic, DelaySamplesIgnoredForOneSecondAfterAReduction) {
  Cubic c;
  CcState s = AfterLoss(c, 100, milliseconds(100));
  const Instant start = T0 + seconds(2);
  c.CongAvoid(s, 1, start);
  c.PktsAcked(s, AckSample{1, milliseconds(40)}, start + milliseconds(999));
  EXPECT_EQ(c.vars().delay_min, 100000u);
  c.PktsAcked(s, AckSample{1, milliseconds(40)}, start + milliseconds(1000));
  EXPECT_EQ(c.vars().delay_min, 40000u);
  c.PktsAcked(s, AckSample{1, Duration(-1)}, start + seconds(2));  // no sample
  EXPECT_EQ(c.vars().delay_min, 40000u);
}

TEST(Cubic, UndoUsesPriorCwnd) {
  Cubic c;
  CcState s;
  s.cwnd = 70;
  s.prior_cwnd = 100;
  EXPECT_EQ(c.UndoCwnd(s), 100u);
}

TEST(Cubic, InitialSsthreshOnlyWithoutHystart) {
  CubicParams p;
  p.initial_ssthresh = 64;
  Cubic with_hystart(p);
  CcState s;
  with_hystart.Init(s, T0);
  EXPECT_EQ(s.ssthresh, kInfiniteSsthresh);
  p.hystart = 0;
  Cubic without(p);
  without.Init(s, T0);
  EXPECT_EQ(s.ssthresh, 64u);
}

// --- HyStart ---------------------------------------------------------------------------------

// Feeds one ACK of a synthetic ACK train: the window stays at `cwnd` (no CongAvoid), so the
// HyStart arithmetic can be followed by hand.
struct Train {
  Cubic c;
  CcState s;
  CcStats stats;
  explicit Train(uint32_t cwnd, const CubicParams& p = {}) : c(p) {
    s.cwnd = cwnd;
    s.snd_nxt = 0;
    s.stats = &stats;
    c.Init(s, T0);  // end_seq = 0
    s.snd_nxt = 1000;
  }
  void Ack(Instant at, Duration rtt) {
    s.snd_una++;
    c.PktsAcked(s, AckSample{1, rtt}, at);
  }
};

TEST(Hystart, AckTrainLongerThanHalfMinRttEndsSlowStart) {
  Train tr(32);
  const Instant first = T0 + milliseconds(100);
  // ACKs 1 ms apart (<= hystart_ack_delta_us), RTT 40 ms. The round starts at the first ACK; the
  // train is "long" once it spans more than delay_min/2 = 20 ms: at the ACK 21 ms in.
  for (int k = 0; k <= 20; ++k) {
    tr.Ack(first + milliseconds(k), milliseconds(40));
    ASSERT_FALSE(tr.c.vars().found) << "ack at +" << k << " ms";
  }
  EXPECT_EQ(tr.s.ssthresh, kInfiniteSsthresh);
  tr.Ack(first + milliseconds(21), milliseconds(40));
  EXPECT_TRUE(tr.c.vars().found);
  EXPECT_EQ(tr.s.ssthresh, 32u);  // slow start ends at the current window
  EXPECT_EQ(tr.stats.TCPHystartTrainDetect, 1u);
  EXPECT_EQ(tr.stats.TCPHystartTrainCwnd, 32u);
  EXPECT_EQ(tr.stats.TCPHystartDelayDetect, 0u);
}

TEST(Hystart, GapInTheTrainPreventsDetection) {
  Train tr(32);
  const Instant first = T0 + milliseconds(100);
  for (int k = 0; k < 40; ++k) tr.Ack(first + milliseconds(3 * k), milliseconds(40));
  EXPECT_FALSE(tr.c.vars().found);
  EXPECT_EQ(tr.s.ssthresh, kInfiniteSsthresh);
}

TEST(Hystart, PacedTrainMustLastAFullMinRttPlusAckDelay) {
  // With pacing the threshold is not halved; a pacing rate adds hystart_ack_delay =
  // min(1 ms, 65536 * 4 / rate) for GRO/TSO batching: 100 MB/s -> 2.6 ms, capped at 1 ms.
  Train tr(32);
  tr.s.pacing = true;
  tr.s.pacing_rate = 100'000'000;
  const Instant first = T0 + milliseconds(100);
  for (int k = 0; k <= 41; ++k) {
    tr.Ack(first + milliseconds(k), milliseconds(40));
    ASSERT_FALSE(tr.c.vars().found) << k;  // threshold 40 + 1 = 41 ms
  }
  tr.Ack(first + milliseconds(42), milliseconds(40));
  EXPECT_TRUE(tr.c.vars().found);
}

TEST(Hystart, NothingBelowLowWindow) {
  Train tr(15);  // hystart_low_window = 16
  const Instant first = T0 + milliseconds(100);
  for (int k = 0; k < 60; ++k) tr.Ack(first + milliseconds(k), milliseconds(40 + k));
  EXPECT_FALSE(tr.c.vars().found);
}

TEST(Hystart, DelayIncreaseEndsSlowStart) {
  // Bulk sender in slow start, one ACK per segment. RTT is 10 ms for segments sent before
  // t = 25 ms and 20 ms after (a queue builds), more than delay_min + max(4 ms, delay_min/8).
  // All ACKs of a round arrive together, so the ACK-train test never fires.
  //   round 1 (t=10 ms): cwnd 10 -> 20      round 2 (t=20 ms): 20 -> 40
  //   round 3 (t=30 ms): 40 -> 80, these 80 segments leave at t=30 ms with the 20 ms RTT
  //   round 4 (t=50 ms): 8 samples at 20 ms, then the 9th ACK sees curr_rtt 20 ms > 14 ms:
  //                      ssthresh = cwnd = 80 + 8 = 88.
  Cubic c;
  CcState s;
  CcStats stats;
  s.stats = &stats;
  s.is_cwnd_limited = true;
  s.snd_nxt = 1000;
  c.Init(s, kEpoch);
  struct Seg {
    Instant sent, acked;
  };
  std::deque<Seg> flight;
  auto rtt_at = [](Instant t) {
    return t < kEpoch + milliseconds(25) ? milliseconds(10) : milliseconds(20);
  };
  auto send_up_to_cwnd = [&](Instant now) {
    while (s.snd_nxt < s.snd_una + s.cwnd) {
      flight.push_back({now, now + rtt_at(now)});
      s.snd_nxt++;
    }
  };
  s.snd_una = 1000;
  send_up_to_cwnd(kEpoch);
  int acks = 0;
  while (!c.vars().found && acks < 1000) {
    const Seg seg = flight.front();
    flight.pop_front();
    ++acks;
    s.snd_una++;
    c.PktsAcked(s, AckSample{1, seg.acked - seg.sent}, seg.acked);
    c.CongAvoid(s, 1, seg.acked);
    send_up_to_cwnd(seg.acked);
  }
  EXPECT_EQ(acks, 10 + 20 + 40 + 9);
  EXPECT_EQ(s.ssthresh, 88u);
  EXPECT_EQ(c.vars().delay_min, 10000u);
  EXPECT_EQ(stats.TCPHystartDelayDetect, 1u);
  EXPECT_EQ(stats.TCPHystartDelayCwnd, 88u);
  EXPECT_EQ(stats.TCPHystartTrainDetect, 0u);
  // Slow start is over: the rest of the round grows cwnd by congestion avoidance only.
  for (int i = 0; i < 71; ++i) {
    const Seg seg = flight.front();
    flight.pop_front();
    s.snd_una++;
    c.PktsAcked(s, AckSample{1, seg.acked - seg.sent}, seg.acked);
    c.CongAvoid(s, 1, seg.acked);
  }
  EXPECT_LT(s.cwnd, 100u);  // slow start would have reached 160
  EXPECT_FALSE(InSlowStart(s));
}

TEST(Hystart, ExitsNearTheBdpOnABottleneck) {
  // A 1 segment/ms bottleneck with 40 ms of propagation delay (BDP 40 segments) and an unlimited
  // buffer: without HyStart slow start would only stop at a loss. With Linux's defaults it must
  // leave slow start with ssthresh within a factor of two of the BDP.
  Cubic c;
  CcState s;
  CcStats stats;
  s.stats = &stats;
  s.is_cwnd_limited = true;
  s.snd_nxt = 1;
  s.snd_una = 1;
  c.Init(s, kEpoch);
  struct Seg {
    Instant sent, acked;
  };
  std::deque<Seg> flight;
  Instant link_free = kEpoch;
  auto send_up_to_cwnd = [&](Instant now) {
    while (s.snd_nxt < s.snd_una + s.cwnd) {
      link_free = std::max(link_free, now) + milliseconds(1);
      flight.push_back({now, link_free + milliseconds(40)});
      s.snd_nxt++;
    }
  };
  send_up_to_cwnd(kEpoch);
  int acks = 0;
  while (!c.vars().found && acks < 10000) {
    const Seg seg = flight.front();
    flight.pop_front();
    ++acks;
    s.snd_una++;
    c.PktsAcked(s, AckSample{1, seg.acked - seg.sent}, seg.acked);
    c.CongAvoid(s, 1, seg.acked);
    send_up_to_cwnd(seg.acked);
  }
  ASSERT_TRUE(c.vars().found);
  EXPECT_GE(s.ssthresh, 20u);
  EXPECT_LE(s.ssthresh, 80u);
  EXPECT_EQ(stats.TCPHystartTrainDetect + stats.TCPHystartDelayDetect, 1u);
}

}  // namespace
}  // namespace taptcp::tcp
