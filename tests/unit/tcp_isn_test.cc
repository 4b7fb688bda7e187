// Initial sequence numbers (RFC 6528, Linux secure_tcp_seq) and timestamp offsets
// (secure_tcp_ts_off, and the 2026 per-connection variant): determinism from the seed, the
// 64 ns clock, separation between tuples, peers and seeds, and the exact bytes hashed.
#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <vector>

#include "stack/tcp/isn.h"
#include "stack/tcp/seq.h"

namespace taptcp::tcp {
namespace {

using wire::Ipv4Address;

constexpr Ipv4Address kLocal = Ipv4Address::FromOctets(192, 0, 2, 2);
constexpr Ipv4Address kRemote = Ipv4Address::FromOctets(192, 0, 2, 1);

FourTuple Tuple(uint16_t local_port = 40000, uint16_t remote_port = 80, Ipv4Address local = kLocal,
                Ipv4Address remote = kRemote) {
  return FourTuple{local, local_port, remote, remote_port};
}

constexpr Instant At(Duration d) { return kEpoch + d; }

TEST(IsnTest, SameTupleAndTimeGiveSameIsn) {
  const IsnGenerator a(1);
  const IsnGenerator b(1);  // a replayed simulation
  const Instant now = At(milliseconds(1234));
  EXPECT_EQ(a.Isn(Tuple(), now), a.Isn(Tuple(), now));
  EXPECT_EQ(a.Isn(Tuple(), now), b.Isn(Tuple(), now));
  EXPECT_EQ(a.TimestampOffset(Tuple()), b.TimestampOffset(Tuple()));
}

TEST(IsnTest, EveryTupleFieldMatters) {
  const IsnGenerator gen(1);
  const Instant now = At(seconds(5));
  const uint32_t base = gen.Isn(Tuple(), now);
  EXPECT_NE(gen.Isn(Tuple(40001), now), base);
  EXPECT_NE(gen.Isn(Tuple(40000, 81), now), base);
  EXPECT_NE(gen.Isn(Tuple(40000, 80, Ipv4Address::FromOctets(192, 0, 2, 3)), now), base);
  EXPECT_NE(gen.Isn(Tuple(40000, 80, kLocal, Ipv4Address::FromOctets(192, 0, 2, 9)), now), base);
  // The peer's view of the same connection (addresses and ports swapped) is a different input.
  EXPECT_NE(gen.Isn(Tuple(80, 40000, kRemote, kLocal), now), base);
}

TEST(IsnTest, ManyTuplesGiveDistinctIsns) {
  const IsnGenerator gen(7);
  std::set<uint32_t> seen;
  for (uint16_t port = 32768; port < 32768 + 2000; ++port)
    seen.insert(gen.Isn(Tuple(port), kEpoch));
  // 2000 draws from 2^32: a collision would have probability ~5e-4; with a fixed seed the result
  // is deterministic.
  EXPECT_EQ(seen.size(), 2000u);
}

TEST(IsnTest, DifferentSeedsDiffer) {
  const IsnGenerator a(1);
  const IsnGenerator b(2);
  int differ = 0;
  for (uint16_t port = 1000; port < 1100; ++port) {
    differ += a.Isn(Tuple(port), kEpoch) != b.Isn(Tuple(port), kEpoch);
  }
  EXPECT_EQ(differ, 100);
  EXPECT_NE(a.TimestampOffset(Tuple()), b.TimestampOffset(Tuple()));
}

TEST(IsnTest, ClockTicksEvery64Nanoseconds) {
  EXPECT_EQ(IsnGenerator::ClockTicks(kEpoch), 0u);
  EXPECT_EQ(IsnGenerator::ClockTicks(At(nanoseconds(63))), 0u);
  EXPECT_EQ(IsnGenerator::ClockTicks(At(nanoseconds(64))), 1u);
  EXPECT_EQ(IsnGenerator::ClockTicks(At(seconds(1))), 15625000u);  // 10^9 / 64
  // The 32-bit clock wraps after 2^32 * 64 ns = 274.877906944 s (seq_scale's "period of 274 s").
  EXPECT_EQ(IsnGenerator::ClockTicks(At(nanoseconds(int64_t{1} << 38))), 0u);
  EXPECT_EQ(IsnGenerator::ClockTicks(At(nanoseconds((int64_t{1} << 38) - 64))), 0xFFFFFFFFu);
}

TEST(IsnTest, IsnAdvancesOnePer64Nanoseconds) {
  const IsnGenerator gen(3);
  const FourTuple t = Tuple();
  const Instant t0 = At(seconds(100));  // a multiple of 64 ns
  const uint32_t isn0 = gen.Isn(t, t0);
  EXPECT_EQ(gen.Isn(t, t0 + nanoseconds(63)), isn0);
  EXPECT_EQ(gen.Isn(t, t0 + nanoseconds(64)) - isn0, 1u);
  EXPECT_EQ(gen.Isn(t, t0 + microseconds(64)) - isn0, 1000u);
  EXPECT_EQ(gen.Isn(t, t0 + seconds(2)) - isn0, 31250000u);
  // The hash part is constant: ISN - clock is the same at any time.
  for (int64_t ns : {0L, 1L, 999L, 123456789L, 3000000000L}) {
    const Instant now = At(nanoseconds(ns));
    EXPECT_EQ(gen.Isn(t, now) - IsnGenerator::ClockTicks(now), gen.Isn(t, kEpoch)) << ns;
  }
}

TEST(IsnTest, ReopenedConnectionStartsLater) {
  // RFC 9293 §3.4.1 / RFC 6528: for one 4-tuple, a later incarnation gets a later ISN (in sequence
  // space) for any gap up to half the clock's 274 s period.
  const IsnGenerator gen(5);
  const FourTuple t = Tuple();
  const Instant first = At(seconds(42));
  const Seq isn1(gen.Isn(t, first));
  for (Duration gap : {Duration(nanoseconds(64)), Duration(microseconds(1)), Duration(seconds(1)),
                       Duration(seconds(60)), Duration(seconds(137))}) {
    const Seq isn2(gen.Isn(t, first + gap));
    EXPECT_TRUE(isn2 > isn1) << gap.count();
    EXPECT_EQ(static_cast<uint64_t>(isn2 - isn1), static_cast<uint64_t>(gap.count()) / 64);
  }
  // A full clock period later the ISN comes round again.
  EXPECT_EQ(Seq(gen.Isn(t, first + nanoseconds(int64_t{1} << 38))), isn1);
}

// The bytes Linux hashes for secure_tcp_seq() on x86-64: saddr and daddr as they sit in the IP
// header, then the u32 word (sport << 16 | dport) of big-endian port fields, which in memory is
// dport's two wire bytes followed by sport's.
std::vector<uint8_t> LinuxSeqBytes(const FourTuple& t) {
  const auto be32 = [](std::vector<uint8_t>& v, uint32_t x) {
    for (int s = 24; s >= 0; s -= 8) v.push_back(static_cast<uint8_t>(x >> s));
  };
  std::vector<uint8_t> v;
  be32(v, t.local_ip.value);
  be32(v, t.remote_ip.value);
  v.push_back(static_cast<uint8_t>(t.remote_port >> 8));
  v.push_back(static_cast<uint8_t>(t.remote_port));
  v.push_back(static_cast<uint8_t>(t.local_port >> 8));
  v.push_back(static_cast<uint8_t>(t.local_port));
  return v;
}

TEST(IsnTest, HashesTheBytesLinuxHashes) {
  const crypto::SipKey net_secret{0x0123456789abcdefull, 0xfedcba9876543210ull};
  const crypto::SipKey ts_secret{0x1111111111111111ull, 0x2222222222222222ull};
  const IsnGenerator gen(net_secret, ts_secret);
  const FourTuple t = Tuple(40000, 443);
  const Instant now = At(milliseconds(777));
  const uint64_t h = crypto::SipHash(net_secret, LinuxSeqBytes(t));
  EXPECT_EQ(gen.Isn(t, now), static_cast<uint32_t>(h) + IsnGenerator::ClockTicks(now));

  // secure_tcp_ts_off(): siphash_2u32(saddr, daddr) under ts_secret, truncated.
  std::vector<uint8_t> addrs = LinuxSeqBytes(t);
  addrs.resize(8);
  EXPECT_EQ(gen.TimestampOffset(t), static_cast<uint32_t>(crypto::SipHash(ts_secret, addrs)));

  // The seed constructor uses the same layout under keys derived from the seed.
  const IsnGenerator seeded(99);
  const IsnGenerator explicit_keys(crypto::DeriveSipKey(99, "net_secret"),
                                   crypto::DeriveSipKey(99, "ts_secret"));
  EXPECT_EQ(seeded.Isn(t, now), explicit_keys.Isn(t, now));
  EXPECT_EQ(seeded.TimestampOffset(t), explicit_keys.TimestampOffset(t));
}

TEST(TimestampOffsetTest, PerHostPairByDefault) {
  const IsnGenerator gen(8);
  EXPECT_EQ(gen.scope(), IsnGenerator::TsOffsetScope::kHostPair);
  const uint32_t off = gen.TimestampOffset(Tuple());
  // Any ports between the same two addresses share the offset (Linux 4.11 .. 6.x).
  EXPECT_EQ(gen.TimestampOffset(Tuple(50000, 22)), off);
  EXPECT_EQ(gen.TimestampOffset(Tuple(1, 65535)), off);
  // Another peer, another local address, or the reverse direction gets another one.
  EXPECT_NE(gen.TimestampOffset(Tuple(40000, 80, kLocal, Ipv4Address::FromOctets(198, 51, 100, 7))),
            off);
  EXPECT_NE(gen.TimestampOffset(Tuple(40000, 80, Ipv4Address::FromOctets(192, 0, 2, 77))), off);
  EXPECT_NE(gen.TimestampOffset(Tuple(80, 40000, kRemote, kLocal)), off);
}

TEST(TimestampOffsetTest, PerConnectionScopeUsesTheIsnHashHighHalf) {
  const crypto::SipKey net_secret{0xa5a5a5a5a5a5a5a5ull, 0x5a5a5a5a5a5a5a5aull};
  const IsnGenerator gen(net_secret, crypto::SipKey{}, IsnGenerator::TsOffsetScope::kConnection);
  const FourTuple t = Tuple();
  const uint64_t h = crypto::SipHash(net_secret, LinuxSeqBytes(t));
  // secure_tcp_seq_and_ts_off(): one hash, seq from the low half, ts_off from the high half.
  EXPECT_EQ(gen.Isn(t, kEpoch), static_cast<uint32_t>(h));
  EXPECT_EQ(gen.TimestampOffset(t), static_cast<uint32_t>(h >> 32));
  // Now the ports matter.
  EXPECT_NE(gen.TimestampOffset(Tuple(40001)), gen.TimestampOffset(t));
  EXPECT_NE(gen.TimestampOffset(Tuple(40000, 81)), gen.TimestampOffset(t));
}

TEST(TimestampOffsetTest, ScopeDoesNotChangeTheIsn) {
  const IsnGenerator host_pair(21, IsnGenerator::TsOffsetScope::kHostPair);
  const IsnGenerator per_conn(21, IsnGenerator::TsOffsetScope::kConnection);
  const Instant now = At(seconds(3));
  EXPECT_EQ(host_pair.Isn(Tuple(), now), per_conn.Isn(Tuple(), now));
  EXPECT_NE(host_pair.TimestampOffset(Tuple()), per_conn.TimestampOffset(Tuple()));
}

}  // namespace
}  // namespace taptcp::tcp
