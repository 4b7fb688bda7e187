// Sequence-number arithmetic: wrap-around at 2^32, Linux's before()/after() semantics (including
// the 2^31 ambiguity), the window helpers, the RFC 9293 acceptability table case by case, and
// property checks of all of it against unwrapped 64-bit arithmetic.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <sstream>

#include "stack/tcp/seq.h"

namespace taptcp::tcp {
namespace {

constexpr uint32_t kHalf = uint32_t{1} << 31;

// The arithmetic is constexpr; a few compile-time checks keep it that way.
static_assert(Seq(0xFFFFFFFFu) + 1 == Seq(0));
static_assert(Seq(0) - 1 == Seq(0xFFFFFFFFu));
static_assert(Seq(0xFFFFFFF0u) < Seq(0x10));
static_assert(Seq(0x10) - Seq(0xFFFFFFF0u) == 0x20);
static_assert(SegmentAcceptable(Seq(100), 0, Seq(100), 0));

TEST(SeqTest, AddSubtractWrap) {
  Seq s(0xFFFFFFFEu);
  s += 3;
  EXPECT_EQ(s, Seq(1));
  s -= 2;
  EXPECT_EQ(s, Seq(0xFFFFFFFFu));
  EXPECT_EQ(Seq(7) + 0xFFFFFFFFu, Seq(6));  // adding 2^32 - 1 is subtracting one
  EXPECT_EQ((Seq(5) - 10).value(), 0xFFFFFFFBu);
  EXPECT_EQ(Seq().value(), 0u);
}

TEST(SeqTest, SignedDifferenceAcrossWrap) {
  EXPECT_EQ(Seq(2) - Seq(0xFFFFFFFEu), 4);
  EXPECT_EQ(Seq(0xFFFFFFFEu) - Seq(2), -4);
  EXPECT_EQ(Seq(1000) - Seq(1000), 0);
  EXPECT_EQ(Seq(kHalf - 1) - Seq(0), std::numeric_limits<int32_t>::max());
  EXPECT_EQ(Seq(0) - Seq(kHalf - 1), -std::numeric_limits<int32_t>::max());
  // Exactly half the space apart: (s32)0x80000000 in both directions.
  EXPECT_EQ(Seq(kHalf) - Seq(0), std::numeric_limits<int32_t>::min());
  EXPECT_EQ(Seq(0) - Seq(kHalf), std::numeric_limits<int32_t>::min());
}

TEST(SeqTest, ComparisonsAcrossWrap) {
  const Seq before_wrap(0xFFFFFF00u);
  const Seq after_wrap(0x00000100u);
  EXPECT_TRUE(before_wrap < after_wrap);
  EXPECT_TRUE(before_wrap <= after_wrap);
  EXPECT_FALSE(before_wrap > after_wrap);
  EXPECT_FALSE(before_wrap >= after_wrap);
  EXPECT_TRUE(after_wrap > before_wrap);
  EXPECT_TRUE(after_wrap >= before_wrap);
  // Plain uint32_t comparison gets this backwards, which is why Seq exists.
  EXPECT_GT(before_wrap.value(), after_wrap.value());

  EXPECT_TRUE(Seq(5) <= Seq(5));
  EXPECT_TRUE(Seq(5) >= Seq(5));
  EXPECT_FALSE(Seq(5) < Seq(5));
  EXPECT_FALSE(Seq(5) > Seq(5));
}

TEST(SeqTest, HalfSpaceApartIsBeforeBothWays) {
  // Linux: before(a, a + 2^31) and before(a + 2^31, a) are both true (RFC 1982 leaves it
  // undefined). One less than half is unambiguous.
  for (uint32_t a : {0u, 1u, kHalf, 0xFFFFFFFFu, 0x12345678u}) {
    const Seq x(a);
    const Seq y = x + kHalf;
    EXPECT_TRUE(x < y) << a;
    EXPECT_TRUE(y < x) << a;
    EXPECT_TRUE(x > y) << a;
    EXPECT_FALSE(x <= y) << a;
    EXPECT_FALSE(x >= y) << a;
    const Seq z = x + (kHalf - 1);
    EXPECT_TRUE(x < z) << a;
    EXPECT_FALSE(z < x) << a;
    EXPECT_TRUE(z > x) << a;
  }
}

TEST(SeqTest, MaxMinAreWrapAware) {
  EXPECT_EQ(SeqMax(Seq(0xFFFFFFF0u), Seq(3)), Seq(3));
  EXPECT_EQ(SeqMin(Seq(0xFFFFFFF0u), Seq(3)), Seq(0xFFFFFFF0u));
  EXPECT_EQ(SeqMax(Seq(9), Seq(9)), Seq(9));
}

TEST(SeqTest, Streams) {
  std::ostringstream os;
  os << Seq(4294967295u);
  EXPECT_EQ(os.str(), "4294967295");
}

TEST(SeqWindowTest, InWindowHalfOpenAndWrapping) {
  const Seq start(0xFFFFFFFCu);  // window of 8 covers ...FC..FF, 0..3
  EXPECT_FALSE(InWindow(start - 1, start, 8));
  EXPECT_TRUE(InWindow(start, start, 8));
  EXPECT_TRUE(InWindow(Seq(0), start, 8));
  EXPECT_TRUE(InWindow(Seq(3), start, 8));
  EXPECT_FALSE(InWindow(Seq(4), start, 8));
  // Empty and (almost) full windows.
  EXPECT_FALSE(InWindow(start, start, 0));
  EXPECT_TRUE(InWindow(start - 2, start, 0xFFFFFFFFu));
  EXPECT_FALSE(InWindow(start - 1, start, 0xFFFFFFFFu));
}

TEST(SeqWindowTest, InRangeAndBetween) {
  const Seq lo(0xFFFFFFFEu);
  const Seq hi(2);
  EXPECT_TRUE(InRange(lo, lo, hi));
  EXPECT_TRUE(InRange(Seq(1), lo, hi));
  EXPECT_FALSE(InRange(hi, lo, hi));  // half-open
  EXPECT_FALSE(InRange(lo - 1, lo, hi));
  EXPECT_FALSE(InRange(lo, lo, lo));  // empty

  // Linux's between(): closed at both ends.
  EXPECT_TRUE(Between(lo, lo, hi));
  EXPECT_TRUE(Between(hi, lo, hi));
  EXPECT_FALSE(Between(hi + 1, lo, hi));
  EXPECT_FALSE(Between(lo - 1, lo, hi));
  EXPECT_TRUE(Between(lo, lo, lo));
  EXPECT_FALSE(Between(lo + 1, lo, lo));
}

// RFC 9293 §3.4 / §3.10.7.4, the four rows of the table, each probed at its edges. RCV.NXT sits
// just below the wrap so every edge also crosses 2^32.
class SegmentAcceptableTest : public ::testing::Test {
 protected:
  const Seq nxt_{0xFFFFFFF0u};
};

TEST_F(SegmentAcceptableTest, ZeroLengthZeroWindow) {
  // SEG.SEQ = RCV.NXT, nothing else.
  EXPECT_TRUE(SegmentAcceptable(nxt_, 0, nxt_, 0));
  EXPECT_FALSE(SegmentAcceptable(nxt_ + 1, 0, nxt_, 0));
  EXPECT_FALSE(SegmentAcceptable(nxt_ - 1, 0, nxt_, 0));
}

TEST_F(SegmentAcceptableTest, ZeroLengthOpenWindow) {
  // RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND
  const uint32_t wnd = 0x20;  // the window spans the wrap
  EXPECT_FALSE(SegmentAcceptable(nxt_ - 1, 0, nxt_, wnd));
  EXPECT_TRUE(SegmentAcceptable(nxt_, 0, nxt_, wnd));
  EXPECT_TRUE(SegmentAcceptable(Seq(0), 0, nxt_, wnd));
  EXPECT_TRUE(SegmentAcceptable(nxt_ + (wnd - 1), 0, nxt_, wnd));
  EXPECT_FALSE(SegmentAcceptable(nxt_ + wnd, 0, nxt_, wnd));
}

TEST_F(SegmentAcceptableTest, DataIntoZeroWindowNeverAcceptable) {
  EXPECT_FALSE(SegmentAcceptable(nxt_, 1, nxt_, 0));
  EXPECT_FALSE(SegmentAcceptable(nxt_, 1000, nxt_, 0));
  EXPECT_FALSE(SegmentAcceptable(nxt_ - 10, 20, nxt_, 0));
}

TEST_F(SegmentAcceptableTest, DataIntoOpenWindow) {
  const uint32_t wnd = 0x20;
  // First octet in the window.
  EXPECT_TRUE(SegmentAcceptable(nxt_, 1, nxt_, wnd));
  EXPECT_TRUE(SegmentAcceptable(nxt_ + (wnd - 1), 100, nxt_, wnd));  // runs past the right edge
  // Last octet (SEG.SEQ+SEG.LEN-1) in the window: old data overlapping RCV.NXT.
  EXPECT_TRUE(SegmentAcceptable(nxt_ - 10, 11, nxt_, wnd));
  EXPECT_FALSE(SegmentAcceptable(nxt_ - 10, 10, nxt_, wnd));  // ends just before RCV.NXT
  // Entirely to the right.
  EXPECT_FALSE(SegmentAcceptable(nxt_ + wnd, 1, nxt_, wnd));
  // SYN or FIN alone counts one (RFC 9293 §3.4): a bare FIN at RCV.NXT is acceptable.
  EXPECT_TRUE(SegmentAcceptable(nxt_, 1, nxt_, 1));
  EXPECT_FALSE(SegmentAcceptable(nxt_ + 1, 1, nxt_, 1));
}

TEST_F(SegmentAcceptableTest, SegmentCoveringTheWholeWindowFailsTheLiteralTable) {
  // First octet left of the window, last octet right of it: neither end is inside, so the table as
  // written rejects it (Linux's tcp_sequence() would accept it; see seq.h).
  EXPECT_FALSE(SegmentAcceptable(nxt_ - 5, 0x30, nxt_, 0x20));
}

// --- Property checks against unwrapped 64-bit arithmetic. ---

// A sequence number as an unbounded integer; its wire form is the low 32 bits.
Seq Wrap(int64_t unwrapped) { return Seq(static_cast<uint32_t>(static_cast<uint64_t>(unwrapped))); }

// Bases that exercise the wrap: near 0, near 2^31 and near 2^32 (in several "laps").
int64_t RandomBase(std::mt19937_64& rng) {
  static constexpr int64_t kEdges[] = {0, int64_t{1} << 31, int64_t{1} << 32,
                                       5 * (int64_t{1} << 32)};
  const int64_t edge = kEdges[rng() % 4];
  const int64_t jitter = static_cast<int64_t>(rng() % 2001) - 1000;
  return (rng() % 2 == 0) ? edge + jitter : static_cast<int64_t>(rng() >> 8);
}

TEST(SeqPropertyTest, ComparisonsMatchUnwrappedModel) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200000; ++i) {
    const int64_t a = RandomBase(rng);
    // Any distance that is unambiguous mod 2^32: |d| < 2^31.
    int64_t d = static_cast<int64_t>(rng() % (uint64_t{1} << 32)) - (int64_t{1} << 31);
    if (d == -(int64_t{1} << 31)) d = 0;
    if (i % 4 == 0) d = static_cast<int64_t>(rng() % 64) - 32;  // many small distances too
    const int64_t b = a + d;
    const Seq sa = Wrap(a);
    const Seq sb = Wrap(b);
    ASSERT_EQ(sb - sa, d) << a << " " << b;
    ASSERT_EQ(sa + static_cast<uint32_t>(static_cast<uint64_t>(d)), sb);
    ASSERT_EQ(sa < sb, a < b) << a << " " << b;
    ASSERT_EQ(sa <= sb, a <= b) << a << " " << b;
    ASSERT_EQ(sa > sb, a > b) << a << " " << b;
    ASSERT_EQ(sa >= sb, a >= b) << a << " " << b;
    ASSERT_EQ(sa == sb, a == b);
    ASSERT_EQ(SeqMax(sa, sb), Wrap(std::max(a, b)));
    ASSERT_EQ(SeqMin(sa, sb), Wrap(std::min(a, b)));
  }
}

