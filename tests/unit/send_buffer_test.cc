// tcp::SendBuffer (stack/tcp/send_buffer.h): unit tests, ring wrap-around, full/empty edges, and
// a property test against std::deque<uint8_t>.
#include "stack/tcp/send_buffer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <deque>
#include <random>
#include <vector>

namespace taptcp::tcp {
namespace {

std::vector<uint8_t> Bytes(size_t n, uint8_t first = 0) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(first + i);
  return v;
}

std::vector<uint8_t> Flatten(const ByteSpans& s) {
  std::vector<uint8_t> v(s.first.begin(), s.first.end());
  v.insert(v.end(), s.second.begin(), s.second.end());
  return v;
}

TEST(SendBufferTest, StartsEmpty) {
  SendBuffer buf(100);
  EXPECT_EQ(buf.begin_offset(), 0u);
  EXPECT_EQ(buf.end_offset(), 0u);
  EXPECT_EQ(buf.size(), 0u);
  EXPECT_EQ(buf.capacity(), 100u);
  EXPECT_EQ(buf.free_space(), 100u);
  EXPECT_TRUE(buf.Peek(0, 10).empty());
  EXPECT_EQ(buf.AckTo(0), 0u);
}

TEST(SendBufferTest, AppendPeekAck) {
  SendBuffer buf(100);
  auto data = Bytes(30);
  EXPECT_EQ(buf.Append(data), 30u);
  EXPECT_EQ(buf.end_offset(), 30u);
  EXPECT_EQ(buf.free_space(), 70u);
  EXPECT_EQ(Flatten(buf.Peek(0, 30)), data);
  EXPECT_EQ(Flatten(buf.Peek(10, 5)), std::vector<uint8_t>(data.begin() + 10, data.begin() + 15));
  EXPECT_EQ(buf.AckTo(12), 12u);
  EXPECT_EQ(buf.begin_offset(), 12u);
  EXPECT_EQ(buf.size(), 18u);
  EXPECT_EQ(buf.free_space(), 82u);
  EXPECT_EQ(Flatten(buf.Peek(12, 100)), std::vector<uint8_t>(data.begin() + 12, data.end()));
}

TEST(SendBufferTest, PartialAppendWhenNearlyFull) {
  SendBuffer buf(10);
  EXPECT_EQ(buf.Append(Bytes(7)), 7u);
  EXPECT_EQ(buf.Append(Bytes(7, 7)), 3u);  // like send() on a non-blocking socket
  EXPECT_EQ(buf.free_space(), 0u);
  EXPECT_EQ(buf.Append(Bytes(1)), 0u);  // full: EAGAIN
  EXPECT_EQ(Flatten(buf.Peek(0, 10)), Bytes(10));
}

TEST(SendBufferTest, PeekOutsideQueueIsEmpty) {
  SendBuffer buf(10, /*initial_offset=*/1000);
  buf.Append(Bytes(5));
  EXPECT_TRUE(buf.Peek(999, 5).empty());   // below begin: acknowledged and gone
  EXPECT_TRUE(buf.Peek(1005, 5).empty());  // at end: nothing queued there
  EXPECT_TRUE(buf.Peek(5000, 5).empty());
  EXPECT_EQ(buf.Peek(1003, 100).size(), 2u);  // clipped to end_offset()
  EXPECT_TRUE(buf.Peek(1000, 0).empty());
}

TEST(SendBufferTest, AckToOldAndBeyondEnd) {
  SendBuffer buf(10, 50);
  buf.Append(Bytes(8));
  EXPECT_EQ(buf.AckTo(40), 0u);  // old ACK
  EXPECT_EQ(buf.AckTo(50), 0u);  // duplicate ACK
  EXPECT_EQ(buf.AckTo(53), 3u);
  EXPECT_EQ(buf.AckTo(52), 0u);    // reordered older ACK
  EXPECT_EQ(buf.AckTo(1000), 5u);  // clamped to end_offset()
  EXPECT_EQ(buf.begin_offset(), 58u);
  EXPECT_EQ(buf.size(), 0u);
  EXPECT_EQ(buf.free_space(), 10u);
}

TEST(SendBufferTest, WrapAroundGivesTwoSpans) {
  SendBuffer buf(10);
  buf.Append(Bytes(8));
  buf.AckTo(6);
  // Ring holds offsets 6..7 at indexes 6..7; the next 7 bytes land at 8, 9, 0..4.
  auto more = Bytes(7, 8);
  EXPECT_EQ(buf.Append(more), 7u);
  ByteSpans s = buf.Peek(6, 9);
  EXPECT_EQ(s.first.size(), 4u);  // offsets 6..9
  EXPECT_EQ(s.second.size(), 5u);
  EXPECT_EQ(Flatten(s), Bytes(9, 6));
  // A peek wholly after the wrap point is one span.
  ByteSpans t = buf.Peek(11, 3);
  EXPECT_EQ(t.first.size(), 3u);
  EXPECT_TRUE(t.second.empty());
  EXPECT_EQ(Flatten(t), Bytes(3, 11));
  // CopyOut does the two memcpy.
  std::vector<uint8_t> out(9);
  EXPECT_EQ(buf.CopyOut(6, out), 9u);
  EXPECT_EQ(out, Bytes(9, 6));
  std::vector<uint8_t> small(3);
  EXPECT_EQ(buf.CopyOut(8, small), 3u);
  EXPECT_EQ(small, Bytes(3, 8));
}

TEST(SendBufferTest, FillDrainRefillManyTimes) {
  SendBuffer buf(7);
  uint64_t next = 0;
  for (int round = 0; round < 50; ++round) {
    auto data = Bytes(7, static_cast<uint8_t>(next));
    ASSERT_EQ(buf.Append(data), 7u);
    ASSERT_EQ(buf.free_space(), 0u);
    ASSERT_EQ(Flatten(buf.Peek(next, 7)), data);
    ASSERT_EQ(buf.AckTo(next + 7), 7u);
    next += 7;
    // Drain leaves the buffer empty at a different ring position each round (7 and 3 coprime).
    ASSERT_EQ(buf.Append(Bytes(3, static_cast<uint8_t>(next))), 3u);
    ASSERT_EQ(buf.AckTo(next + 3), 3u);
    next += 3;
    ASSERT_EQ(buf.size(), 0u);
  }
}

TEST(SendBufferTest, ZeroCapacity) {
  SendBuffer buf(0);
  EXPECT_EQ(buf.Append(Bytes(3)), 0u);
  EXPECT_TRUE(buf.Peek(0, 3).empty());
  EXPECT_EQ(buf.AckTo(5), 0u);
  EXPECT_EQ(buf.set_capacity(4), 4u);
  EXPECT_EQ(buf.Append(Bytes(3)), 3u);
  EXPECT_EQ(Flatten(buf.Peek(0, 3)), Bytes(3));
}

TEST(SendBufferTest, GrowKeepsWrappedData) {
  SendBuffer buf(10);
  buf.Append(Bytes(10));
  buf.AckTo(7);
  buf.Append(Bytes(6, 10));  // wraps: offsets 7..15
  EXPECT_EQ(buf.set_capacity(32), 32u);
  EXPECT_EQ(buf.capacity(), 32u);
  EXPECT_EQ(buf.free_space(), 32u - 9u);
  EXPECT_EQ(Flatten(buf.Peek(7, 9)), Bytes(9, 7));
  EXPECT_EQ(buf.Append(Bytes(20, 16)), 20u);
  EXPECT_EQ(Flatten(buf.Peek(7, 29)), Bytes(29, 7));
}

TEST(SendBufferTest, ShrinkIsClampedToQueuedData) {
  SendBuffer buf(20);
  buf.Append(Bytes(12));
  buf.AckTo(4);
  EXPECT_EQ(buf.set_capacity(3), 8u);  // 8 bytes queued: never dropped
  EXPECT_EQ(buf.capacity(), 8u);
  EXPECT_EQ(buf.free_space(), 0u);
  EXPECT_EQ(Flatten(buf.Peek(4, 8)), Bytes(8, 4));
  buf.AckTo(10);
  EXPECT_EQ(buf.set_capacity(3), 3u);
  EXPECT_EQ(Flatten(buf.Peek(10, 2)), Bytes(2, 10));
  EXPECT_EQ(buf.free_space(), 1u);
}

TEST(SendBufferTest, LargeOffsetsNoWrapLogic) {
  // Offsets are 64-bit: a stream past 4 GiB needs nothing special.
  const uint64_t start = (uint64_t{1} << 33) + 5;
  SendBuffer buf(16, start);
  buf.Append(Bytes(16));
  EXPECT_EQ(buf.end_offset(), start + 16);
  EXPECT_EQ(Flatten(buf.Peek(start + 10, 6)), Bytes(6, 10));
}

// Property test: random appends (partial when full), peeks at random offsets and lengths, ACKs
// (old, partial, full, beyond the end) and capacity changes, checked against a deque holding the
// queued bytes after every operation.
class SendBufferModelTest : public ::testing::TestWithParam<uint64_t> {};

TEST_P(SendBufferModelTest, MatchesDeque) {
  std::mt19937_64 rng(GetParam());
  auto uniform = [&](uint64_t lo, uint64_t hi) {
    return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
  };
  const size_t capacities[] = {1, 2, 7, 64, 100, 1460, 4096};
  size_t capacity = capacities[uniform(0, std::size(capacities) - 1)];
  const uint64_t base = uniform(0, 1) != 0 ? uniform(0, uint64_t{1} << 40) : 0;
  SendBuffer buf(capacity, base);
  std::deque<uint8_t> model;
  uint64_t model_begin = base;
  uint8_t next_byte = 0;
  std::vector<uint8_t> scratch;

  for (int op = 0; op < 70000; ++op) {
    switch (uniform(0, 9)) {
      case 0:
      case 1:
      case 2: {  // append
        size_t n = static_cast<size_t>(uniform(0, capacity + capacity / 2 + 1));
        scratch.resize(n);
        for (auto& b : scratch) b = next_byte++;
        size_t took = buf.Append(scratch);
        size_t expect = std::min(n, capacity - model.size());
        ASSERT_EQ(took, expect) << "op " << op;
        model.insert(model.end(), scratch.begin(), scratch.begin() + took);
        next_byte = static_cast<uint8_t>(next_byte - (n - took));  // unsent bytes are resent
        break;
      }
      case 3:
      case 4:
      case 5: {  // peek, sometimes outside the queue
        uint64_t lo = model_begin > 3 ? model_begin - 3 : 0;
        uint64_t off = uniform(lo, model_begin + model.size() + 3);
        size_t len = static_cast<size_t>(uniform(0, capacity + 2));
        ByteSpans s = buf.Peek(off, len);
        if (off < model_begin || off >= model_begin + model.size()) {
          ASSERT_TRUE(s.empty()) << "op " << op;
          break;
        }
        size_t avail = static_cast<size_t>(model_begin + model.size() - off);
        ASSERT_EQ(s.size(), std::min(len, avail));
        auto got = Flatten(s);
        for (size_t i = 0; i < got.size(); ++i) {
          ASSERT_EQ(got[i], model[static_cast<size_t>(off - model_begin) + i]) << "op " << op;
        }
        break;
      }
      case 6:
      case 7:
      case 8: {  // ack
        uint64_t lo = model_begin > 5 ? model_begin - 5 : 0;
        uint64_t to = uniform(lo, model_begin + model.size() + 5);
        size_t freed = buf.AckTo(to);
        size_t expect =
            to <= model_begin
                ? 0
                : static_cast<size_t>(std::min<uint64_t>(to - model_begin, model.size()));
        ASSERT_EQ(freed, expect) << "op " << op;
        model.erase(model.begin(), model.begin() + static_cast<ptrdiff_t>(expect));
        model_begin += expect;
        break;
      }
      case 9: {  // capacity change, rarely
        if (uniform(0, 20) != 0) break;
        size_t want = capacities[uniform(0, std::size(capacities) - 1)];
        capacity = std::max(want, model.size());
        ASSERT_EQ(buf.set_capacity(want), capacity);
        break;
      }
    }
    ASSERT_EQ(buf.begin_offset(), model_begin);
    ASSERT_EQ(buf.size(), model.size());
    ASSERT_EQ(buf.end_offset(), model_begin + model.size());
    ASSERT_EQ(buf.capacity(), capacity);
    ASSERT_EQ(buf.free_space(), capacity - model.size());
  }
  // Finally the whole queue reads back intact.
  auto all = Flatten(buf.Peek(model_begin, model.size()));
  ASSERT_EQ(all, std::vector<uint8_t>(model.begin(), model.end()));
}

// 4 seeds x 70k operations = 280k.
INSTANTIATE_TEST_SUITE_P(Seeds, SendBufferModelTest, ::testing::Values(1, 2, 3, 20240601));

}  // namespace
}  // namespace taptcp::tcp
