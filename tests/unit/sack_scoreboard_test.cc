// tcp::SackScoreboard (stack/tcp/sack_scoreboard.h): block validation, D-SACK and reneging
// detection, RFC 6675 §4 IsLost/SetPipe/NextSeg on hand-worked cases and on a §5 loss-recovery
// walk-through, Linux's RTO behaviour, and a property test against a per-octet reference that
// evaluates the RFC 6675 definitions literally.
#include "stack/tcp/sack_scoreboard.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <random>
#include <vector>

namespace taptcp::tcp {
namespace {

using Blocks = std::vector<SackRange>;
using Rule = SackScoreboard::Rule;

Blocks RangesOf(const SackScoreboard& sb) { return Blocks(sb.ranges().begin(), sb.ranges().end()); }

TEST(SackScoreboardTest, MergesAndSorts) {
  SackScoreboard sb;
  auto r = sb.Update(0, 0, 1000, Blocks{{500, 600}, {100, 200}});
  EXPECT_EQ(r.newly_sacked, 200u);
  EXPECT_EQ(RangesOf(sb), (Blocks{{100, 200}, {500, 600}}));
  r = sb.Update(0, 0, 1000, Blocks{{200, 300}, {550, 700}, {150, 160}});
  EXPECT_EQ(r.newly_sacked, 200u);  // 200-299 and 600-699
  EXPECT_EQ(RangesOf(sb), (Blocks{{100, 300}, {500, 700}}));
  r = sb.Update(0, 0, 1000, Blocks{{300, 500}});  // fills the gap exactly: one range
  EXPECT_EQ(r.newly_sacked, 200u);
  EXPECT_EQ(RangesOf(sb), (Blocks{{100, 700}}));
  EXPECT_EQ(sb.sacked_bytes(), 600u);
  EXPECT_EQ(sb.highest_sacked(), 700u);
  EXPECT_TRUE(sb.IsSacked(100));
  EXPECT_TRUE(sb.IsSacked(699));
  EXPECT_FALSE(sb.IsSacked(700));
  EXPECT_FALSE(sb.IsSacked(99));
}

TEST(SackScoreboardTest, InvalidBlocksAreNotRecorded) {
  // tcp_is_sackblock_valid(): past SND.NXT or reversed -> discarded; at or below SND.UNA ->
  // ignored, even when the block reaches above it (start_seq == snd_una "is non-sensical").
  SackScoreboard sb;
  auto r = sb.Update(100, 100, 1000,
                     Blocks{{900, 1001}, {600, 500}, {700, 700}, {50, 90}, {100, 200}, {90, 300}});
  EXPECT_EQ(r.discarded, 3u);
  EXPECT_EQ(r.ignored_old, 3u);
  EXPECT_FALSE(r.dsack.has_value());
  EXPECT_EQ(r.newly_sacked, 0u);
  EXPECT_TRUE(sb.ranges().empty());
  EXPECT_EQ(sb.sacked_bytes(), 0u);
  // A block ending exactly at SND.NXT is fine; one starting just above SND.UNA too.
  r = sb.Update(100, 100, 1000, Blocks{{900, 1000}, {101, 102}});
  EXPECT_EQ(r.newly_sacked, 101u);
}

TEST(SackScoreboardTest, DsackDetection) {
  SackScoreboard sb;
  // RFC 2883 §4.1.1: first block below the cumulative ACK.
  auto r = sb.Update(4000, 4000, 5000, Blocks{{3000, 3500}});
  EXPECT_EQ(r.dsack, (SackRange{3000, 3500}));
  EXPECT_EQ(r.ignored_old, 0u);
  EXPECT_TRUE(sb.ranges().empty());
  // RFC 2883 §4.1.3: first block inside the second, above the ACK: a D-SACK that also SACKs.
  r = sb.Update(4000, 4000, 6000, Blocks{{5000, 5500}, {4500, 5500}});
  EXPECT_EQ(r.dsack, (SackRange{5000, 5500}));
  EXPECT_EQ(r.newly_sacked, 1000u);
  EXPECT_EQ(RangesOf(sb), (Blocks{{4500, 5500}}));
  // An ordinary first block is not a D-SACK.
  r = sb.Update(4000, 4000, 6000, Blocks{{5600, 5700}, {4500, 5500}});
  EXPECT_FALSE(r.dsack.has_value());
  // A reordered old ACK: the test is against that ACK's own number (tcp_check_dsack).
  r = sb.Update(3800, 4000, 6000, Blocks{{3900, 4000}});
  EXPECT_FALSE(r.dsack.has_value());
  EXPECT_EQ(r.ignored_old, 1u);
}

TEST(SackScoreboardTest, AckTrimsAndDetectsReneging) {
  SackScoreboard sb;
  sb.Update(0, 0, 1000, Blocks{{100, 200}, {300, 400}});
  auto r = sb.Update(150, 150, 1000, {});
  EXPECT_TRUE(r.reneging);  // byte 150 was SACKed but the ACK stopped there
  EXPECT_EQ(RangesOf(sb), (Blocks{{150, 200}, {300, 400}}));
  EXPECT_EQ(sb.sacked_bytes(), 150u);
  r = sb.Update(250, 250, 1000, {});
  EXPECT_FALSE(r.reneging);
  EXPECT_EQ(RangesOf(sb), (Blocks{{300, 400}}));
  r = sb.Update(300, 300, 1000, {});
  EXPECT_TRUE(r.reneging);
  r = sb.Update(400, 400, 1000, {});
  EXPECT_FALSE(r.reneging);
  EXPECT_TRUE(sb.ranges().empty());
  EXPECT_EQ(sb.sacked_bytes(), 0u);
  EXPECT_FALSE(sb.highest_sacked().has_value());
}

TEST(SackScoreboardTest, RangeLimitIgnoresNewIsolatedBlocks) {
  SackScoreboard sb(2);
  sb.Update(0, 0, 1000, Blocks{{100, 110}, {200, 210}});
  auto r = sb.Update(0, 0, 1000, Blocks{{300, 310}, {110, 120}});
  EXPECT_EQ(r.dropped, 1u);
  EXPECT_EQ(r.newly_sacked, 10u);
  EXPECT_EQ(RangesOf(sb), (Blocks{{100, 120}, {200, 210}}));
  r = sb.Update(0, 0, 1000, Blocks{{120, 200}, {300, 310}});  // joining frees a slot
  EXPECT_EQ(r.dropped, 0u);
  EXPECT_EQ(RangesOf(sb), (Blocks{{100, 210}, {300, 310}}));
}

TEST(SackScoreboardTest, IsLostFollowsRfc6675Definition) {
  const uint32_t smss = 100;
  SackScoreboard sb;
  sb.Update(0, 0, 1000, Blocks{{100, 200}});
  EXPECT_FALSE(sb.IsLost(0, smss));
  sb.Update(0, 0, 1000, Blocks{{100, 300}});  // exactly (DupThresh - 1) * SMSS: not more
  EXPECT_FALSE(sb.IsLost(0, smss));
  sb.Update(0, 0, 1000, Blocks{{300, 301}});  // one byte more
  EXPECT_TRUE(sb.IsLost(0, smss));
  EXPECT_FALSE(sb.IsLost(150, smss));  // SACKed
  EXPECT_FALSE(sb.IsLost(301, smss));  // nothing SACKed above

  SackScoreboard small;  // DupThresh discontiguous SACKed sequences, however short
  small.Update(0, 0, 1000, Blocks{{10, 11}, {20, 21}});
  EXPECT_FALSE(small.IsLost(0, smss));
  small.Update(0, 0, 1000, Blocks{{30, 31}});
  EXPECT_TRUE(small.IsLost(0, smss));
  EXPECT_TRUE(small.IsLost(9, smss));
  EXPECT_FALSE(small.IsLost(11, smss));  // only two ranges above
}

TEST(SackScoreboardTest, PipeCountsLostOnceAndRetransmittedTwice) {
  const uint32_t smss = 100;
  SackScoreboard sb;
  // [0,100) hole, [100,400) SACKed (300 > 2*SMSS: the hole is lost), [400,600) hole, not lost.
  sb.Update(0, 0, 600, Blocks{{100, 400}});
  EXPECT_EQ(sb.Pipe(0, 600, 0, smss), 200u);    // only the not-lost hole
  EXPECT_EQ(sb.Pipe(0, 600, 100, smss), 300u);  // + the retransmitted lost hole
  // A retransmitted octet that is not lost counts twice (RFC 6675 §4 SetPipe note).
  EXPECT_EQ(sb.Pipe(0, 600, 500, smss), 200u + 100u + 100u);
}

// RFC 6675 §5 loss recovery on a ten-segment flight (SMSS 1000) where the second segment is
// lost: the scoreboard answers IsLost, SetPipe and NextSeg as each ACK arrives.
TEST(SackScoreboardTest, Rfc6675RecoveryWalkthrough) {
  const uint32_t smss = 1000;
  SackScoreboard sb;
  uint64_t snd_una = 1000;  // segment 1 acknowledged
  const uint64_t snd_nxt = 10000;
  uint64_t send_end = 20000;
  const uint64_t wnd_end = 100000;
  // Dup ACKs for segments 3 and 4: not yet lost by either rule.
  sb.Update(snd_una, snd_una, snd_nxt, Blocks{{2000, 3000}});
  sb.Update(snd_una, snd_una, snd_nxt, Blocks{{2000, 4000}});
  EXPECT_FALSE(sb.IsLost(snd_una, smss));
  // Segment 5: 3000 SACKed bytes > 2 * SMSS above HighACK + 1, so §5 (2) starts recovery.
  sb.Update(snd_una, snd_una, snd_nxt, Blocks{{2000, 5000}});
  EXPECT_TRUE(sb.IsLost(snd_una, smss));
  EXPECT_FALSE(sb.IsLost(5000, smss));
  // (4.2) cwnd = ssthresh = FlightSize / 2 = 4500; (4.3) retransmit HighACK + 1, via rule 1.
  SackScoreboard::NextSegInput in{snd_una, snd_nxt, snd_una, send_end, wnd_end, smss, {}};
  auto seg = sb.NextSeg(in);
  ASSERT_TRUE(seg.has_value());
  EXPECT_EQ(seg->rule, Rule::kLost);
  EXPECT_EQ(seg->range, (SackRange{1000, 2000}));
  uint64_t high_rxt = 2000;
  in.high_rxt = high_rxt;
  in.rescue_rxt = 2000;  // (4.3) RescueRxt too
  // Pipe: the retransmission (lost, counted once) + segments 6-10 still in flight.
  EXPECT_EQ(sb.Pipe(snd_una, snd_nxt, high_rxt, smss), 1000u + 5000u);
  // Segments 6 and 7 are SACKed: pipe drops to 4000 < cwnd, NextSeg has nothing lost left
  // (1.a fails at 1000-1999) and sends new data by rule 2.
  sb.Update(snd_una, snd_una, snd_nxt, Blocks{{2000, 6000}});
  sb.Update(snd_una, snd_una, snd_nxt, Blocks{{2000, 7000}});
  EXPECT_EQ(sb.Pipe(snd_una, snd_nxt, high_rxt, smss), 1000u + 3000u);
  seg = sb.NextSeg(in);
  ASSERT_TRUE(seg.has_value());
  EXPECT_EQ(seg->rule, Rule::kNewData);
  EXPECT_EQ(seg->range, (SackRange{10000, 11000}));
  // With no new data left, rule 3 offers the first un-SACKed segment above HighRxt below the
  // highest SACK... there is none (everything between is SACKed), and rule 4 is barred
  // because HighACK is not above RescueRxt.
  in.send_end = snd_nxt;
  EXPECT_FALSE(sb.NextSeg(in).has_value());
  // The retransmission arrives: cumulative ACK to 7000; RecoveryPoint 10000 not reached.
  snd_una = 7000;
  sb.Update(snd_una, snd_una, snd_nxt, {});
  EXPECT_TRUE(sb.ranges().empty());
  in.snd_una = snd_una;
  in.high_rxt = std::max(high_rxt, snd_una);
  EXPECT_EQ(sb.Pipe(snd_una, snd_nxt, in.high_rxt, smss), 3000u);
  // Nothing SACKed, nothing new: rule 4's rescue retransmission of the highest outstanding
  // segment, once (HighACK 6999 > RescueRxt 1999).
  seg = sb.NextSeg(in);
  ASSERT_TRUE(seg.has_value());
  EXPECT_EQ(seg->rule, Rule::kRescue);
  EXPECT_EQ(seg->range, (SackRange{9000, 10000}));
  in.rescue_rxt = 10000;  // RescueRxt = RecoveryPoint
  EXPECT_FALSE(sb.NextSeg(in).has_value());
}

TEST(SackScoreboardTest, NextSegRules) {
  const uint32_t smss = 100;
  SackScoreboard sb;
  // Holes [0,50), [100,300), [400,450), [500,1000); SACKed [50,100), [300,400), [450,500).
  sb.Update(0, 0, 1000, Blocks{{50, 100}, {300, 400}, {450, 500}});
  SackScoreboard::NextSegInput in{0, 1000, 0, 1000, 5000, smss, {}};
  // (1): [0,50) has three ranges above: lost; the segment stops at the SACKed byte 50.
  auto seg = sb.NextSeg(in);
  EXPECT_EQ(seg->rule, Rule::kLost);
  EXPECT_EQ(seg->range, (SackRange{0, 50}));
  // HighRxt past it: [100,300) has 150 bytes in two ranges above: not lost; (2) new data none;
  // (3) the first un-SACKed byte above HighRxt below the highest SACK, one SMSS of it.
  in.high_rxt = 50;
  seg = sb.NextSeg(in);
  EXPECT_EQ(seg->rule, Rule::kUnsacked);
  EXPECT_EQ(seg->range, (SackRange{100, 200}));
  in.high_rxt = 250;  // HighRxt in the middle of a hole
  seg = sb.NextSeg(in);
  EXPECT_EQ(seg->range, (SackRange{250, 300}));
  // (2) beats (3) when the application has data and the window allows, clipped to both.
  in.send_end = 1030;
  seg = sb.NextSeg(in);
  EXPECT_EQ(seg->rule, Rule::kNewData);
  EXPECT_EQ(seg->range, (SackRange{1000, 1030}));
  in.window_end = 1000;  // peer window closed: no new data
  seg = sb.NextSeg(in);
  EXPECT_EQ(seg->rule, Rule::kUnsacked);
  // (4) once everything below the highest SACK was retransmitted: the last SMSS of the highest
  // hole [500,1000).
  in.high_rxt = 450;
  seg = sb.NextSeg(in);
  EXPECT_EQ(seg->rule, Rule::kRescue);
  EXPECT_EQ(seg->range, (SackRange{900, 1000}));
  in.rescue_rxt = 1000;
  EXPECT_FALSE(sb.NextSeg(in).has_value());  // (5)
}

TEST(SackScoreboardTest, EnterLossKeepsSacksLikeLinux) {
  const uint32_t smss = 100;
  SackScoreboard sb;
  sb.Update(0, 0, 1000, Blocks{{200, 300}});
  EXPECT_FALSE(sb.EnterLoss(0, 1000));  // no reneging: SACK marks survive the RTO
  EXPECT_EQ(RangesOf(sb), (Blocks{{200, 300}}));
  EXPECT_EQ(sb.lost_end(), 1000u);
  // Every un-SACKed byte is lost now, even above the highest SACK (tcp_timeout_mark_lost).
  EXPECT_TRUE(sb.IsLost(0, smss));
  EXPECT_TRUE(sb.IsLost(900, smss));
  EXPECT_FALSE(sb.IsLost(250, smss));
  EXPECT_EQ(sb.Pipe(0, 1000, 0, smss), 0u);
  EXPECT_EQ(sb.Pipe(0, 1000, 100, smss), 100u);  // only what was retransmitted
  // Go-back-N that skips SACKed data, from SND.UNA; then past the SACKed block.
  SackScoreboard::NextSegInput in{0, 1000, 0, 1000, 5000, smss, {}};
  EXPECT_EQ(sb.NextSeg(in)->range, (SackRange{0, 100}));
  in.high_rxt = 200;
  EXPECT_EQ(sb.NextSeg(in)->range, (SackRange{300, 400}));
  EXPECT_EQ(sb.NextSeg(in)->rule, Rule::kLost);
  // New data sent after the RTO is not lost.
  EXPECT_FALSE(sb.IsLost(1000, smss));
  // Once SND.UNA passes the marks they are gone.
  sb.Update(1000, 1000, 1200, {});
  EXPECT_EQ(sb.lost_end(), 0u);
}

TEST(SackScoreboardTest, EnterLossForgetsSacksOnReneging) {
  SackScoreboard sb;
  sb.Update(0, 0, 1000, Blocks{{100, 300}, {500, 600}});
  auto r = sb.Update(100, 100, 1000, {});  // acknowledged up to a SACKed byte, not past it
  EXPECT_TRUE(r.reneging);
  EXPECT_TRUE(sb.EnterLoss(100, 1000));  // TCPSACKReneging
  EXPECT_TRUE(sb.ranges().empty());
  EXPECT_EQ(sb.sacked_bytes(), 0u);
  EXPECT_TRUE(sb.IsLost(500, 100));
}

TEST(SackScoreboardTest, ResetForgetsEverything) {
  SackScoreboard sb;
  sb.Update(0, 0, 1000, Blocks{{100, 300}});
  sb.EnterLoss(0, 1000);
  sb.Reset();
  EXPECT_TRUE(sb.ranges().empty());
  EXPECT_EQ(sb.lost_end(), 0u);
  EXPECT_FALSE(sb.IsLost(0, 100));
}

// Property test against a per-octet reference. The reference keeps one "SACKed" bit per stream
// offset and evaluates RFC 6675 §4 literally, octet by octet: IsLost(S) counts the maximal SACKed
// runs and the SACKed octets above S; SetPipe() visits every un-SACKed octet between HighACK and
// HighData; NextSeg() scans for S2/S3 and the highest un-SACKed octet. Bounded ranges are modelled
// too: a valid block that overlaps or touches no SACKed octet is ignored when max_ranges runs
// exist. Operations: sending, cumulative ACKs (sometimes stopping at a SACKed byte: reneging),
// ACKs carrying random valid, stale, D-SACK, reversed and too-high blocks, RTOs (EnterLoss) and
// Reset.
class Reference {
 public:
  explicit Reference(size_t max_ranges) : max_ranges_(max_ranges) {}