TEST(SeqPropertyTest, WindowHelpersMatchUnwrappedModel) {
  std::mt19937_64 rng(11);
  for (int i = 0; i < 200000; ++i) {
    const int64_t lo = RandomBase(rng);
    const int64_t len = (i % 2 == 0) ? static_cast<int64_t>(rng() % 64)
                                     : static_cast<int64_t>(rng() % (uint64_t{1} << 31));
    const int64_t s =
        lo + static_cast<int64_t>(rng() % (2 * static_cast<uint64_t>(len) + 8)) - len / 2 - 4;
    ASSERT_EQ(InWindow(Wrap(s), Wrap(lo), static_cast<uint32_t>(len)), lo <= s && s < lo + len);
    ASSERT_EQ(InRange(Wrap(s), Wrap(lo), Wrap(lo + len)), lo <= s && s < lo + len);
    ASSERT_EQ(Between(Wrap(s), Wrap(lo), Wrap(lo + len)), lo <= s && s <= lo + len);
  }
}

// The RFC table in unbounded integers.
bool ModelAcceptable(int64_t seq, int64_t len, int64_t nxt, int64_t wnd) {
  const auto in_window = [&](int64_t x) { return nxt <= x && x < nxt + wnd; };
  if (len == 0) return wnd == 0 ? seq == nxt : in_window(seq);
  if (wnd == 0) return false;
  return in_window(seq) || in_window(seq + len - 1);
}

