// Reno (tcp_reno_cong_avoid, tcp_slow_start, tcp_cong_avoid_ai, tcp_reno_ssthresh,
// tcp_reno_undo_cwnd), the factory, and the shared helpers from include/net/tcp.h / tcp_cong.c.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "stack/tcp/congestion.h"
#include "stack/tcp/newreno.h"
#include "stack/tcp/prr.h"

namespace taptcp::tcp {
namespace {

constexpr Instant T0 = kEpoch + seconds(1);

CcState Limited(uint32_t cwnd, uint32_t ssthresh) {
  CcState s;
  s.cwnd = cwnd;
  s.ssthresh = ssthresh;
  s.is_cwnd_limited = true;
  return s;
}

TEST(CcState, LinuxInitialValues) {
  CcState s;
  EXPECT_EQ(s.cwnd, 10u);              // TCP_INIT_CWND, RFC 6928
  EXPECT_EQ(s.ssthresh, 0x7fffffffu);  // TCP_INFINITE_SSTHRESH
  EXPECT_EQ(s.cwnd_clamp, 0xffffffffu);
  EXPECT_EQ(s.ca_state, CaState::kOpen);
  EXPECT_TRUE(InSlowStart(s));
}

TEST(Factory, MakesRenoAndCubicByName) {
  auto reno = MakeCongestionControl("reno");
  ASSERT_NE(reno, nullptr);
  EXPECT_EQ(reno->name(), "reno");
  auto cubic = MakeCongestionControl("cubic");
  ASSERT_NE(cubic, nullptr);
  EXPECT_EQ(cubic->name(), "cubic");
  EXPECT_EQ(MakeCongestionControl("bbr"), nullptr);
  EXPECT_EQ(MakeCongestionControl(""), nullptr);
  EXPECT_EQ(AvailableCongestionControls(), (std::vector<std::string_view>{"reno", "cubic"}));
}

TEST(Reno, SlowStartAddsEveryAckedSegment) {
  Reno reno;
  CcState s = Limited(10, kInfiniteSsthresh);
  reno.Init(s, T0);
  reno.OnAck(s, 1, milliseconds(10), T0);
  EXPECT_EQ(s.cwnd, 11u);
  reno.OnAck(s, 2, milliseconds(10), T0);  // a delayed ACK covers two segments
  EXPECT_EQ(s.cwnd, 13u);
  reno.CongAvoid(s, 7, T0);  // stretch ACK: all seven count (no RFC 3465 L=2 cap in Linux)
  EXPECT_EQ(s.cwnd, 20u);
}

TEST(Reno, SlowStartStopsAtSsthreshAndSpillsIntoAvoidance) {
  Reno reno;
  CcState s = Limited(10, 12);
  reno.CongAvoid(s, 5, T0);
  EXPECT_EQ(s.cwnd, 12u);     // +2 of slow start reaches ssthresh
  EXPECT_EQ(s.cwnd_cnt, 3u);  // the other 3 count toward the next +1 at w = 12
}

TEST(Reno, CongestionAvoidanceAddsOnePerWindow) {
  Reno reno;
  CcState s = Limited(20, 10);
  for (int i = 0; i < 19; ++i) reno.CongAvoid(s, 1, T0);
  EXPECT_EQ(s.cwnd, 20u);
  reno.CongAvoid(s, 1, T0);
  EXPECT_EQ(s.cwnd, 21u);
  EXPECT_EQ(s.cwnd_cnt, 0u);
  for (int i = 0; i < 21; ++i) reno.CongAvoid(s, 1, T0);
  EXPECT_EQ(s.cwnd, 22u);
}

TEST(Reno, StretchAckInAvoidanceCanAddSeveral) {
  Reno reno;
  CcState s = Limited(10, 5);
  reno.CongAvoid(s, 25, T0);  // cwnd_cnt 25 >= 10: +2, 5 left
  EXPECT_EQ(s.cwnd, 12u);
  EXPECT_EQ(s.cwnd_cnt, 5u);
}

TEST(Reno, CreditFromALargerWindowPaysOutOnce) {
  // cwnd_cnt accumulated at a larger w (before a reduction) gives one +1, then restarts.
  CcState s = Limited(10, 5);
  s.cwnd_cnt = 15;
  CongAvoidAi(s, s.cwnd, 1);
  EXPECT_EQ(s.cwnd, 11u);
  EXPECT_EQ(s.cwnd_cnt, 1u);
}

TEST(Reno, NoGrowthWhenNotCwndLimited) {
  Reno reno;
  CcState s = Limited(20, 10);
  s.is_cwnd_limited = false;
  for (int i = 0; i < 100; ++i) reno.CongAvoid(s, 1, T0);
  EXPECT_EQ(s.cwnd, 20u);
  // In slow start Linux still grows while cwnd < 2 * max_packets_out.
  CcState ss = Limited(10, kInfiniteSsthresh);
  ss.is_cwnd_limited = false;
  ss.max_packets_out = 6;
  reno.CongAvoid(ss, 1, T0);
  EXPECT_EQ(ss.cwnd, 11u);
  reno.CongAvoid(ss, 1, T0);
  EXPECT_EQ(ss.cwnd, 12u);
  reno.CongAvoid(ss, 1, T0);  // 12 = 2 * 6: no longer
  EXPECT_EQ(ss.cwnd, 12u);
}

TEST(Reno, CwndClampRespected) {
  Reno reno;
  CcState s = Limited(10, kInfiniteSsthresh);
  s.cwnd_clamp = 12;
  reno.CongAvoid(s, 5, T0);
  EXPECT_EQ(s.cwnd, 12u);
  s.ssthresh = 5;
  for (int i = 0; i < 50; ++i) reno.CongAvoid(s, 1, T0);
  EXPECT_EQ(s.cwnd, 12u);
}

TEST(Reno, SsthreshIsHalfTheWindowAtLeastTwo) {
  Reno reno;
  CcState s;
  s.cwnd = 20;
  EXPECT_EQ(reno.SsThresh(s), 10u);
  s.cwnd = 21;
  EXPECT_EQ(reno.SsThresh(s), 10u);
  s.cwnd = 3;
  EXPECT_EQ(reno.SsThresh(s), 2u);
  s.cwnd = 1;
  EXPECT_EQ(reno.SsThresh(s), 2u);
}

TEST(Reno, UndoRestoresPriorCwnd) {
  Reno reno;
  CcState s;
  s.cwnd = 7;
  s.prior_cwnd = 14;
  EXPECT_EQ(reno.UndoCwnd(s), 14u);
  s.cwnd = 20;
  EXPECT_EQ(reno.UndoCwnd(s), 20u);
}

TEST(Reno, SetStateRecordsTheState) {
  Reno reno;
  CcState s;
  reno.SetState(s, CaState::kRecovery, T0);
  EXPECT_EQ(s.ca_state, CaState::kRecovery);
  EXPECT_TRUE(InCwndReduction(s));
  reno.SetState(s, CaState::kLoss, T0);
  EXPECT_FALSE(InCwndReduction(s));
}

TEST(Helpers, CurrentSsthreshKeepsThreeQuartersOutsideReduction) {
  CcState s;
  s.cwnd = 100;
  s.ssthresh = 50;
  EXPECT_EQ(CurrentSsthresh(s), 75u);  // (100 >> 1) + (100 >> 2)
  s.ssthresh = 80;
  EXPECT_EQ(CurrentSsthresh(s), 80u);
  s.ca_state = CaState::kRecovery;
  s.ssthresh = 50;
  EXPECT_EQ(CurrentSsthresh(s), 50u);
}

class EventSpy : public CongestionControl {
 public:
  std::string_view name() const override { return "spy"; }
  void Init(CcState&, Instant) override {}
  void CongAvoid(CcState&, uint32_t, Instant) override {}
  uint32_t SsThresh(const CcState&) override { return 2; }
  void OnCwndEvent(CcState&, CwndEvent e, Instant) override { events.push_back(e); }
  std::vector<CwndEvent> events;
};

TEST(Helpers, CwndRestartHalvesPerIdleRto) {
  EventSpy spy;
  CcState s;
  s.cwnd = 100;
  s.ssthresh = 80;
  // 500 ms idle, RTO 200 ms: 300 > 0 halve (50), 100 > 0 halve (25), -100 stop.
  CwndRestart(s, spy, milliseconds(500), milliseconds(200), T0);
  EXPECT_EQ(s.cwnd, 25u);
  EXPECT_EQ(s.ssthresh, 80u);  // max(80, 3/4 * 100)
  ASSERT_EQ(spy.events.size(), 1u);
  EXPECT_EQ(spy.events[0], CwndEvent::kCwndRestart);

  // A long idle period ends at the initial window, never below it.
  CcState t;
  t.cwnd = 100;
  t.ssthresh = 50;
  CwndRestart(t, spy, seconds(10), milliseconds(200), T0);
  EXPECT_EQ(t.cwnd, 10u);
  EXPECT_EQ(t.ssthresh, 75u);
  // A window already below the initial one stays.
  CcState u;
  u.cwnd = 4;
  CwndRestart(u, spy, seconds(10), milliseconds(200), T0);
  EXPECT_EQ(u.cwnd, 4u);
}

TEST(Helpers, PacingRateLikeTcpUpdatePacingRate) {
  CcState s;
  s.mss = 1448;
  s.cwnd = 10;
  // 10 * 1448 bytes per 10 ms, doubled in slow start: 2,896,000 B/s.
  EXPECT_EQ(PacingRate(s, /*srtt_us8=*/80000, /*packets_out=*/0), 2896000u);
  // cwnd >= ssthresh / 2: 120%.
  s.ssthresh = 10;
  EXPECT_EQ(PacingRate(s, 80000, 0), 1737600u);
  // packets_out above cwnd counts (after a reduction), and the cap applies.
  EXPECT_EQ(PacingRate(s, 80000, 20), 3475200u);
  EXPECT_EQ(PacingRate(s, 80000, 20, 200, 120, 1000000), 1000000u);
}

TEST(CongControl, PrrInReductionCongAvoidOtherwise) {
  Reno reno;
  Prr prr;
  CcState s = Limited(20, kInfiniteSsthresh);
  s.packets_in_flight = 20;
  CongControl(reno, prr, s, CongControlInput{1, 0, true, true}, T0);
  EXPECT_EQ(s.cwnd, 21u);  // Open: slow start
  CongControl(reno, prr, s, CongControlInput{1, 0, true, false}, T0);
  EXPECT_EQ(s.cwnd, 21u);  // !tcp_may_raise_cwnd

  prr.Start(s, reno);  // ssthresh = 10, prior_cwnd = 21
  reno.SetState(s, CaState::kRecovery, T0);
  s.packets_in_flight = 19;
  CongControl(reno, prr, s, CongControlInput{1, 1, false, true}, T0);
  // PRR: ceil(1 * 10 / 21) - 0 = 1 -> cwnd = 19 + 1.
  EXPECT_EQ(s.cwnd, 20u);
}

}  // namespace
}  // namespace taptcp::tcp