  void Clip(uint64_t snd_una) {
    for (uint64_t o = lo_; o < snd_una && o < sacked_.size(); ++o) sacked_[o] = false;
    lo_ = std::max(lo_, snd_una);
  }
  void Grow(uint64_t snd_nxt) {
    if (sacked_.size() < snd_nxt + 1) sacked_.resize(snd_nxt + 1, false);
  }
  bool Sacked(uint64_t o) const { return o < sacked_.size() && sacked_[o]; }

  // Returns bytes newly SACKed, or nullopt if dropped for the range limit.
  std::optional<uint64_t> Add(SackRange b, uint64_t snd_una, uint64_t snd_nxt) {
    bool touches = Sacked(b.start - 1) || Sacked(b.end);
    for (uint64_t o = b.start; o < b.end && !touches; ++o) touches = Sacked(o);
    if (!touches && Runs(snd_una, snd_nxt).size() >= max_ranges_) return std::nullopt;
    uint64_t n = 0;
    for (uint64_t o = b.start; o < b.end; ++o) {
      n += !sacked_[o];
      sacked_[o] = true;
    }
    return n;
  }

  std::vector<SackRange> Runs(uint64_t from, uint64_t to) const {
    std::vector<SackRange> out;
    for (uint64_t o = from; o < to; ++o) {
      if (!Sacked(o)) continue;
      if (!out.empty() && out.back().end == o) {
        ++out.back().end;
      } else {
        out.push_back({o, o + 1});
      }
    }
    return out;
  }