TEST(SeqPropertyTest, SegmentAcceptableMatchesUnwrappedModel) {
  std::mt19937_64 rng(13);
  int accepted = 0;
  for (int i = 0; i < 300000; ++i) {
    const int64_t nxt = RandomBase(rng);
    // Windows up to 2^30 (a scaled window is at most 2^30, RFC 7323 §2.3) and lengths up to 2^29,
    // half of them small so the edges are hit often, zero often enough for the zero rows. These
    // bounds keep every distance the test looks at inside one lap of the 32-bit space, where the
    // unwrapped model is the truth.
    const auto pick = [&](int log2_max) -> int64_t {
      if (rng() % 5 == 0) return 0;
      return (rng() % 2 == 0) ? static_cast<int64_t>(rng() % 40)
                              : static_cast<int64_t>(rng() % (uint64_t{1} << log2_max));
    };
    const int64_t wnd = pick(30);
    const int64_t len = pick(29);
    const int64_t spread = 2 * (wnd + len) + 8;
    const int64_t seq = nxt - len - 4 + static_cast<int64_t>(rng() % static_cast<uint64_t>(spread));
    const bool expected = ModelAcceptable(seq, len, nxt, wnd);
    accepted += expected;
    ASSERT_EQ(SegmentAcceptable(Wrap(seq), static_cast<uint32_t>(len), Wrap(nxt),
                                static_cast<uint32_t>(wnd)),
              expected)
        << "seq=" << seq << " len=" << len << " nxt=" << nxt << " wnd=" << wnd;
  }
  // Both outcomes are well represented, so the comparison means something.
  EXPECT_GT(accepted, 300000 / 10);
  EXPECT_LT(accepted, 300000 * 9 / 10);
}

