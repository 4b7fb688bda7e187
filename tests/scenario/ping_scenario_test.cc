// Two stacks on a simulated wire in virtual time: ARP resolution and ping under loss, delay,
// jitter, reordering, duplication and corruption. Asserts exact timing where the wire is clean,
// counters that add up where it is not, and byte-identical replays for a fixed seed.
#include <gtest/gtest.h>

#include <map>
#include <vector>

#include "stack/sim/network.h"
#include "stack/stack.h"
#include "tests/support/test_frames.h"

namespace taptcp {
namespace {

using testing::RecordingLink;

struct Pair {
  explicit Pair(uint64_t seed, const sim::Impairments& imp) : net(seed) {
    link = &net.Connect(nullptr, nullptr, imp);
    a = std::make_unique<Stack>(Config("02:00:00:00:00:0a", "192.0.2.10"), link->end(0));
    b = std::make_unique<Stack>(Config("02:00:00:00:00:0b", "192.0.2.11"), link->end(1));
    link->Attach(0, a.get());
    link->Attach(1, b.get());
    net.AddHost(a.get());
    net.AddHost(b.get());
    link->set_tap(&wire_log);
    a->icmp().set_echo_reply_handler([this](wire::Ipv4Address, uint16_t, uint16_t seq,
                                            std::span<const uint8_t> payload) {
      replies[seq].push_back(net.now());
      payload_ok = payload_ok && payload.size() == 32 && payload[0] == static_cast<uint8_t>(seq);
    });
  }
  static StackConfig Config(const char* mac, const char* ip) {
    StackConfig c;
    c.mac = *wire::MacAddress::Parse(mac);
    c.addr = *wire::Ipv4Address::Parse(ip);
    c.prefix_len = 24;
    return c;
  }
  // Sends `count` pings from a to b, one every `interval`, and runs until `count * interval + 5s`.
  void Ping(int count, Duration interval) {
    const Instant start = net.now();
    for (int i = 0; i < count; ++i) {
      net.RunUntil(start + i * interval);
      std::vector<uint8_t> payload(32, static_cast<uint8_t>(i));
      sent_at[i] = net.now();
      a->icmp().SendEchoRequest(b->config().addr, 42, static_cast<uint16_t>(i), payload);
    }
    net.RunUntil(start + count * interval + seconds(5));
  }