  // Per-octet RFC 6675 IsLost for offsets in [snd_una, snd_nxt); precomputed suffix counts.
  struct Lost {
    std::vector<bool> lost;  // indexed by o - snd_una
    uint64_t highest_end = 0;
  };
  Lost ComputeLost(uint64_t snd_una, uint64_t snd_nxt, uint32_t smss, uint64_t lost_end) const {
    Lost l;
    l.lost.assign(snd_nxt - snd_una, false);
    uint64_t runs_above = 0, bytes_above = 0;
    for (uint64_t o = snd_nxt; o-- > snd_una;) {
      if (Sacked(o)) {
        if (l.highest_end == 0) l.highest_end = o + 1;
        ++bytes_above;
        if (!Sacked(o + 1) || o + 1 >= snd_nxt) ++runs_above;
        continue;
      }
      l.lost[o - snd_una] = o < lost_end || runs_above >= SackScoreboard::kDupThresh ||
                            bytes_above > (SackScoreboard::kDupThresh - 1) * uint64_t{smss};
    }
    return l;
  }

  uint64_t Pipe(uint64_t snd_una, uint64_t snd_nxt, uint64_t high_rxt, uint32_t smss,
                uint64_t lost_end) const {
    Lost l = ComputeLost(snd_una, snd_nxt, smss, lost_end);
    uint64_t pipe = 0;
    for (uint64_t o = snd_una; o < snd_nxt; ++o) {
      if (Sacked(o)) continue;
      if (!l.lost[o - snd_una]) ++pipe;
      if (o < high_rxt) ++pipe;
    }
    return pipe;
  }