// --- Linux's tcp_sequence(). ---

TEST(ReceiveWindowLeftTest, ShrinksAsDataArrivesNeverNegative) {
  EXPECT_EQ(ReceiveWindowLeft(Seq(1000), 500, Seq(1000)), 500u);
  EXPECT_EQ(ReceiveWindowLeft(Seq(1000), 500, Seq(1200)), 300u);
  EXPECT_EQ(ReceiveWindowLeft(Seq(1000), 500, Seq(1500)), 0u);
  EXPECT_EQ(ReceiveWindowLeft(Seq(1000), 500, Seq(1600)), 0u);  // peer overran the window
  EXPECT_EQ(ReceiveWindowLeft(Seq(0xFFFFFF00u), 0x200, Seq(0x10)), 0xF0u);  // across the wrap
}

class TcpSequenceTest : public ::testing::Test {
 protected:
  // rcv_wup == rcv_nxt: the window [nxt, nxt + 100) was just advertised; the edge crosses 2^32.
  const Seq nxt_{0xFFFFFFC0u};
  const uint32_t wnd_ = 100;
  SequenceVerdict Check(Seq seq, uint32_t len, bool queue_empty = true) const {
    return TcpSequence(seq, seq + len, nxt_, nxt_, wnd_, queue_empty);
  }
};

TEST_F(TcpSequenceTest, InWindowSegmentsAreAcceptable) {
  EXPECT_EQ(Check(nxt_, 10), SequenceVerdict::kAcceptable);
  EXPECT_EQ(Check(nxt_ + 90, 10, /*queue_empty=*/false), SequenceVerdict::kAcceptable);
  EXPECT_EQ(Check(nxt_, 0), SequenceVerdict::kAcceptable);  // pure ACK
}

TEST_F(TcpSequenceTest, OldSegmentsEndBeforeRcvWup) {
  EXPECT_EQ(Check(nxt_ - 10, 9), SequenceVerdict::kOldSequence);
  EXPECT_EQ(Check(nxt_ - 1, 0), SequenceVerdict::kOldSequence);
  // Ending exactly at rcv_wup is not old (Linux: before(end_seq, rcv_wup)).
  EXPECT_EQ(Check(nxt_ - 10, 10), SequenceVerdict::kAcceptable);
}

