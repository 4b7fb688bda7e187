// Ephemeral port selection (RFC 6056 Algorithm 4 as Linux 6.x __inet_hash_connect does it): range
// and usability of every answer, exhaustion after each candidate is probed once, the even-then-odd
// scan, the perturbation table's advance, the 10 s re-salting, IP_LOCAL_PORT_RANGE, and the small
// and odd-sized ranges where Linux's arithmetic shows through.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <set>
#include <vector>

#include "stack/tcp/port_alloc.h"

namespace taptcp::tcp {
namespace {

using wire::Ipv4Address;

constexpr Ipv4Address kLocal = Ipv4Address::FromOctets(192, 0, 2, 2);
constexpr Ipv4Address kRemote = Ipv4Address::FromOctets(192, 0, 2, 1);
constexpr std::array<int, 2> kDefaultRange = {32768, 60999};
constexpr Instant kNow = kEpoch + seconds(1);

// Records every probe and answers from a set of busy ports.
struct Prober {
  std::set<uint16_t> busy;
  bool refuse_all = false;
  std::vector<uint16_t> calls;

  bool operator()(uint16_t port) {
    calls.push_back(port);
    return !refuse_all && !busy.contains(port);
  }
};

Prober RefuseAll() {
  Prober p;
  p.refuse_all = true;
  return p;
}

std::optional<uint16_t> Pick(PortAllocator& alloc, Prober& prober,
                             std::array<int, 2> range = kDefaultRange, uint16_t remote_port = 80,
                             Ipv4Address remote = kRemote, Instant now = kNow) {
  return alloc.PickPort(kLocal, remote, remote_port, range, now,
                        [&](uint16_t port) { return prober(port); });
}

TEST(PortAllocTest, ReturnedPortsAreInRangeAndUsable) {
  PortAllocator alloc(1);
  Prober prober;
  // Every other port already taken in a patchy way, and each answer is then taken too.
  for (int p = kDefaultRange[0]; p <= kDefaultRange[1]; ++p) {
    if (p % 3 == 0 || p % 7 == 0) prober.busy.insert(static_cast<uint16_t>(p));
  }
  for (int i = 0; i < 2000; ++i) {
    prober.calls.clear();
    const uint16_t remote_port = static_cast<uint16_t>(1 + i % 5);
    const auto port = Pick(alloc, prober, kDefaultRange, remote_port);
    ASSERT_TRUE(port.has_value());
    EXPECT_GE(*port, kDefaultRange[0]);
    EXPECT_LE(*port, kDefaultRange[1]);
    // The answer is the last port probed, and the predicate accepted it.
    ASSERT_FALSE(prober.calls.empty());
    EXPECT_EQ(prober.calls.back(), *port);
    EXPECT_FALSE(prober.busy.contains(*port));
    prober.busy.insert(*port);
  }
}

TEST(PortAllocTest, ExhaustionProbesEveryPortExactlyOnce) {
  PortAllocator alloc(2);
  Prober prober = RefuseAll();
  EXPECT_EQ(Pick(alloc, prober), std::nullopt);  // EADDRNOTAVAIL
  // 32768..60999 is 28232 ports, an even count: every one is tried, once.
  EXPECT_EQ(prober.calls.size(), 28232u);
  const std::set<uint16_t> distinct(prober.calls.begin(), prober.calls.end());
  EXPECT_EQ(distinct.size(), 28232u);
  EXPECT_EQ(*distinct.begin(), 32768);
  EXPECT_EQ(*distinct.rbegin(), 60999);
}

TEST(PortAllocTest, ExhaustionOfSmallEvenRanges) {
  PortAllocator alloc(3);
  for (std::array<int, 2> range : {std::array<int, 2>{1000, 1001}, std::array<int, 2>{1000, 1003},
                                   std::array<int, 2>{65530, 65535}, std::array<int, 2>{1, 10}}) {
    for (uint16_t remote_port = 1; remote_port < 40; ++remote_port) {
      Prober prober = RefuseAll();
      EXPECT_EQ(Pick(alloc, prober, range, remote_port), std::nullopt);
      const std::set<uint16_t> distinct(prober.calls.begin(), prober.calls.end());
      EXPECT_EQ(prober.calls.size(), static_cast<size_t>(range[1] - range[0] + 1));
      EXPECT_EQ(distinct.size(), prober.calls.size());
    }
  }
}

TEST(PortAllocTest, OddSizedRangeLeavesOnePortUnreached) {
  // Linux rounds an odd count down to even for the two-parity scan ("remaining &= ~1U"), so one
  // port of the range is never probed — which one depends on where the scan starts. This is why
  // ip-sysctl.rst asks for ip_local_port_range bounds of different parity.
  PortAllocator alloc(4);
  std::set<uint16_t> ever_skipped;
  for (uint16_t remote_port = 1; remote_port < 200; ++remote_port) {
    Prober prober = RefuseAll();
    EXPECT_EQ(Pick(alloc, prober, {1000, 1004}, remote_port), std::nullopt);
    const std::set<uint16_t> distinct(prober.calls.begin(), prober.calls.end());
    ASSERT_EQ(prober.calls.size(), 4u);
    ASSERT_EQ(distinct.size(), 4u);
    for (uint16_t p = 1000; p <= 1004; ++p) {
      if (!distinct.contains(p)) ever_skipped.insert(p);
    }
  }
  // The unreached port is an end of the range: 1000 when the scan starts at 1002, 1004 when it
  // starts at 1000.
  EXPECT_EQ(ever_skipped, (std::set<uint16_t>{1000, 1004}));

  // Three ports: only two are ever candidates.
  Prober three = RefuseAll();
  EXPECT_EQ(Pick(alloc, three, {5000, 5002}), std::nullopt);
  EXPECT_EQ(three.calls, (std::vector<uint16_t>{5000, 5001}));
}

TEST(PortAllocTest, ScansLowParityFirstThenTheOther) {
  // __inet_hash_connect (Linux 4.6+, unchanged through 6.x): the offset is forced even, the first
  // pass walks low + even offsets in steps of 2 with wrap-around, the second pass the odd ones from
  // offset + 1.
  PortAllocator alloc(5);
  for (std::array<int, 2> range : {kDefaultRange, std::array<int, 2>{1025, 1056}}) {
    Prober prober = RefuseAll();
    ASSERT_EQ(Pick(alloc, prober, range), std::nullopt);
    const size_t n = prober.calls.size();
    ASSERT_EQ(n, static_cast<size_t>(range[1] - range[0] + 1));
    const int low = range[0];
    const int size = range[1] - range[0] + 1;
    const int start = prober.calls[0] - low;
    EXPECT_EQ(start % 2, 0);
    for (size_t i = 0; i < n; ++i) {
      const int offset = prober.calls[i] - low;
      const bool first_pass = i < n / 2;
      EXPECT_EQ(offset % 2, first_pass ? 0 : 1) << i;
      const int expected =
          (start + (first_pass ? 0 : 1) + 2 * static_cast<int>(i % (n / 2))) % size;
      EXPECT_EQ(offset, expected) << i;
    }
  }
}

TEST(PortAllocTest, PrefersLowParityWhenItIsFree) {
  PortAllocator alloc(6);
  for (uint16_t remote_port = 1; remote_port < 100; ++remote_port) {
    Prober prober;
    const auto port = Pick(alloc, prober, kDefaultRange, remote_port);
    ASSERT_TRUE(port.has_value());
    EXPECT_EQ((*port - kDefaultRange[0]) % 2, 0);
    EXPECT_EQ(prober.calls.size(), 1u);
  }
}

TEST(PortAllocTest, FallsBackToOtherParityWhenAllLowParityPortsAreBusy) {
  PortAllocator alloc(7);
  Prober prober;
  for (int p = 1000; p <= 1099; p += 2) prober.busy.insert(static_cast<uint16_t>(p));
  const auto port = Pick(alloc, prober, {1000, 1099});
  ASSERT_TRUE(port.has_value());
  EXPECT_EQ(*port % 2, 1);
  EXPECT_EQ(prober.calls.size(), 51u);  // 50 even ports refused, then the first odd one
}

TEST(PortAllocTest, StartsWhereLinuxFormulaSays) {
  // offset = (table_perturb[port_offset & (2^16 - 1)] + (port_offset >> 32)) % remaining, made
  // even; first candidate = low + offset.
  PortAllocator alloc(8);
  for (uint16_t remote_port = 1; remote_port < 50; ++remote_port) {
    const uint64_t port_offset = alloc.PortOffset(kLocal, kRemote, remote_port, kNow);
    const uint32_t bucket = static_cast<uint32_t>(port_offset) & (PortAllocator::kPerturbSize - 1);
    const uint32_t remaining = 28232;
    const uint32_t offset =
        ((alloc.Perturbation(bucket) + static_cast<uint32_t>(port_offset >> 32)) % remaining) & ~1u;
    Prober prober;
    const auto port = Pick(alloc, prober, kDefaultRange, remote_port);
    ASSERT_TRUE(port.has_value());
    EXPECT_EQ(*port, 32768 + offset);
  }
}

TEST(PortAllocTest, DifferentDestinationsStartAtDifferentPoints) {
  // The first choice for a destination depends on the keyed hash of (local, remote, remote port),
  // so it says nothing about the choice for another destination (RFC 6056 §3.3.4).
  PortAllocator alloc(9);
  std::set<uint16_t> firsts;
  for (uint16_t remote_port = 1; remote_port <= 50; ++remote_port) {
    Prober prober;
    firsts.insert(*Pick(alloc, prober, kDefaultRange, remote_port));
  }
  for (uint8_t host = 1; host <= 50; ++host) {
    Prober prober;
    firsts.insert(
        *Pick(alloc, prober, kDefaultRange, 80, Ipv4Address::FromOctets(198, 51, 100, host)));
  }
  // 100 draws from 14116 even candidates; a handful of collisions at most.
  EXPECT_GE(firsts.size(), 97u);
}

TEST(PortAllocTest, ConsecutiveConnectsToOneDestinationAdvance) {
  // Each success moves the destination's perturbation bucket by max(i, random(0..7) * 2) + 2, so
  // with no contention (i == 0) the next connect starts 2..16 ports further on.
  PortAllocator alloc(10);
  Prober prober;
  uint16_t previous = *Pick(alloc, prober);
  std::set<int> steps;
  std::set<uint16_t> ports{previous};
  for (int i = 0; i < 300; ++i) {
    const uint16_t port = *Pick(alloc, prober);
    const int step = (port - previous + 28232) % 28232;
    EXPECT_GE(step, 2);
    EXPECT_LE(step, 16);
    EXPECT_EQ(step % 2, 0);
    steps.insert(step);
    ports.insert(port);
    previous = port;
  }
  EXPECT_EQ(ports.size(), 301u);  // no port reused while walking forward
  EXPECT_EQ(steps.size(), 8u);    // all eight jitter values show up
}

TEST(PortAllocTest, BucketAdvancesPastScannedPorts) {
  // After refusing k candidates the success is at i = 2k, and the bucket grows by
  // max(2k, jitter) + 2: a long scan is not repeated by the next connect.
  PortAllocator alloc(11);
  const uint64_t port_offset = alloc.PortOffset(kLocal, kRemote, 80, kNow);
  const uint32_t bucket = static_cast<uint32_t>(port_offset) & (PortAllocator::kPerturbSize - 1);
  const uint32_t before = alloc.Perturbation(bucket);

  int refusals = 0;
  const auto port = alloc.PickPort(kLocal, kRemote, 80, kDefaultRange, kNow,
                                   [&](uint16_t) { return refusals++ >= 20; });
  ASSERT_TRUE(port.has_value());
  EXPECT_EQ(alloc.Perturbation(bucket) - before, 42u);  // i = 40 > any jitter (at most 14)
}

TEST(PortAllocTest, OffsetIsResaltedEveryTenSeconds) {
  // EPHEMERAL_PORT_SHUFFLE_PERIOD: the hash includes jiffies / (10 * HZ).
  PortAllocator alloc(12);
  const Instant period_start = kEpoch + seconds(30);
  const uint64_t h = alloc.PortOffset(kLocal, kRemote, 80, period_start);
  EXPECT_EQ(alloc.PortOffset(kLocal, kRemote, 80, period_start + milliseconds(9999)), h);
  EXPECT_NE(alloc.PortOffset(kLocal, kRemote, 80, period_start + seconds(10)), h);
  EXPECT_NE(alloc.PortOffset(kLocal, kRemote, 80, period_start - milliseconds(1)), h);
  // Every input matters.
  EXPECT_NE(alloc.PortOffset(kLocal, kRemote, 81, period_start), h);
  EXPECT_NE(alloc.PortOffset(kRemote, kRemote, 80, period_start), h);
  EXPECT_NE(alloc.PortOffset(kLocal, kLocal, 80, period_start), h);
}

TEST(PortAllocTest, OnePortRange) {
  PortAllocator alloc(13);
  Prober free_port;
  EXPECT_EQ(Pick(alloc, free_port, {40000, 40000}), 40000);
  EXPECT_EQ(free_port.calls.size(), 1u);

  Prober busy = RefuseAll();
  EXPECT_EQ(Pick(alloc, busy, {40000, 40000}), std::nullopt);
  EXPECT_EQ(busy.calls, (std::vector<uint16_t>{40000}));

  // The extremes of the port space.
  Prober top;
  EXPECT_EQ(Pick(alloc, top, {65535, 65535}), 65535);
  Prober bottom;
  EXPECT_EQ(Pick(alloc, bottom, {1, 1}), 1);
}

TEST(PortAllocTest, TwoPortRangeTriesBoth) {
  PortAllocator alloc(14);
  Prober prober;
  prober.busy = {2000};
  EXPECT_EQ(Pick(alloc, prober, {2000, 2001}), 2001);
  EXPECT_EQ(prober.calls, (std::vector<uint16_t>{2000, 2001}));
}

TEST(PortAllocTest, WholePortSpaceIsBounded) {
  PortAllocator alloc(15);
  Prober prober = RefuseAll();
  EXPECT_EQ(Pick(alloc, prober, {1, 65535}), std::nullopt);
  EXPECT_EQ(prober.calls.size(), 65534u);  // 65535 ports, odd: one is never reached
  EXPECT_EQ(std::set<uint16_t>(prober.calls.begin(), prober.calls.end()).size(), 65534u);
}

TEST(PortAllocTest, InvalidRangesAreRefusedWithoutProbing) {
  PortAllocator alloc(16);
  for (std::array<int, 2> range : {std::array<int, 2>{2000, 1999}, std::array<int, 2>{0, 10},
                                   std::array<int, 2>{65000, 65536}, std::array<int, 2>{-5, 100}}) {
    Prober prober;
    EXPECT_EQ(Pick(alloc, prober, range), std::nullopt);
    EXPECT_TRUE(prober.calls.empty());
  }
}

TEST(PortAllocTest, DeterministicFromSeed) {
  PortAllocator a(17);
  PortAllocator b(17);
  PortAllocator c(18);
  int differ = 0;
  for (int i = 0; i < 200; ++i) {
    Prober pa, pb, pc;
    const uint16_t remote_port = static_cast<uint16_t>(1 + i % 7);
    const auto x = Pick(a, pa, kDefaultRange, remote_port);
    EXPECT_EQ(x, Pick(b, pb, kDefaultRange, remote_port));
    differ += x != Pick(c, pc, kDefaultRange, remote_port);
  }
  EXPECT_GT(differ, 190);
}

TEST(PortAllocTest, SharedNetSecretGivesSameOffsets) {
  // Linux hashes ISNs and port offsets under one net_secret; passing that key explicitly gives
  // the same offsets as deriving it from the same seed.
  PortAllocator seeded(19);
  PortAllocator keyed(crypto::DeriveSipKey(19, "net_secret"), 19);
  EXPECT_EQ(seeded.PortOffset(kLocal, kRemote, 443, kNow),
            keyed.PortOffset(kLocal, kRemote, 443, kNow));
}

// --- IP_LOCAL_PORT_RANGE (Linux 6.3), scanned one by one since Linux 6.8. ---

constexpr uint32_t SocketRange(uint16_t low, uint16_t high) { return low | (uint32_t{high} << 16); }

TEST(PortAllocSocketRangeTest, ScansEveryPortInOrderWithoutParity) {
  PortAllocator alloc(20);
  Prober prober = RefuseAll();
  const auto port =
      alloc.PickPortWithSocketRange(kLocal, kRemote, 80, kDefaultRange, SocketRange(40000, 40004),
                                    kNow, [&](uint16_t p) { return prober(p); });
  EXPECT_EQ(port, std::nullopt);
  // Five ports, odd count, all probed: consecutive from a start anywhere, wrapping once.
  ASSERT_EQ(prober.calls.size(), 5u);
  for (size_t i = 1; i < 5; ++i) {
    EXPECT_EQ(prober.calls[i], prober.calls[i - 1] == 40004 ? 40000 : prober.calls[i - 1] + 1);
  }
}

TEST(PortAllocSocketRangeTest, StartsAtOddOffsetsToo) {
  PortAllocator alloc(21);
  std::set<int> parities;
  for (uint16_t remote_port = 1; remote_port < 64; ++remote_port) {
    Prober prober;
    const auto port = alloc.PickPortWithSocketRange(kLocal, kRemote, remote_port, kDefaultRange,
                                                    SocketRange(40000, 49999), kNow,
                                                    [&](uint16_t p) { return prober(p); });
    ASSERT_TRUE(port.has_value());
    EXPECT_GE(*port, 40000);
    EXPECT_LE(*port, 49999);
    parities.insert(*port % 2);
  }
  EXPECT_EQ(parities, (std::set<int>{0, 1}));
}

TEST(PortAllocSocketRangeTest, BoundsOutsideTheSysctlRangeAreIgnored) {
  // inet_sk_get_local_port_range(): each socket bound replaces the sysctl's only when inside it.
  PortAllocator alloc(22);
  const auto probe_all = [&](uint32_t socket_range) {
    Prober prober = RefuseAll();
    alloc.PickPortWithSocketRange(kLocal, kRemote, 80, {1000, 1009}, socket_range, kNow,
                                  [&](uint16_t p) { return prober(p); });
    return std::set<uint16_t>(prober.calls.begin(), prober.calls.end());
  };
  // Low inside, high outside: [1005, 1009].
  EXPECT_EQ(probe_all(SocketRange(1005, 2000)), (std::set<uint16_t>{1005, 1006, 1007, 1008, 1009}));
  // Low unset (0), high inside: [1000, 1002].
  EXPECT_EQ(probe_all(SocketRange(0, 1002)), (std::set<uint16_t>{1000, 1001, 1002}));
  // Zero means no socket range: the sysctl range with the parity scan (10 ports, all probed).
  EXPECT_EQ(probe_all(0).size(), 10u);
}

}  // namespace
}  // namespace taptcp::tcp
