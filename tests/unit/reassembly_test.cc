// tcp::ReceiveBuffer (stack/tcp/reassembly.h): unit tests, the SACK examples of RFC 2018 §7
// and the D-SACK examples of RFC 2883 §4, reproduced to the byte, plus the Linux SACK-block
// behaviours they do not cover.
#include "stack/tcp/reassembly.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace taptcp::tcp {
namespace {

using Blocks = std::vector<SackRange>;

uint8_t ByteAt(uint64_t offset) { return static_cast<uint8_t>(offset * 7 + (offset >> 8)); }

std::vector<uint8_t> Payload(uint64_t start, uint64_t end) {
  std::vector<uint8_t> v;
  for (uint64_t o = start; o < end; ++o) v.push_back(ByteAt(o));
  return v;
}

// Delivers bytes [start, end) with their canonical content.
ReceiveBuffer::InsertResult Seg(ReceiveBuffer& buf, uint64_t start, uint64_t end) {
  auto p = Payload(start, end);
  return buf.Insert(start, p);
}

Blocks SackOf(const ReceiveBuffer& buf) {
  return Blocks(buf.sack_blocks().begin(), buf.sack_blocks().end());
}

// What the next ACK carries: cumulative ACK, then the D-SACK block (taken), then SACK blocks.
struct Ack {
  uint64_t ack;
  std::optional<SackRange> dsack;
  Blocks sack;
};
Ack AckOf(ReceiveBuffer& buf) { return {buf.next_expected(), buf.TakeDsack(), SackOf(buf)}; }

TEST(ReceiveBufferTest, InOrderReadPeek) {
  ReceiveBuffer buf(100);
  auto r = Seg(buf, 0, 30);
  EXPECT_EQ(r.readable_added, 30u);
  EXPECT_EQ(r.stored, 30u);
  EXPECT_FALSE(r.out_of_order);
  EXPECT_EQ(buf.readable(), 30u);
  EXPECT_EQ(buf.next_expected(), 30u);
  EXPECT_EQ(buf.free_space(), 70u);
  std::vector<uint8_t> out(10);
  EXPECT_EQ(buf.Peek(out), 10u);
  EXPECT_EQ(out, Payload(0, 10));
  EXPECT_EQ(buf.readable(), 30u);
  EXPECT_EQ(buf.Read(out), 10u);
  EXPECT_EQ(out, Payload(0, 10));
  EXPECT_EQ(buf.read_offset(), 10u);
  EXPECT_EQ(buf.free_space(), 80u);
  out.resize(50);
  EXPECT_EQ(buf.Read(out), 20u);
  out.resize(20);
  EXPECT_EQ(out, Payload(10, 30));
  EXPECT_EQ(buf.Read(out), 0u);
}

TEST(ReceiveBufferTest, ReadableSpansAndConsumeAcrossWrap) {
  ReceiveBuffer buf(10);
  Seg(buf, 0, 8);
  EXPECT_EQ(buf.Consume(6), 6u);
  Seg(buf, 8, 16);  // ring indexes 8, 9, 0..5
  ByteSpans s = buf.Readable();
  EXPECT_EQ(s.first.size(), 4u);
  EXPECT_EQ(s.second.size(), 6u);
  std::vector<uint8_t> out(10);
  EXPECT_EQ(s.CopyTo(out), 10u);
  EXPECT_EQ(out, Payload(6, 16));
  EXPECT_EQ(buf.Consume(100), 10u);
  EXPECT_EQ(buf.readable(), 0u);
}

TEST(ReceiveBufferTest, OutOfOrderThenGapFills) {
  ReceiveBuffer buf(100);
  auto r = Seg(buf, 10, 20);
  EXPECT_TRUE(r.out_of_order);
  EXPECT_EQ(r.stored, 10u);
  EXPECT_EQ(r.readable_added, 0u);
  EXPECT_EQ(buf.readable(), 0u);
  EXPECT_EQ(buf.ooo_bytes(), 10u);
  EXPECT_EQ(Blocks(buf.ooo_ranges().begin(), buf.ooo_ranges().end()), (Blocks{{10, 20}}));
  // Early bytes sit inside the window: it is still measured from RCV.NXT.
  EXPECT_EQ(buf.free_space(), 100u);
  r = Seg(buf, 0, 10);
  EXPECT_EQ(r.readable_added, 20u);
  EXPECT_EQ(r.stored, 10u);
  EXPECT_EQ(buf.next_expected(), 20u);
  EXPECT_EQ(buf.ooo_bytes(), 0u);
  EXPECT_TRUE(buf.ooo_ranges().empty());
  EXPECT_TRUE(buf.sack_blocks().empty());
  std::vector<uint8_t> out(20);
  EXPECT_EQ(buf.Read(out), 20u);
  EXPECT_EQ(out, Payload(0, 20));
}

TEST(ReceiveBufferTest, WindowEdgeTrimsAndDrops) {
  ReceiveBuffer buf(50);
  auto r = Seg(buf, 0, 80);
  EXPECT_EQ(r.stored, 50u);
  EXPECT_EQ(r.beyond_window, 30u);
  EXPECT_EQ(buf.free_space(), 0u);
  r = Seg(buf, 50, 60);  // zero window: nothing fits
  EXPECT_EQ(r.beyond_window, 10u);
  EXPECT_EQ(r.stored, 0u);
  EXPECT_FALSE(r.out_of_order);
  std::vector<uint8_t> out(20);
  buf.Read(out);  // window opens by 20
  EXPECT_EQ(buf.window_end(), 70u);
  r = Seg(buf, 60, 75);  // early and partly past the edge
  EXPECT_TRUE(r.out_of_order);
  EXPECT_EQ(r.stored, 10u);
  EXPECT_EQ(r.beyond_window, 5u);
  EXPECT_EQ(SackOf(buf), (Blocks{{60, 70}}));  // the stored part only
  r = Seg(buf, 1000, 1010);
  EXPECT_EQ(r.beyond_window, 10u);
  EXPECT_FALSE(r.out_of_order);
  // Offsets near the top of the 64-bit space cannot overflow the arithmetic.
  std::vector<uint8_t> big(10);
  r = buf.Insert(UINT64_MAX - 3, big);
  EXPECT_EQ(r.beyond_window, 10u);
}

TEST(ReceiveBufferTest, EmptyInsertDoesNothing) {
  ReceiveBuffer buf(10);
  Seg(buf, 0, 5);
  Seg(buf, 0, 5);
  ASSERT_TRUE(buf.pending_dsack().has_value());
  auto r = buf.Insert(5, {});
  EXPECT_EQ(r.stored + r.duplicate + r.beyond_window, 0u);
  EXPECT_TRUE(buf.pending_dsack().has_value());  // an empty segment is not data (tcp_data_queue)
}

TEST(ReceiveBufferTest, FirstCopyWins) {
  ReceiveBuffer buf(100);
  std::vector<uint8_t> a(10, 0xAA), b(20, 0xBB);
  buf.Insert(10, a);          // early [10, 20) = AA
  auto r = buf.Insert(5, b);  // [5, 25): bytes 10..19 already held
  EXPECT_EQ(r.stored, 10u);
  EXPECT_EQ(r.duplicate, 10u);
  EXPECT_EQ(buf.TakeDsack(), (SackRange{10, 20}));
  buf.Insert(0, std::vector<uint8_t>(5, 0xCC));
  std::vector<uint8_t> out(25);
  ASSERT_EQ(buf.Read(out), 25u);
  for (size_t i = 0; i < 25; ++i) {
    uint8_t want = i < 5 ? 0xCC : (i >= 10 && i < 20) ? 0xAA : 0xBB;
    EXPECT_EQ(out[i], want) << i;
  }
}

TEST(ReceiveBufferTest, DuplicateBelowReadOffsetIsDsacked) {
  ReceiveBuffer buf(100);
  Seg(buf, 0, 40);
  std::vector<uint8_t> out(40);
  buf.Read(out);
  auto r = Seg(buf, 0, 10);  // long gone from the buffer, still a duplicate
  EXPECT_TRUE(r.all_duplicate());
  EXPECT_EQ(buf.TakeDsack(), (SackRange{0, 10}));
  EXPECT_FALSE(buf.TakeDsack().has_value());  // taken once
  r = Seg(buf, 30, 50);                       // partial: [30, 40) old, [40, 50) new
  EXPECT_FALSE(r.all_duplicate());
  EXPECT_EQ(r.duplicate, 10u);
  EXPECT_EQ(r.readable_added, 10u);
  EXPECT_EQ(buf.TakeDsack(), (SackRange{30, 40}));
}

TEST(ReceiveBufferTest, NextDataSegmentClearsPendingDsack) {
  // tcp_data_queue() resets rx_opt.dsack for every data segment.
  ReceiveBuffer buf(100);
  Seg(buf, 0, 10);
  Seg(buf, 0, 10);
  ASSERT_TRUE(buf.pending_dsack().has_value());
  Seg(buf, 10, 20);
  EXPECT_FALSE(buf.pending_dsack().has_value());
}

TEST(ReceiveBufferTest, RangeLimitDropsIsolatedEarlySegments) {
  ReceiveBuffer buf(1000, 0, /*max_ranges=*/3);
  Seg(buf, 100, 110);
  Seg(buf, 200, 210);
  Seg(buf, 300, 310);
  ASSERT_EQ(buf.ooo_ranges().size(), 3u);
  auto r = Seg(buf, 400, 410);  // would be a fourth range
  EXPECT_TRUE(r.out_of_order);
  EXPECT_EQ(r.ofo_dropped, 10u);
  EXPECT_EQ(r.stored, 0u);
  EXPECT_EQ(buf.ooo_ranges().size(), 3u);
  EXPECT_EQ(SackOf(buf), (Blocks{{300, 310}, {200, 210}, {100, 110}}));  // unchanged
  // Extending, joining and in-order data are always accepted.
  EXPECT_EQ(Seg(buf, 110, 120).stored, 10u);  // touches [100, 110)
  EXPECT_EQ(Seg(buf, 210, 300).stored, 90u);  // joins two ranges
  EXPECT_EQ(buf.ooo_ranges().size(), 2u);
  EXPECT_EQ(Seg(buf, 400, 410).stored, 10u);  // room again
  r = Seg(buf, 0, 100);
  EXPECT_EQ(r.readable_added, 120u);
  EXPECT_EQ(buf.ooo_ranges().size(), 2u);
}

TEST(ReceiveBufferTest, MoreThanFourHolesForgetsOldestBlock) {
  // tcp_sack_new_ofo_skb(): four blocks at most; a fifth pushes the oldest out.
  ReceiveBuffer buf(10000);
  for (uint64_t s = 100; s <= 500; s += 100) Seg(buf, s, s + 10);
  EXPECT_EQ(SackOf(buf), (Blocks{{500, 510}, {400, 410}, {300, 310}, {200, 210}}));
  EXPECT_EQ(buf.ooo_ranges().size(), 5u);  // the data is still held
  // A segment next to the forgotten range starts a block of its own bytes only: the held range
  // is [100, 120) but the block says [110, 120) (Linux reports the segment, not the range).
  Seg(buf, 110, 120);
  EXPECT_EQ(Blocks(buf.ooo_ranges().begin(), buf.ooo_ranges().begin() + 1), (Blocks{{100, 120}}));
  EXPECT_EQ(SackOf(buf), (Blocks{{110, 120}, {500, 510}, {400, 410}, {300, 310}}));
  // Filling the hole at 120 joins three held ranges into [100, 210); the block grows by the
  // segment only, since the blocks for [100, 110) and [200, 210) were forgotten.
  Seg(buf, 120, 200);
  EXPECT_EQ(Blocks(buf.ooo_ranges().begin(), buf.ooo_ranges().begin() + 1), (Blocks{{100, 210}}));
  EXPECT_EQ(SackOf(buf), (Blocks{{110, 200}, {500, 510}, {400, 410}, {300, 310}}));
  // SackBlocks() honours the caller's limit (3 fit with timestamps).
  SackRange out[4];
  EXPECT_EQ(buf.SackBlocks(out, 3), 3u);
  EXPECT_EQ(out[2], (SackRange{400, 410}));
  // In-order data removes the blocks it reaches.
  Seg(buf, 0, 100);
  EXPECT_EQ(buf.next_expected(), 210u);
  EXPECT_EQ(SackOf(buf), (Blocks{{500, 510}, {400, 410}, {300, 310}}));
}

TEST(ReceiveBufferTest, GrowAndShrinkKeepHeldData) {
  ReceiveBuffer buf(20);
  Seg(buf, 0, 15);
  std::vector<uint8_t> out(12);
  buf.Read(out);                        // read_offset 12
  Seg(buf, 18, 30);                     // early, wraps the ring
  EXPECT_EQ(buf.set_capacity(8), 18u);  // held up to offset 30: clamped
  EXPECT_EQ(buf.set_capacity(64), 64u);
  EXPECT_EQ(buf.window_end(), 76u);
  Seg(buf, 15, 18);
  EXPECT_EQ(buf.next_expected(), 30u);
  out.resize(18);
  ASSERT_EQ(buf.Read(out), 18u);
  EXPECT_EQ(out, Payload(12, 30));
}

// Zero-copy receive: a "driver" reads a frame (headers, then text) into InPlaceRoom's memory.
// Returns the text's span there.
std::span<const uint8_t> ReadInPlace(std::span<uint8_t> room, size_t headroom, uint64_t start,
                                     uint64_t end) {
  std::fill_n(room.begin(), headroom, uint8_t{0xEE});  // the headers overwrite what was there
  const auto p = Payload(start, end);
  std::copy(p.begin(), p.end(), room.begin() + static_cast<ptrdiff_t>(headroom));
  return std::span<const uint8_t>(room.data() + headroom, p.size());
}

TEST(ReceiveBufferTest, InPlaceTextIsTakenWithoutACopy) {
  constexpr size_t kHead = 76;  // virtio header, Ethernet, IPv4, TCP with timestamps
  ReceiveBuffer buf(1000);
  Seg(buf, 0, 100);
  // Unread bytes before RCV.NXT: the headers would overwrite them.
  EXPECT_TRUE(buf.InPlaceRoom(kHead).empty());
  std::vector<uint8_t> out(1000);
  ASSERT_EQ(buf.Read(out), 100u);
  std::span<uint8_t> room = buf.InPlaceRoom(kHead);
  ASSERT_FALSE(room.empty());
  // Headers and text within one ring's length: text that ran past the end and came back to the
  // start stops short of the headers, and stays within the free space (the whole ring here).
  EXPECT_EQ(room.size(), 1000u);
  std::span<const uint8_t> text = ReadInPlace(room, kHead, 100, 400);
  const auto r = buf.Insert(100, text);
  EXPECT_EQ(r.readable_added, 300u);
  EXPECT_EQ(r.stored, 300u);
  // The text was already there: overwriting the source afterwards changes what is read.
  ASSERT_EQ(buf.Peek(std::span(out).first(300)), 300u);
  EXPECT_EQ(std::vector<uint8_t>(out.begin(), out.begin() + 300), Payload(100, 400));
  EXPECT_EQ(buf.Readable().first.data(), text.data());
}

TEST(ReceiveBufferTest, InPlaceTextRunsOverTheRingsEndIntoTheSlack) {
  constexpr size_t kHead = 66;
  ReceiveBuffer buf(1000);
  std::vector<uint8_t> out(1000);
  Seg(buf, 0, 900);
  ASSERT_EQ(buf.Read(out), 900u);
  std::span<uint8_t> room = buf.InPlaceRoom(kHead);
  ASSERT_FALSE(room.empty());
  // From 66 bytes before RCV.NXT's place (900) on, past the ring's end into the slack.
  EXPECT_EQ(room.size(), 1000u);
  std::span<const uint8_t> text = ReadInPlace(room, kHead, 900, 1500);
  const auto r = buf.Insert(900, text);
  EXPECT_EQ(r.readable_added, 600u);
  ASSERT_EQ(buf.Read(out), 600u);
  EXPECT_EQ(std::vector<uint8_t>(out.begin(), out.begin() + 600), Payload(900, 1500));
  // And the ring goes on as before, from its start.
  Seg(buf, 1500, 1900);
  ASSERT_EQ(buf.Read(out), 400u);
  EXPECT_EQ(std::vector<uint8_t>(out.begin(), out.begin() + 400), Payload(1500, 1900));
}

TEST(ReceiveBufferTest, NoInPlaceRoomWhileEarlyDataIsHeldOrTooCloseToTheStart) {
  ReceiveBuffer buf(1000);
  std::vector<uint8_t> out(1000);
  Seg(buf, 0, 10);
  ASSERT_EQ(buf.Read(out), 10u);
  EXPECT_TRUE(buf.InPlaceRoom(76).empty());  // RCV.NXT's place is 10: no room for the headers
  EXPECT_FALSE(buf.InPlaceRoom(10).empty());
  Seg(buf, 200, 300);  // early: the free space is no longer free
  EXPECT_TRUE(buf.InPlaceRoom(10).empty());
  Seg(buf, 10, 200);
  ASSERT_EQ(buf.Read(out), 290u);
  EXPECT_FALSE(buf.InPlaceRoom(10).empty());
  // Growing the ring keeps the slack (and the room follows the new capacity).
  EXPECT_EQ(buf.set_capacity(4000), 4000u);
  EXPECT_EQ(buf.InPlaceRoom(10).size(), 4000u);
}

TEST(ReceiveBufferTest, InPlaceTextAtAnotherOffsetIsNotTakenAsInPlace) {
  // The room was offered for RCV.NXT but the frame read there carried other text: Insert must
  // not mistake it for text in place (the driver copies such frames out first; this checks the
  // buffer itself does the right thing with text that merely lives in the storage elsewhere).
  ReceiveBuffer buf(1000);
  std::vector<uint8_t> out(1000);
  Seg(buf, 0, 100);
  ASSERT_EQ(buf.Read(out), 100u);
  std::span<uint8_t> room = buf.InPlaceRoom(20);
  ASSERT_FALSE(room.empty());
  ReadInPlace(room, 20, 100, 150);
  const auto copy = Payload(100, 150);  // the same text from elsewhere
  EXPECT_EQ(buf.Insert(100, copy).readable_added, 50u);
  ASSERT_EQ(buf.Read(out), 50u);
  EXPECT_EQ(std::vector<uint8_t>(out.begin(), out.begin() + 50), copy);
}

// RFC 2018 §7, left window edge 5000, eight 500-byte segments.
class Rfc2018ExamplesTest : public ::testing::Test {
 protected:
  ReceiveBuffer buf_{8000, /*initial_offset=*/5000};
  void Recv(uint64_t start) { Seg(buf_, start, start + 500); }
};

TEST_F(Rfc2018ExamplesTest, Case1LastFourDropped) {
  for (uint64_t s = 5000; s < 7000; s += 500) Recv(s);
  Ack a = AckOf(buf_);
  EXPECT_EQ(a.ack, 7000u);
  EXPECT_TRUE(a.sack.empty());
}

TEST_F(Rfc2018ExamplesTest, Case2FirstDropped) {
  for (uint64_t s = 5500; s < 9000; s += 500) {
    Recv(s);
    Ack a = AckOf(buf_);
    EXPECT_EQ(a.ack, 5000u);
    EXPECT_EQ(a.sack, (Blocks{{5500, s + 500}})) << s;
  }
}

TEST_F(Rfc2018ExamplesTest, Case3EverySecondDropped) {
  Recv(5000);
  EXPECT_EQ(AckOf(buf_).ack, 5500u);
  EXPECT_TRUE(AckOf(buf_).sack.empty());
  Recv(6000);
  EXPECT_EQ(AckOf(buf_).ack, 5500u);
  EXPECT_EQ(AckOf(buf_).sack, (Blocks{{6000, 6500}}));
  Recv(7000);
  EXPECT_EQ(AckOf(buf_).sack, (Blocks{{7000, 7500}, {6000, 6500}}));
  Recv(8000);
  EXPECT_EQ(AckOf(buf_).sack, (Blocks{{8000, 8500}, {7000, 7500}, {6000, 6500}}));
  // "Suppose ... the 4th packet is received out of order."
  Recv(6500);
  EXPECT_EQ(AckOf(buf_).ack, 5500u);
  EXPECT_EQ(AckOf(buf_).sack, (Blocks{{6000, 7500}, {8000, 8500}}));
  // "Suppose at this point, the 2nd segment is received."
  Recv(5500);
  EXPECT_EQ(AckOf(buf_).ack, 7500u);
  EXPECT_EQ(AckOf(buf_).sack, (Blocks{{8000, 8500}}));
}

// RFC 2883 §4: the first block of each ACK is the D-SACK block.
TEST(Rfc2883ExamplesTest, Example1DuplicateSegment) {
  ReceiveBuffer buf(4000, 3000);
  Seg(buf, 3000, 3500);  // ACK 3500 dropped
  Seg(buf, 3500, 4000);  // ACK 4000 dropped
  auto r = Seg(buf, 3000, 3500);
  EXPECT_TRUE(r.all_duplicate());
  Ack a = AckOf(buf);
  EXPECT_EQ(a.ack, 4000u);
  EXPECT_EQ(a.dsack, (SackRange{3000, 3500}));
  EXPECT_TRUE(a.sack.empty());
}

TEST(Rfc2883ExamplesTest, Example2OutOfOrderAndDuplicate) {
  ReceiveBuffer buf(4000, 3000);
  Seg(buf, 3000, 3500);
  Seg(buf, 3500, 4000);
  // 4000-4499 dropped
  Seg(buf, 4500, 5000);
  Ack a = AckOf(buf);
  EXPECT_EQ(a.ack, 4000u);
  EXPECT_FALSE(a.dsack.has_value());
  EXPECT_EQ(a.sack, (Blocks{{4500, 5000}}));
  Seg(buf, 3000, 3500);
  a = AckOf(buf);
  EXPECT_EQ(a.ack, 4000u);
  EXPECT_EQ(a.dsack, (SackRange{3000, 3500}));
  EXPECT_EQ(a.sack, (Blocks{{4500, 5000}}));
}

TEST(Rfc2883ExamplesTest, Example3DuplicateOfOutOfOrderSegment) {
  ReceiveBuffer buf(4000, 3500);
  Seg(buf, 3500, 4000);
  EXPECT_EQ(AckOf(buf).ack, 4000u);
  // 4000-4499 dropped
  Seg(buf, 4500, 5000);
  EXPECT_EQ(AckOf(buf).sack, (Blocks{{4500, 5000}}));
  Seg(buf, 5000, 5500);
  EXPECT_EQ(AckOf(buf).sack, (Blocks{{4500, 5500}}));
  auto r = Seg(buf, 5000, 5500);  // duplicated by the network
  EXPECT_TRUE(r.all_duplicate());
  EXPECT_TRUE(r.out_of_order);
  Ack a = AckOf(buf);
  EXPECT_EQ(a.ack, 4000u);
  EXPECT_EQ(a.dsack, (SackRange{5000, 5500}));
  EXPECT_EQ(a.sack, (Blocks{{4500, 5500}}));
}

TEST(Rfc2883ExamplesTest, Example4SingleDuplicateSubsegment) {
  ReceiveBuffer buf(4000, 500);
  Seg(buf, 500, 1000);
  EXPECT_EQ(AckOf(buf).ack, 1000u);
  // 1000-1499 delayed, 1500-1999 dropped
  Seg(buf, 2000, 2500);
  Ack a = AckOf(buf);
  EXPECT_EQ(a.ack, 1000u);
  EXPECT_EQ(a.sack, (Blocks{{2000, 2500}}));
  // The sender retransmits 1000-2000 as one segment; the delayed 1000-1499 arrives first.
  Seg(buf, 1000, 1500);
  a = AckOf(buf);
  EXPECT_EQ(a.ack, 1500u);
  EXPECT_FALSE(a.dsack.has_value());
  EXPECT_EQ(a.sack, (Blocks{{2000, 2500}}));
  Seg(buf, 1000, 2000);
  a = AckOf(buf);
  EXPECT_EQ(a.ack, 2500u);
  EXPECT_EQ(a.dsack, (SackRange{1000, 1500}));
  EXPECT_TRUE(a.sack.empty());
}

TEST(Rfc2883ExamplesTest, Example5TwoDuplicatesCoveredByAck) {
  ReceiveBuffer buf(4000, 500);
  Seg(buf, 500, 1000);
  // 1000-1499 delayed, 1500-1999 dropped, 2000-2499 delayed, 2500-2999 dropped
  Seg(buf, 3000, 3500);
  Ack a = AckOf(buf);
  EXPECT_EQ(a.ack, 1000u);
  EXPECT_EQ(a.sack, (Blocks{{3000, 3500}}));
  Seg(buf, 1000, 1500);
  a = AckOf(buf);
  EXPECT_EQ(a.ack, 1500u);
  EXPECT_EQ(a.sack, (Blocks{{3000, 3500}}));
  Seg(buf, 2000, 2500);
  a = AckOf(buf);
  EXPECT_EQ(a.ack, 1500u);
  EXPECT_EQ(a.sack, (Blocks{{2000, 2500}, {3000, 3500}}));
  Seg(buf, 1000, 2500);  // the retransmission: two duplicate pieces, the first is reported
  a = AckOf(buf);
  EXPECT_EQ(a.ack, 2500u);
  EXPECT_EQ(a.dsack, (SackRange{1000, 1500}));
  EXPECT_EQ(a.sack, (Blocks{{3000, 3500}}));
}

TEST(Rfc2883ExamplesTest, Example6TwoDuplicatesNotCoveredByAck) {
  ReceiveBuffer buf(4000, 500);
  Seg(buf, 500, 1000);
  // 1000-1499 dropped, 1500-1999 delayed, 2000-2499 dropped, 2500-2999 delayed,
  // 3000-3499 dropped
  Seg(buf, 3500, 4000);
  Ack a = AckOf(buf);
  EXPECT_EQ(a.ack, 1000u);
  EXPECT_EQ(a.sack, (Blocks{{3500, 4000}}));
  // The retransmitted 1000-1499 is dropped again; the delayed segments arrive.
  Seg(buf, 1500, 2000);
  EXPECT_EQ(AckOf(buf).sack, (Blocks{{1500, 2000}, {3500, 4000}}));
  Seg(buf, 2500, 3000);
  EXPECT_EQ(AckOf(buf).sack, (Blocks{{2500, 3000}, {1500, 2000}, {3500, 4000}}));
  Seg(buf, 1500, 3000);  // retransmission holding both as duplicates
  a = AckOf(buf);
  EXPECT_EQ(a.ack, 1000u);
  EXPECT_EQ(a.dsack, (SackRange{1500, 2000}));
  EXPECT_EQ(a.sack, (Blocks{{1500, 3000}, {3500, 4000}}));
}

TEST(ReceiveBufferTest, DsackOfPartialEarlyOverlap) {
  // tcp_data_queue_ofo(): an early segment overlapping held data from the left or the right.
  ReceiveBuffer buf(1000);
  Seg(buf, 100, 200);
  Seg(buf, 150, 250);
  EXPECT_EQ(buf.TakeDsack(), (SackRange{150, 200}));
  Seg(buf, 50, 120);
  EXPECT_EQ(buf.TakeDsack(), (SackRange{100, 120}));
  EXPECT_EQ(SackOf(buf), (Blocks{{50, 250}}));
  // Spanning two held ranges: only the lower duplicate run is reported.
  Seg(buf, 300, 310);
  Seg(buf, 320, 330);
  Seg(buf, 305, 325);
  EXPECT_EQ(buf.TakeDsack(), (SackRange{305, 310}));
  EXPECT_EQ(SackOf(buf), (Blocks{{300, 330}, {50, 250}}));
}

}  // namespace
}  // namespace taptcp::tcp
