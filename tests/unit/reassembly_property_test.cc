// Property test for tcp::ReceiveBuffer (stack/tcp/reassembly.h) against a byte map.
//
// The model keeps every received byte at or above the read offset in a std::map<offset, byte>
// (first copy wins), RCV.NXT as the first offset not in the map, and the buffer's bounds: bytes
// at or past read_offset + capacity are dropped, and an early segment that touches no held range
// while max_ranges ranges exist is dropped whole. Segments arrive in random order with random
// overlaps, duplicates (some with different content), stale retransmissions and window
// overruns; the application reads at random. After every step:
//   - the Insert counts (stored, duplicate, beyond_window, ofo_dropped, readable_added,
//     out_of_order) match the model, and the D-SACK block is the lowest contiguous run of
//     duplicate bytes in the segment (RFC 2883 §4; tcp_dsack_set/tcp_dsack_extend);
//   - next_expected, readable, free_space, ooo_bytes and the out-of-order ranges match, ranges
//     never exceed max_ranges and held bytes never exceed capacity;
//   - the SACK blocks are at most four, disjoint, not touching, each made of held early bytes,
//     and the first covers the segment just stored out of order (RFC 2018 §4);
//   - reads deliver exactly the model's bytes, so the delivered stream is the first-copy stream.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "stack/tcp/reassembly.h"

namespace taptcp::tcp {
namespace {

struct Config {
  size_t capacity;
  size_t max_ranges;
  uint64_t mss;
  uint64_t seed;
};
void PrintTo(const Config& c, std::ostream* os) {
  *os << "capacity " << c.capacity << ", max_ranges " << c.max_ranges << ", mss " << c.mss
      << ", seed " << c.seed;
}

class Model {
 public:
  Model(size_t capacity, size_t max_ranges, uint64_t base)
      : capacity_(capacity), max_ranges_(max_ranges), read_(base), rcv_nxt_(base) {}

  struct Expect {
    ReceiveBuffer::InsertResult result;
    std::optional<SackRange> dsack;
    std::optional<SackRange> ofo_stored;  // the in-buffer part of an accepted early segment
  };

  Expect Insert(uint64_t offset, const std::vector<uint8_t>& data) {
    Expect e;
    const uint64_t win_end = read_ + capacity_;
    const uint64_t end = offset + data.size();
    const uint64_t in_end = std::max(offset, std::min(end, win_end));
    e.result.beyond_window = static_cast<size_t>(end - in_end);
    if (offset >= in_end) return e;
    e.result.out_of_order = offset > rcv_nxt_;
    if (e.result.out_of_order) {
      bool touches = false;
      auto ranges = Ranges();
      for (const SackRange& r : ranges) touches |= r.start <= in_end && r.end >= offset;
      if (!touches && ranges.size() >= max_ranges_) {
        e.result.ofo_dropped = static_cast<size_t>(in_end - offset);
        return e;
      }
      e.ofo_stored = SackRange{offset, in_end};
    }
    bool run_open = false;
    for (uint64_t o = offset; o < in_end; ++o) {
      bool dup = o < rcv_nxt_ || held_.count(o) != 0;
      if (dup) {
        ++e.result.duplicate;
        if (!e.dsack.has_value()) {
          e.dsack = SackRange{o, o + 1};
          run_open = true;
        } else if (run_open) {
          e.dsack->end = o + 1;
        }
      } else {
        run_open = false;
        ++e.result.stored;
        held_[o] = data[static_cast<size_t>(o - offset)];
      }
    }
    uint64_t before = rcv_nxt_;
    while (held_.count(rcv_nxt_) != 0) ++rcv_nxt_;
    e.result.readable_added = static_cast<size_t>(rcv_nxt_ - before);
    return e;
  }

  std::vector<uint8_t> Read(size_t n) {
    std::vector<uint8_t> out;
    while (out.size() < n && read_ < rcv_nxt_) {
      auto it = held_.find(read_);
      out.push_back(it->second);
      held_.erase(it);
      ++read_;
    }
    return out;
  }