  std::optional<SackScoreboard::NextSegment> NextSeg(const SackScoreboard::NextSegInput& in,
                                                     uint64_t lost_end) const {
    using R = SackScoreboard::Rule;
    Lost l = ComputeLost(in.snd_una, in.snd_nxt, in.smss, lost_end);
    auto extend = [&](uint64_t s, auto&& ok) {
      uint64_t e = s;
      while (e < in.snd_nxt && e - s < in.smss && !Sacked(e) && ok(e)) ++e;
      return SackRange{s, e};
    };
    auto is_lost = [&](uint64_t o) { return l.lost[o - in.snd_una]; };
    for (uint64_t o = std::max(in.snd_una, in.high_rxt); o < in.snd_nxt; ++o) {
      if (Sacked(o) || !is_lost(o)) continue;
      if (o < l.highest_end || o < lost_end) {  // (1.b), waived for RTO marks
        return SackScoreboard::NextSegment{extend(o, is_lost), R::kLost};
      }
    }
    uint64_t limit = std::min(in.send_end, in.window_end);
    if (in.snd_nxt < limit) {
      return SackScoreboard::NextSegment{
          {in.snd_nxt, std::min<uint64_t>(in.snd_nxt + in.smss, limit)}, R::kNewData};
    }
    for (uint64_t o = std::max(in.snd_una, in.high_rxt); o < l.highest_end; ++o) {
      if (!Sacked(o)) {
        return SackScoreboard::NextSegment{extend(o, [](uint64_t) { return true; }), R::kUnsacked};
      }
    }
    if (!in.rescue_rxt.has_value() || in.snd_una > *in.rescue_rxt) {
      for (uint64_t o = in.snd_nxt; o-- > in.snd_una;) {
        if (Sacked(o)) continue;
        uint64_t s = o;
        while (s > in.snd_una && !Sacked(s - 1) && o + 1 - (s - 1) <= in.smss) --s;
        return SackScoreboard::NextSegment{{s, o + 1}, R::kRescue};
      }
    }
    return std::nullopt;
  }