TEST_F(TcpSequenceTest, BeyondTheRightEdge) {
  EXPECT_EQ(Check(nxt_ + wnd_ + 1, 0), SequenceVerdict::kInvalidSequence);
  EXPECT_EQ(Check(nxt_ + wnd_ + 1, 10, false), SequenceVerdict::kInvalidSequence);
  // Starting at the edge is not "after" it: a pure ACK there is fine, data there overruns.
  EXPECT_EQ(Check(nxt_ + wnd_, 0), SequenceVerdict::kAcceptable);
  EXPECT_EQ(Check(nxt_ + wnd_, 1, true), SequenceVerdict::kAcceptable);
  EXPECT_EQ(Check(nxt_ + wnd_, 1, false), SequenceVerdict::kInvalidEndSequence);
}

TEST_F(TcpSequenceTest, OverrunAcceptedOnlyWithAnEmptyReceiveQueue) {
  // The segment the RFC table rejects (covers the whole window) and one that runs past the edge.
  EXPECT_FALSE(SegmentAcceptable(nxt_ - 5, 200, nxt_, wnd_));
  EXPECT_EQ(Check(nxt_ - 5, 200, true), SequenceVerdict::kAcceptable);
  EXPECT_EQ(Check(nxt_ - 5, 200, false), SequenceVerdict::kInvalidEndSequence);
  EXPECT_EQ(Check(nxt_ + 50, 51, false), SequenceVerdict::kInvalidEndSequence);
}

TEST_F(TcpSequenceTest, ZeroWindowProbe) {
  // One byte at rcv_nxt into a zero window: the RFC table refuses it outright; Linux lets it
  // through to data processing (which drops the byte and ACKs) when nothing is queued, and since
  // 6.17 drops it at once when the queue holds data.
  EXPECT_FALSE(SegmentAcceptable(nxt_, 1, nxt_, 0));
  EXPECT_EQ(TcpSequence(nxt_, nxt_ + 1, nxt_, nxt_, 0, true), SequenceVerdict::kAcceptable);
  EXPECT_EQ(TcpSequence(nxt_, nxt_ + 1, nxt_, nxt_, 0, false),
            SequenceVerdict::kInvalidEndSequence);
}

TEST_F(TcpSequenceTest, RightEdgeComesFromTheLastAdvertisement) {
  // Window 100 advertised at rcv_wup = nxt; 60 bytes later the edge has not moved.
  const Seq wup = nxt_;
  const Seq nxt = nxt_ + 60;
  EXPECT_EQ(TcpSequence(nxt + 40, nxt + 40, wup, nxt, wnd_, false), SequenceVerdict::kAcceptable);
  EXPECT_EQ(TcpSequence(nxt + 41, nxt + 41, wup, nxt, wnd_, false),
            SequenceVerdict::kInvalidSequence);
  // Old relative to rcv_wup, not rcv_nxt: data already received after the advertisement passes
  // here and is trimmed later.
  EXPECT_EQ(TcpSequence(wup + 10, wup + 20, wup, nxt, wnd_, false), SequenceVerdict::kAcceptable);
}

TEST(SeqPropertyTest, LinuxAcceptsWhateverTheRfcTableAccepts) {
  // With rcv_wup == rcv_nxt and an empty queue, Linux's check is a relaxation of the RFC's.
  std::mt19937_64 rng(17);
  int rfc_accepts = 0;
  for (int i = 0; i < 200000; ++i) {
    const Seq nxt(static_cast<uint32_t>(rng()));
    const uint32_t wnd = static_cast<uint32_t>(rng() % 64);
    const uint32_t len = static_cast<uint32_t>(rng() % 64);
    const Seq seq = nxt + static_cast<uint32_t>(rng() % 256) - 128;
    if (!SegmentAcceptable(seq, len, nxt, wnd)) continue;
    ++rfc_accepts;
    ASSERT_EQ(TcpSequence(seq, seq + len, nxt, nxt, wnd, true), SequenceVerdict::kAcceptable)
        << seq << " " << len << " " << nxt << " " << wnd;
  }
  EXPECT_GT(rfc_accepts, 10000);
}

}  // namespace
}  // namespace taptcp::tcp