  // The early (above RCV.NXT) held bytes as maximal ranges.
  std::vector<SackRange> Ranges() const {
    std::vector<SackRange> out;
    for (auto it = held_.upper_bound(rcv_nxt_); it != held_.end(); ++it) {
      if (!out.empty() && out.back().end == it->first) {
        ++out.back().end;
      } else {
        out.push_back({it->first, it->first + 1});
      }
    }
    return out;
  }
  bool Holds(uint64_t o) const { return held_.count(o) != 0; }

  uint64_t rcv_nxt() const { return rcv_nxt_; }
  uint64_t read() const { return read_; }
  size_t held() const { return held_.size(); }

 private:
  size_t capacity_;
  size_t max_ranges_;
  uint64_t read_;
  uint64_t rcv_nxt_;
  std::map<uint64_t, uint8_t> held_;
};

uint8_t Canonical(uint64_t o) { return static_cast<uint8_t>((o * 131) ^ (o >> 7)); }

class ReceiveBufferModelTest : public ::testing::TestWithParam<Config> {};

TEST_P(ReceiveBufferModelTest, MatchesByteMap) {
  const Config cfg = GetParam();
  std::mt19937_64 rng(cfg.seed);
  auto uniform = [&](uint64_t lo, uint64_t hi) {
    return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
  };
  const uint64_t base = uniform(0, 3) == 0 ? (uint64_t{1} << 35) + uniform(0, 1000) : 0;
  ReceiveBuffer buf(cfg.capacity, base, cfg.max_ranges);
  Model model(cfg.capacity, cfg.max_ranges, base);
  std::vector<uint8_t> data, out;
  size_t segments = 0, dropped = 0, ofo = 0, dups = 0;

  for (int step = 0; step < 30000; ++step) {
    SCOPED_TRACE(::testing::Message() << "step " << step);
    std::optional<SackRange> ofo_stored;
    if (uniform(0, 3) == 0) {  // the application reads
      size_t n = static_cast<size_t>(uniform(0, cfg.capacity));
      out.assign(n, 0);
      size_t got = buf.Read(out);
      auto want = model.Read(n);
      ASSERT_EQ(got, want.size());
      out.resize(got);
      ASSERT_EQ(out, want);
    } else {  // a segment arrives
      const uint64_t nxt = model.rcv_nxt();
      uint64_t offset;
      uint64_t len;
      switch (uniform(0, 9)) {
        case 0:  // stale retransmission, possibly below the read offset
          offset = nxt - std::min<uint64_t>(nxt - base, uniform(0, 4 * cfg.mss));
          len = uniform(1, 2 * cfg.mss);
          break;
        case 1: {  // resend exactly an early range (a duplicate), or a piece of one
          auto ranges = model.Ranges();
          if (ranges.empty()) {
            offset = nxt;
            len = uniform(1, cfg.mss);
          } else {
            const SackRange& r = ranges[uniform(0, ranges.size() - 1)];
            offset = uniform(r.start, r.end - 1);
            len = uniform(1, r.end - offset);
          }
          break;
        }
        case 2:  // far past the window
          offset = model.read() + cfg.capacity + uniform(0, 3 * cfg.mss);
          len = uniform(1, cfg.mss);
          break;
        case 3:  // oversized
          offset = nxt + uniform(0, cfg.mss);
          len = uniform(cfg.capacity / 2, 2 * cfg.capacity + 1);
          break;
        default:  // near RCV.NXT, anywhere in the window
          offset = nxt - std::min<uint64_t>(nxt - base, uniform(0, cfg.mss / 2));
          offset += uniform(0, cfg.capacity);
          len = uniform(0, 3) == 0 ? uniform(1, 8) : uniform(1, 2 * cfg.mss);
          break;
      }
      const bool odd_content = uniform(0, 9) == 0;  // a copy with different bytes
      data.resize(static_cast<size_t>(len));
      for (uint64_t i = 0; i < len; ++i) {
        data[i] = static_cast<uint8_t>(Canonical(offset + i) ^ (odd_content ? 0x5A : 0));
      }

      Model::Expect want = model.Insert(offset, data);
      ReceiveBuffer::InsertResult got = buf.Insert(offset, data);
      ++segments;
      dropped += got.ofo_dropped != 0;
      ofo += got.out_of_order;
      dups += got.all_duplicate();
      ASSERT_EQ(got.stored, want.result.stored) << offset << "+" << len;
      ASSERT_EQ(got.duplicate, want.result.duplicate) << offset << "+" << len;
      ASSERT_EQ(got.beyond_window, want.result.beyond_window) << offset << "+" << len;
      ASSERT_EQ(got.ofo_dropped, want.result.ofo_dropped) << offset << "+" << len;
      ASSERT_EQ(got.readable_added, want.result.readable_added) << offset << "+" << len;
      ASSERT_EQ(got.out_of_order, want.result.out_of_order) << offset << "+" << len;
      ASSERT_EQ(got.stored + got.duplicate + got.beyond_window + got.ofo_dropped, len);
      ASSERT_EQ(buf.pending_dsack(), want.dsack) << offset << "+" << len;
      if (uniform(0, 1) == 0) buf.TakeDsack();  // the TCB sends an ACK now and then

      ofo_stored = want.ofo_stored;
    }
    ASSERT_EQ(buf.next_expected(), model.rcv_nxt());
    ASSERT_EQ(buf.read_offset(), model.read());
    ASSERT_EQ(buf.readable(), model.rcv_nxt() - model.read());
    ASSERT_EQ(buf.free_space(), cfg.capacity - buf.readable());
    auto ranges = model.Ranges();
    ASSERT_EQ(std::vector<SackRange>(buf.ooo_ranges().begin(), buf.ooo_ranges().end()), ranges);
    ASSERT_LE(ranges.size(), cfg.max_ranges);
    ASSERT_EQ(buf.ooo_bytes() + buf.readable(), model.held());
    ASSERT_LE(model.held(), cfg.capacity);

    // SACK blocks: each inside one held early range (so made of received bytes above RCV.NXT),
    // pairwise disjoint and not touching, and the first covers the early segment just stored.
    auto blocks = buf.sack_blocks();
    ASSERT_LE(blocks.size(), ReceiveBuffer::kMaxSackBlocks);
    if (ranges.empty()) {
      ASSERT_TRUE(blocks.empty());
    }
    if (ofo_stored.has_value()) {
      ASSERT_FALSE(blocks.empty());
      ASSERT_LE(blocks[0].start, ofo_stored->start);
      ASSERT_GE(blocks[0].end, ofo_stored->end);
    }
    for (size_t i = 0; i < blocks.size(); ++i) {
      ASSERT_LT(blocks[i].start, blocks[i].end);
      bool inside = false;
      for (const SackRange& r : ranges)
        inside |= r.start <= blocks[i].start && blocks[i].end <= r.end;
      ASSERT_TRUE(inside) << "block " << i << " covers bytes not held";
      for (size_t j = i + 1; j < blocks.size(); ++j) {
        ASSERT_TRUE(blocks[i].end < blocks[j].start || blocks[j].end < blocks[i].start)
            << "blocks " << i << " and " << j << " overlap or touch";
      }
    }
  }
  // Every configuration exercises the interesting paths.
  EXPECT_GT(ofo, segments / 10);
  EXPECT_GT(dups, 0u);
  if (cfg.max_ranges <= 8) {
    EXPECT_GT(dropped, 0u);
  }
  RecordProperty("segments", std::to_string(segments));
}

// 10 configurations x 30k steps, three quarters of them segments: about 225k segments.
INSTANTIATE_TEST_SUITE_P(Configs, ReceiveBufferModelTest,
                         ::testing::Values(Config{64, 4, 16, 1}, Config{64, 1, 16, 2},
                                           Config{300, 2, 50, 3}, Config{1000, 8, 100, 4},
                                           Config{1000, 64, 100, 5}, Config{4096, 64, 300, 6},
                                           Config{4096, 3, 536, 7}, Config{2048, 32, 1460, 8},
                                           Config{257, 5, 40, 9}, Config{4096, 16, 200, 10}),
                         [](const ::testing::TestParamInfo<Config>& info) {
                           return "cap" + std::to_string(info.param.capacity) + "_ranges" +
                                  std::to_string(info.param.max_ranges) + "_mss" +
                                  std::to_string(info.param.mss);
                         });

}  // namespace
}  // namespace taptcp::tcp