 private:
  size_t max_ranges_;
  uint64_t lo_ = 0;
  std::vector<bool> sacked_;
};

class SackScoreboardModelTest : public ::testing::TestWithParam<uint64_t> {};

TEST_P(SackScoreboardModelTest, MatchesPerOctetReference) {
  std::mt19937_64 rng(GetParam());
  auto uniform = [&](uint64_t lo, uint64_t hi) {
    return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
  };
  const size_t max_ranges = GetParam() % 2 == 0 ? 5 : 64;
  SackScoreboard sb(max_ranges);
  Reference ref(max_ranges);
  uint64_t snd_una = 0, snd_nxt = 0, lost_end = 0;
  const uint64_t kMaxFlight = 1000;

  for (int step = 0; step < 25000; ++step) {
    SCOPED_TRACE(::testing::Message() << "step " << step);
    const uint32_t smss = static_cast<uint32_t>(uniform(1, 120));
    switch (uniform(0, 9)) {
      case 0:
      case 1:  // send
        snd_nxt = std::min(snd_una + kMaxFlight, snd_nxt + uniform(0, 300));
        break;
      case 2: {  // cumulative ACK: into the flight, or exactly to a SACKed byte (reneging)
        uint64_t to = uniform(snd_una, snd_nxt);
        auto runs = ref.Runs(snd_una, snd_nxt);
        if (!runs.empty() && uniform(0, 2) == 0) to = runs[uniform(0, runs.size() - 1)].start;
        snd_una = to;
        break;
      }
      case 9:  // RTO, rarely a Reset
        if (uniform(0, 3) == 0) {
          if (uniform(0, 4) == 0) {
            sb.Reset();
            ref = Reference(max_ranges);
            ref.Clip(snd_una);
            lost_end = 0;
          } else {
            bool reneg = ref.Sacked(snd_una);
            ASSERT_EQ(sb.EnterLoss(snd_una, snd_nxt), reneg);
            if (reneg) {
              ref = Reference(max_ranges);
              ref.Clip(snd_una);
            }
            lost_end = snd_nxt;
          }
        }
        break;
      default:
        break;
    }
    // Every step is an ACK with 0-4 blocks.
    ref.Grow(snd_nxt);
    ref.Clip(snd_una);
    std::vector<SackRange> blocks(uniform(0, 4));
    for (auto& b : blocks) {
      uint64_t kind = uniform(0, 9);
      if (kind == 0) {  // too high or reversed
        b.start = uniform(snd_una, snd_nxt + 10);
        b.end = uniform(0, 1) != 0 ? snd_nxt + uniform(1, 10) : b.start - uniform(0, 3);
      } else if (kind == 1) {  // old, possibly straddling SND.UNA
        b.start = snd_una - std::min<uint64_t>(snd_una, uniform(0, 200));
        b.end = b.start + uniform(1, 300);
      } else if (snd_nxt > snd_una + 1) {  // valid
        b.start = uniform(snd_una + 1, snd_nxt - 1);
        b.end = uniform(b.start + 1, std::min(snd_nxt, b.start + 3 * uint64_t{smss}));
      }
    }
    if (blocks.size() >= 2 && uniform(0, 5) == 0) {  // D-SACK inside the second block
      blocks[0] = blocks[1];
    }
    auto r = sb.Update(snd_una, snd_una, snd_nxt, blocks);
    uint64_t newly = 0;
    size_t dropped = 0;
    for (size_t i = 0; i < blocks.size(); ++i) {
      const SackRange& b = blocks[i];
      if (b.end > snd_nxt || b.start >= b.end || b.start <= snd_una) continue;
      auto n = ref.Add(b, snd_una, snd_nxt);
      if (n.has_value()) {
        newly += *n;
      } else {
        ++dropped;
      }
    }
    if (lost_end <= snd_una) lost_end = 0;
    ASSERT_EQ(r.newly_sacked, newly);
    ASSERT_EQ(r.dropped, dropped);
    ASSERT_EQ(r.reneging, ref.Sacked(snd_una));
    ASSERT_EQ(sb.lost_end(), lost_end);

    // Ranges: the reference's maximal runs, sorted, bounded, within [SND.UNA, SND.NXT).
    auto runs = ref.Runs(snd_una, snd_nxt);
    ASSERT_EQ(RangesOf(sb), runs);
    ASSERT_LE(runs.size(), max_ranges);
    uint64_t total = 0;
    for (const auto& run : runs) total += run.size();
    ASSERT_EQ(sb.sacked_bytes(), total);
    ASSERT_LE(sb.sacked_bytes(), snd_nxt - snd_una);
    ASSERT_EQ(sb.highest_sacked(), runs.empty() ? std::nullopt : std::optional(runs.back().end));

    // Queries.
    if (snd_nxt > snd_una) {
      uint64_t o = uniform(snd_una, snd_nxt - 1);
      auto lost = ref.ComputeLost(snd_una, snd_nxt, smss, lost_end);
      ASSERT_EQ(sb.IsSacked(o), ref.Sacked(o));
      ASSERT_EQ(sb.IsLost(o, smss), !ref.Sacked(o) && lost.lost[o - snd_una]) << o;
    }
    uint64_t high_rxt = uniform(snd_una, snd_nxt);
    ASSERT_EQ(sb.Pipe(snd_una, snd_nxt, high_rxt, smss),
              ref.Pipe(snd_una, snd_nxt, high_rxt, smss, lost_end));
    SackScoreboard::NextSegInput in{snd_una,
                                    snd_nxt,
                                    high_rxt,
                                    snd_nxt + (uniform(0, 1) ? uniform(0, 200) : 0),
                                    snd_una + uniform(0, 2 * kMaxFlight),
                                    smss,
                                    {}};
    if (uniform(0, 1)) in.rescue_rxt = uniform(0, snd_nxt);
    auto got = sb.NextSeg(in);
    auto want = ref.NextSeg(in, lost_end);
    ASSERT_EQ(got.has_value(), want.has_value());
    if (got.has_value()) {
      ASSERT_EQ(got->rule, want->rule);
      ASSERT_EQ(got->range, want->range);
    }
  }
}

// 4 seeds x 25k ACKs; even seeds use a 5-range bound so the limit is hit often.
INSTANTIATE_TEST_SUITE_P(Seeds, SackScoreboardModelTest, ::testing::Values(11, 12, 13, 14));

}  // namespace
}  // namespace taptcp::tcp
