// The per-packet paths of the data-path buffers allocate nothing (DESIGN.md: no per-packet heap
// allocation on the hot path). Global operator new is replaced in this test binary to count
// allocations; each test counts only across the loop under test.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

#include "stack/tcp/reassembly.h"
#include "stack/tcp/sack_scoreboard.h"
#include "stack/tcp/send_buffer.h"

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

// The replacements below pair malloc with free by construction. GCC 12 (with the sanitizers'
// inlining) still flags free() in a replaced operator delete as mismatched with operator new
// (-Wmismatched-new-delete), a known false positive for replacement functions.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size != 0 ? size : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) { return ::operator new(size); }
// Every form of delete funnels into the one that frees, so each pairs with the new above.
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { ::operator delete(p); }
void operator delete(void* p, std::size_t) noexcept { ::operator delete(p); }
void operator delete[](void* p, std::size_t) noexcept { ::operator delete(p); }

namespace taptcp::tcp {
namespace {

class AllocationCounter {
 public:
  AllocationCounter() : start_(g_allocations.load()) {}
  long count() const { return g_allocations.load() - start_; }

 private:
  long start_;
};

TEST(TcpBufsAllocTest, SendBufferHotPathAllocatesNothing) {
  SendBuffer buf(10000);
  std::vector<uint8_t> chunk(1448, 0x42), seg(1448);
  AllocationCounter counter;
  uint64_t nxt = 0;
  for (int i = 0; i < 10000; ++i) {
    buf.Append(chunk);
    while (nxt < buf.end_offset()) nxt += buf.CopyOut(nxt, seg);
    buf.AckTo(buf.begin_offset() + 1000 + static_cast<uint64_t>(i % 900));
  }
  EXPECT_EQ(counter.count(), 0);
}

TEST(TcpBufsAllocTest, ReceiveBufferAllocatesOnceOnFirstOutOfOrderSegment) {
  ReceiveBuffer buf(65536);
  std::vector<uint8_t> seg(1448, 0x42), out(4096);
  SackRange blocks[4];
  AllocationCounter counter;
  uint64_t base = 0;
  for (int i = 0; i < 5000; ++i) {
    // A reordered burst of 8 segments with one duplicate: early ranges, merges, D-SACK.
    for (uint64_t k : {1, 3, 2, 5, 4, 7, 6, 0, 3}) buf.Insert(base + k * 1448, seg);
    buf.SackBlocks(blocks, 4);
    buf.TakeDsack();
    base += 8 * 1448;
    while (buf.Read(out) != 0) {
    }
  }
  EXPECT_EQ(buf.next_expected(), base);
  // The range array is reserved on the first out-of-order segment, once for the connection's
  // life (an idle connection does not pay for it); nothing is allocated per segment.
  EXPECT_EQ(counter.count(), 1);
}

TEST(TcpBufsAllocTest, ScoreboardAllocatesOnceOnFirstSack) {
  SackScoreboard sb;
  AllocationCounter counter;
  uint64_t una = 0;
  for (int i = 0; i < 5000; ++i) {
    uint64_t nxt = una + 20 * 1000;
    for (uint64_t k = 1; k < 20; k += 2) {
      SackRange b[2] = {{una + k * 1000, una + (k + 1) * 1000}, {una + 1, una + 2}};
      sb.Update(una, una, nxt, b);
    }
    sb.Pipe(una, nxt, una + 1000, 1000);
    sb.NextSeg({una, nxt, una, nxt, nxt + 1000, 1000, {}});
    sb.IsLost(una, 1000);
    una = nxt;
  }
  EXPECT_EQ(counter.count(), 1);  // the range array, reserved on the first SACK block
}

}  // namespace
}  // namespace taptcp::tcp
