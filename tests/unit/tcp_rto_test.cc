// RtoEstimator against values derived by hand from Linux's tcp_rtt_estimator / tcp_set_rto /
// tcp_bound_rto / tcp_retransmit_timer and RFC 6298. Each expectation shows its arithmetic in
// Linux's fixed point: srtt_us = 8*SRTT, mdev_us = 4*mdev, rttvar_us >= rto_min.
#include <gtest/gtest.h>

#include "stack/tcp/rto.h"

namespace taptcp::tcp {
namespace {

constexpr Instant T0 = kEpoch + seconds(1);

TEST(RtoEstimator, BeforeAnySampleRtoIsOneSecond) {
  RtoEstimator e;
  EXPECT_FALSE(e.has_sample());
  EXPECT_EQ(e.Rto(), seconds(1));  // TCP_TIMEOUT_INIT, RFC 6298 §2.1
  EXPECT_EQ(e.tcpi_rto(), 1000000u);
  EXPECT_EQ(e.tcpi_rtt(), 0u);
  EXPECT_EQ(e.tcpi_min_rtt(), ~0u);  // Linux reports ~0 until the first sample
  EXPECT_EQ(e.min_rtt(), Duration::max());
  EXPECT_EQ(e.backoff(), 0u);
}

TEST(RtoEstimator, FirstSampleSetsSrttToRAndRttvarToHalfR) {
  RtoEstimator e;
  e.OnSample(milliseconds(10), /*snd_una=*/1, /*snd_nxt=*/100, T0);
  // RFC 6298 §2.2: SRTT = R, RTTVAR = R/2.
  EXPECT_EQ(e.srtt(), milliseconds(10));
  EXPECT_EQ(e.rttvar(), milliseconds(5));
  const auto st = e.linux_state();
  EXPECT_EQ(st.srtt_us, 80000u);     // 10000 << 3
  EXPECT_EQ(st.mdev_us, 20000u);     // 10000 << 1 = 4 * R/2
  EXPECT_EQ(st.rttvar_us, 200000u);  // max(mdev_us, tcp_rto_min_us = 200000)
  EXPECT_EQ(st.mdev_max_us, 200000u);
  EXPECT_EQ(st.rtt_seq, 100u);
  // RTO = srtt + rttvar_us = 10 ms + 200 ms: Linux gives 210 ms, not RFC 6298's 1 s floor and not
  // 10 + 4*5 = 30 ms.
  EXPECT_EQ(e.Rto(), milliseconds(210));
  EXPECT_EQ(e.tcpi_rtt(), 10000u);
  EXPECT_EQ(e.tcpi_rttvar(), 5000u);
  EXPECT_EQ(e.tcpi_rto(), 210000u);
  EXPECT_EQ(e.tcpi_min_rtt(), 10000u);
}

TEST(RtoEstimator, FirstLargeSampleGivesThreeTimesRtt) {
  // mdev_us = 2R exceeds rto_min, so RTO = R + 4 * R/2 = 3R ("make sure rto = 3*rtt").
  RtoEstimator e;
  e.OnSample(seconds(1), 1, 2, T0);
  EXPECT_EQ(e.Rto(), seconds(3));
  RtoEstimator f;
  f.OnSample(milliseconds(400), 1, 2, T0);
  EXPECT_EQ(f.Rto(), milliseconds(1200));
}

TEST(RtoEstimator, TinyRttGivesSrttPlusRtoMin) {
  RtoEstimator e;
  e.OnSample(microseconds(100), 1, 2, T0);
  // 100 + 200000 us = 200.1 ms, rounded up to whole jiffies: 201 ms.
  EXPECT_EQ(e.Rto(), milliseconds(201));
  RtoEstimator z;
  z.OnSample(Duration::zero(), 1, 2, T0);
  EXPECT_EQ(z.linux_state().srtt_us, 1u);  // max(1, 0): 0 would mean "no sample"
  EXPECT_TRUE(z.has_sample());
  EXPECT_EQ(z.Rto(), milliseconds(200));
  EXPECT_EQ(z.tcpi_min_rtt(), 1000u);  // a 0 us sample is stored as one jiffy
}

TEST(RtoEstimator, RtoRoundsUpToWholeMilliseconds) {
  RtoEstimator e;
  e.OnSample(microseconds(10001), 1, 2, T0);
  EXPECT_EQ(e.Rto(), milliseconds(211));  // 210001 us -> 211 jiffies
  RtoEstimator n;
  n.OnSample(nanoseconds(10000999), 1, 2, T0);  // sub-usec part truncated like Linux's us clock
  EXPECT_EQ(n.srtt(), microseconds(10000));
}

TEST(RtoEstimator, SpikeRaisesRtoAtOnceAndDecaysOncePerRtt) {
  RtoEstimator e;
  e.OnSample(milliseconds(10), 1, 100, T0);
  EXPECT_EQ(e.Rto(), milliseconds(210));

  // 500 ms, same RTT window (snd_una 50 not after rtt_seq 100):
  //   err = 500000 - 10000 = 490000; srtt_us = 80000 + 490000 = 570000 (71.25 ms)
  //   mdev_us = 20000 + (490000 - 20000/4) = 505000 > mdev_max -> rttvar_us = 505000
  //   RTO = 71250 + 505000 = 576250 us -> 577 ms
  e.OnSample(milliseconds(500), 50, 200, T0 + milliseconds(500));
  auto st = e.linux_state();
  EXPECT_EQ(st.srtt_us, 570000u);
  EXPECT_EQ(st.mdev_us, 505000u);
  EXPECT_EQ(st.rttvar_us, 505000u);
  EXPECT_EQ(e.Rto(), milliseconds(577));
  EXPECT_EQ(e.tcpi_rttvar(), 126250u);

  // 10 ms, new window (snd_una 150 after rtt_seq 100):
  //   err = 10000 - 71250 = -61250; srtt_us = 508750
  //   falling: |err| - mdev/4 = 61250 - 126250 < 0, full gain: mdev_us = 440000
  //   window ends: mdev_max (505000) is not below rttvar (505000): no decay yet;
  //   mdev_max reset to 200000, rtt_seq = 300.  RTO = 63593 + 505000 -> 569 ms
  e.OnSample(milliseconds(10), 150, 300, T0 + seconds(1));
  st = e.linux_state();
  EXPECT_EQ(st.srtt_us, 508750u);
  EXPECT_EQ(st.mdev_us, 440000u);
  EXPECT_EQ(st.mdev_max_us, 200000u);
  EXPECT_EQ(st.rttvar_us, 505000u);
  EXPECT_EQ(st.rtt_seq, 300u);
  EXPECT_EQ(e.Rto(), milliseconds(569));

  // 10 ms, next window (snd_una 350 after 300):
  //   err = 10000 - 63593 = -53593; srtt_us = 455157
  //   mdev_us = 440000 - (110000 - 53593) = 383593 > mdev_max (200000) -> mdev_max = 383593
  //   decay: rttvar_us -= (505000 - 383593) >> 2 = 30351 -> 474649
  //   RTO = 56894 + 474649 = 531543 us -> 532 ms
  e.OnSample(milliseconds(10), 350, 400, T0 + seconds(2));
  st = e.linux_state();
  EXPECT_EQ(st.srtt_us, 455157u);
  EXPECT_EQ(st.mdev_us, 383593u);
  EXPECT_EQ(st.rttvar_us, 474649u);
  EXPECT_EQ(e.Rto(), milliseconds(532));
}

TEST(RtoEstimator, FallingRttMovesDeviationWithSmallerGain) {
  // From 100 ms, a 20 ms and a 180 ms sample have the same |err| = 80 ms. Rising:
  //   mdev_us = 200000 + (80000 - 50000) = 230000, srtt 110 ms -> RTO 340 ms.
  // Falling: the growth (80000 - 50000) is scaled by 1/8 -> mdev_us = 203750, srtt 90 ms,
  //   RTO = 90000 + 203750 -> 294 ms.
  RtoEstimator up;
  up.OnSample(milliseconds(100), 1, 100, T0);
  up.OnSample(milliseconds(180), 50, 200, T0);
  EXPECT_EQ(up.linux_state().mdev_us, 230000u);
  EXPECT_EQ(up.Rto(), milliseconds(340));

  RtoEstimator down;
  down.OnSample(milliseconds(100), 1, 100, T0);
  down.OnSample(milliseconds(20), 50, 200, T0);
  EXPECT_EQ(down.linux_state().mdev_us, 203750u);
  EXPECT_EQ(down.Rto(), milliseconds(294));
}

TEST(RtoEstimator, SteadySamplesConverge) {
  RtoEstimator e;
  // First 100 ms, then a steady 20 ms, one sample per RTT window.
  e.OnSample(milliseconds(100), 1, 1000, T0);
  for (uint32_t i = 1; i <= 200; ++i) {
    e.OnSample(milliseconds(20), 1000 * i + 1, 1000 * (i + 1), T0 + milliseconds(20 * i));
  }
  // SRTT settles exactly (srtt_us in [160000, 160007]); the deviation dies out (mdev_us stops at
  // 3: 3 >> 2 == 0). The variance term decays toward its 200 ms floor by (rttvar - 200000) >> 2 per
  // RTT, which stops moving 3 us above it; the jiffy round-up then makes the RTO 221 ms, not 220:
  // ceil((20000 + 200003) / 1000). Linux shows the same 221 (`ss -i` rto:221).
  EXPECT_EQ(e.srtt(), milliseconds(20));
  EXPECT_EQ(e.linux_state().srtt_us, 160007u);
  EXPECT_EQ(e.linux_state().mdev_us, 3u);
  EXPECT_EQ(e.linux_state().rttvar_us, 200003u);
  EXPECT_EQ(e.Rto(), milliseconds(221));
  EXPECT_EQ(e.min_rtt(), milliseconds(20));
}

TEST(RtoEstimator, VarianceDoesNotDecayWithinOneRttWindow) {
  RtoEstimator e;
  e.OnSample(milliseconds(10), 1, 100, T0);
  e.OnSample(milliseconds(500), 50, 200, T0);  // rttvar_us jumps to 505000
  // Many low samples, all acknowledging data below rtt_seq (100): no window ends, so the
  // variance term cannot come down however small mdev gets.
  for (int i = 0; i < 50; ++i) e.OnSample(milliseconds(10), 60 + i % 30, 200, T0);
  EXPECT_EQ(e.linux_state().rttvar_us, 505000u);
}

TEST(RtoEstimator, ClampsAtRtoMax) {
  RtoEstimator e;
  e.OnSample(seconds(100), 1, 2, T0);  // 3R = 300 s
  EXPECT_EQ(e.Rto(), seconds(120));    // TCP_RTO_MAX
}

TEST(RtoEstimator, ConfiguredRtoMinAndMax) {
  // tcp_rto_min_us / a route's rto_min lowers the variance floor; tcp_rto_max_ms the cap.
  RtoEstimator e(RtoEstimator::Config{milliseconds(50), seconds(60), seconds(300)});
  e.OnSample(milliseconds(10), 1, 2, T0);
  EXPECT_EQ(e.Rto(), milliseconds(60));  // 10 + max(20, 50)
  RtoEstimator big(RtoEstimator::Config{milliseconds(200), seconds(60), seconds(300)});
  big.OnSample(seconds(30), 1, 2, T0);
  EXPECT_EQ(big.Rto(), seconds(60));
}

TEST(RtoEstimator, BackoffDoublesUpTo120Seconds) {
  RtoEstimator e;
  const int64_t expected_s[] = {2, 4, 8, 16, 32, 64, 120, 120, 120};
  for (size_t i = 0; i < std::size(expected_s); ++i) {
    e.Backoff();
    EXPECT_EQ(e.Rto(), seconds(expected_s[i])) << "after " << i + 1 << " backoffs";
    EXPECT_EQ(e.backoff(), i + 1);
  }
  EXPECT_EQ(e.tcpi_backoff(), 9u);
  e.ResetBackoff();  // no sample yet: back to the initial 1 s
  EXPECT_EQ(e.backoff(), 0u);
  EXPECT_EQ(e.Rto(), seconds(1));
}

TEST(RtoEstimator, BackoffKeptUntilAValidSample) {
  RtoEstimator e;
  e.OnSample(milliseconds(10), 1, 100, T0);
  e.Backoff();
  e.Backoff();
  EXPECT_EQ(e.Rto(), milliseconds(840));  // 210 -> 420 -> 840
  // Karn: an ACK for retransmitted data gives no sample; the backed-off RTO stays.
  e.OnSample(Duration(-1), 150, 300, T0);
  EXPECT_EQ(e.Rto(), milliseconds(840));
  EXPECT_EQ(e.backoff(), 2u);
  // A valid sample recomputes the RTO and clears the backoff (RFC 6298 §5.7).
  e.OnSample(milliseconds(10), 150, 300, T0);
  EXPECT_EQ(e.backoff(), 0u);
  EXPECT_EQ(e.Rto(), milliseconds(210));
}

TEST(RtoEstimator, ResetBackoffRecomputesFromEstimate) {
  RtoEstimator e;
  e.OnSample(milliseconds(10), 1, 100, T0);
  for (int i = 0; i < 5; ++i) e.Backoff();
  e.ResetBackoff();
  EXPECT_EQ(e.backoff(), 0u);
  EXPECT_EQ(e.Rto(), milliseconds(210));
}

TEST(RtoEstimator, FallbackAfterHandshakeWithoutSample) {
  RtoEstimator e;
  e.Backoff();  // SYN retransmitted
  e.ApplyFallbackIfNoSample();
  EXPECT_EQ(e.Rto(), seconds(3));       // TCP_TIMEOUT_FALLBACK
  EXPECT_EQ(e.tcpi_rttvar(), 750000u);  // mdev_us = 3 s, reported /4
  // The first real sample still takes the first-sample path.
  e.OnSample(milliseconds(10), 1, 100, T0);
  EXPECT_EQ(e.Rto(), milliseconds(210));
  // Once there is a sample the fallback does nothing.
  e.ApplyFallbackIfNoSample();
  EXPECT_EQ(e.Rto(), milliseconds(210));
}

TEST(RtoEstimator, NegativeSampleIsIgnored) {
  RtoEstimator e;
  e.OnSample(Duration(-1), 1, 2, T0);
  EXPECT_FALSE(e.has_sample());
  EXPECT_EQ(e.Rto(), seconds(1));
  EXPECT_EQ(e.tcpi_min_rtt(), ~0u);
}

TEST(RtoEstimator, MinRttIsAFiveMinuteWindowedMinimum) {
  RtoEstimator e;
  e.OnSample(milliseconds(50), 1, 2, kEpoch);
  e.OnSample(milliseconds(60), 3, 4, kEpoch + seconds(10));
  EXPECT_EQ(e.min_rtt(), milliseconds(50));
  // A quarter of the window later the filter takes this as its second choice.
  e.OnSample(milliseconds(60), 5, 6, kEpoch + seconds(100));
  EXPECT_EQ(e.min_rtt(), milliseconds(50));
  // 301 s after the 50 ms sample it has expired; the 60 ms from t=100 s is the minimum now.
  e.OnSample(milliseconds(70), 7, 8, kEpoch + seconds(301));
  EXPECT_EQ(e.min_rtt(), milliseconds(60));
  // Everything older than the window: start over from the new sample.
  e.OnSample(milliseconds(80), 9, 10, kEpoch + seconds(1000));
  EXPECT_EQ(e.min_rtt(), milliseconds(80));
  // A new minimum wins at once.
  e.OnSample(milliseconds(30), 11, 12, kEpoch + seconds(1001));
  EXPECT_EQ(e.min_rtt(), milliseconds(30));
}

TEST(RtoEstimator, MinRttUsesCaRttAndSkipsLargerDelayedAcks) {
  RtoEstimator e;
  // srtt from the oldest acked segment (30 ms), min_rtt from the newest (12 ms).
  e.OnSample(RttSample{milliseconds(30), milliseconds(12), false}, 1, 2, T0);
  EXPECT_EQ(e.srtt(), milliseconds(30));
  EXPECT_EQ(e.min_rtt(), milliseconds(12));
  // A possibly delayed ACK above the minimum is not fed to the filter (it could otherwise become
  // the minimum when the 12 ms ages out)...
  e.OnSample(RttSample{milliseconds(40), Duration(-1), true}, 3, 4, T0 + seconds(200));
  e.OnSample(RttSample{milliseconds(50), Duration(-1), false}, 5, 6, T0 + seconds(301));
  EXPECT_EQ(e.min_rtt(), milliseconds(50));  // 40 ms was never recorded
  // ...but one below the minimum is.
  e.OnSample(RttSample{milliseconds(5), Duration(-1), true}, 7, 8, T0 + seconds(302));
  EXPECT_EQ(e.min_rtt(), milliseconds(5));
}

TEST(WindowedMinFilter, KeepsBestOfSubwindows) {
  WindowedMinFilter f;
  EXPECT_EQ(f.Get(), WindowedMinFilter::kNone);
  const uint32_t w = 1000;
  EXPECT_EQ(f.Update(w, 0, 100), 100u);
  EXPECT_EQ(f.Update(w, 300, 200), 100u);   // > w/4 with no 2nd choice: 200 becomes 2nd and 3rd
  EXPECT_EQ(f.Update(w, 600, 300), 100u);   // > w/2 with no distinct 3rd: 300 becomes 3rd
  EXPECT_EQ(f.Update(w, 1001, 400), 200u);  // 100 expired: 200 (t=300) promoted
  EXPECT_EQ(f.Update(w, 1301, 400), 300u);  // 200 expired: 300 (t=600)
  EXPECT_EQ(f.Update(w, 1601, 500), 400u);  // 300 expired
}

}  // namespace
}  // namespace taptcp::tcp