  sim::Network net;
  sim::SimLink* link;
  std::unique_ptr<Stack> a, b;
  RecordingLink wire_log;
  std::map<int, Instant> sent_at;
  std::map<int, std::vector<Instant>> replies;
  bool payload_ok = true;
};

TEST(PingScenario, CleanWireRepliesEveryPingAtExactlyTwiceTheDelay) {
  sim::Impairments imp;
  imp.delay = milliseconds(10);
  Pair p(1, imp);
  p.Ping(100, milliseconds(100));
  ASSERT_EQ(p.replies.size(), 100u);
  EXPECT_TRUE(p.payload_ok);
  // The first ping waits for ARP (request + reply = one round trip) before it leaves.
  EXPECT_EQ(p.replies[0][0] - p.sent_at[0], milliseconds(40));
  for (int i = 1; i < 100; ++i) {
    ASSERT_EQ(p.replies[i].size(), 1u);
    EXPECT_EQ(p.replies[i][0] - p.sent_at[i], milliseconds(20)) << i;
  }
  EXPECT_EQ(p.b->mib().Get(Counter::kIcmpInEchos), 100u);
  EXPECT_EQ(p.b->mib().Get(Counter::kIcmpOutEchoReps), 100u);
  EXPECT_EQ(p.a->mib().Get(Counter::kIcmpInEchoReps), 100u);
  // b learned a from a's ARP request (STALE) and never had to broadcast; using the entry sent it
  // to DELAY and, with no confirmation from above, to PROBE: unicast re-validation, answered.
  EXPECT_EQ(p.b->mib().Get(Counter::kTaptcpArpOutRequests), 1u);
  EXPECT_EQ(p.a->mib().Get(Counter::kTaptcpArpOutReplies), 1u);
  EXPECT_EQ(p.b->arp().Lookup(p.a->config().addr)->state, net::NeighState::kReachable);
  EXPECT_EQ(p.a->mib().TotalDrops() + p.b->mib().TotalDrops(), 0u);
}

TEST(PingScenario, LossyWireLosesPingsButCountersAddUp) {
  sim::Impairments imp;
  imp.delay = milliseconds(5);
  imp.loss = 0.2;
  Pair p(7, imp);
  p.Ping(500, milliseconds(50));
  const auto& ab = p.link->stats(0);
  const auto& ba = p.link->stats(1);
  EXPECT_GT(ab.lost + ba.lost, 0u);
  EXPECT_EQ(ab.sent, ab.lost + ab.delivered);
  EXPECT_EQ(ba.sent, ba.lost + ba.delivered);
  // Every echo request b received was answered, and every reply a got was one b sent.
  EXPECT_EQ(p.b->mib().Get(Counter::kIcmpInEchos), p.b->mib().Get(Counter::kIcmpOutEchoReps));
  EXPECT_EQ(p.a->mib().Get(Counter::kIcmpInEchoReps), p.replies.size());
  EXPECT_LT(p.replies.size(), 500u);
  EXPECT_GT(p.replies.size(), 250u);  // ~64% expected at 20% loss each way
  EXPECT_TRUE(p.payload_ok);
}

TEST(PingScenario, DuplicationReorderingAndCorruptionAreSurvived) {
  sim::Impairments imp;
  imp.delay = milliseconds(5);
  imp.jitter = milliseconds(20);
  imp.duplicate = 0.1;
  imp.reorder = 0.1;
  imp.corrupt = 0.05;
  Pair p(11, imp);
  p.Ping(400, milliseconds(5));  // pings overlap in flight, so jitter reorders them
  const uint64_t corrupted = p.link->stats(0).corrupted + p.link->stats(1).corrupted;
  EXPECT_GT(corrupted, 0u);
  EXPECT_GT(p.link->stats(0).duplicated, 0u);
  // A corrupted frame is caught by a checksum or a header check and dropped, never answered
  // wrongly: every reply that arrived carries the payload its sequence number says.
  EXPECT_TRUE(p.payload_ok);
  EXPECT_GT(p.a->mib().TotalDrops() + p.b->mib().TotalDrops(), 0u);
  size_t dup_replies = 0;
  for (const auto& [seq, times] : p.replies) dup_replies += times.size() > 1;
  EXPECT_GT(dup_replies, 0u);
  // Replies arrive out of order with this much jitter.
  std::vector<std::pair<Instant, int>> order;
  for (const auto& [seq, times] : p.replies) order.push_back({times[0], seq});
  std::sort(order.begin(), order.end());
  bool reordered = false;
  for (size_t i = 1; i < order.size(); ++i) reordered |= order[i].second < order[i - 1].second;
  EXPECT_TRUE(reordered);
}

TEST(PingScenario, SameSeedReplaysByteForByteOtherSeedDoesNot) {
  sim::Impairments imp;
  imp.delay = milliseconds(3);
  imp.jitter = milliseconds(4);
  imp.loss = 0.1;
  imp.duplicate = 0.05;
  imp.corrupt = 0.05;
  auto run = [&](uint64_t seed) {
    Pair p(seed, imp);
    p.Ping(200, milliseconds(10));
    return std::move(p.wire_log.frames);
  };
  const auto first = run(5);
  const auto second = run(5);
  const auto other = run(6);
  ASSERT_EQ(first.size(), second.size());
  for (size_t i = 0; i < first.size(); ++i) {
    ASSERT_EQ(first[i].at, second[i].at) << i;
    ASSERT_EQ(first[i].bytes, second[i].bytes) << i;
  }
  bool differs = first.size() != other.size();
  for (size_t i = 0; !differs && i < first.size(); ++i) {
    differs = first[i].at != other[i].at || first[i].bytes != other[i].bytes;
  }
  EXPECT_TRUE(differs);
}

TEST(PingScenario, BandwidthAndQueueLimitShapeTheWire) {
  sim::Impairments imp;
  imp.delay = milliseconds(1);
  imp.bandwidth_bps = 1'000'000;  // 1 Mbit/s: a 74-byte frame takes 592 us
  imp.queue_limit_bytes = 3000;
  Pair p(3, imp);
  p.Ping(1, milliseconds(1));  // resolve ARP first
  p.replies.clear();
  // 100 pings at once: the queue holds about 3000 bytes of them, the rest are tail-dropped.
  const Instant t0 = p.net.now();
  for (int i = 0; i < 100; ++i) {
    std::vector<uint8_t> payload(32, static_cast<uint8_t>(i));
    p.a->icmp().SendEchoRequest(p.b->config().addr, 42, static_cast<uint16_t>(i), payload);
  }
  p.net.RunUntil(t0 + seconds(2));
  EXPECT_GT(p.link->stats(0).queue_drops, 50u);
  ASSERT_GT(p.replies.size(), 30u);
  ASSERT_LT(p.replies.size(), 50u);
  // Serialisation: the n-th queued ping leaves n frame-times after the first.
  const Instant last = std::prev(p.replies.end())->second[0];
  EXPECT_GT(last - t0, microseconds(592) * static_cast<int>(p.replies.size() - 1));
}

TEST(PingScenario, AnHourOfIdleVirtualTimeCostsNothing) {
  Pair p(1, {});
  p.Ping(1, milliseconds(1));
  const uint64_t events = p.net.RunFor(hours(1));
  // ARP entries go stale and are collected: a handful of timer events, not 3.6 million ticks.
  EXPECT_LT(events, 20u);
  EXPECT_EQ(p.a->arp().size(), 0u);
}

}  // namespace
}  // namespace taptcp
