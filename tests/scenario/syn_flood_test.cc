// A SYN flood in virtual time (LINUX_TCP.md "Listen queues", "SYN cookies"): a million spoofed
// SYNs at 1 Mpps while a thousand real clients connect and echo 1 KiB each, with syncookies on
// (the default) and off. Asserts that with cookies every client gets through and the server's
// memory is bounded by its backlog, not by the flood; with cookies off, reports how many clients
// fail and checks the drop counters add up. Prints the numbers and records them as test
// properties.
//
// The network, the clients and how the server's heap is counted: tests/support/syn_flood_net.h.
// All in stack/sim with fixed seeds, so every run is the same to the byte.
//
// The flood size: TAPTCP_SYN_FLOOD_SYNS if set, else 1,000,000, or 200,000 under ASan/UBSan (the
// flood still lasts 1 s, at a fifth of the rate).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "stack/stack.h"
#include "stack/tcp/request_sock.h"
#include "tests/support/heap_arena.h"
#include "tests/support/syn_flood_net.h"

#if defined(__SANITIZE_ADDRESS__)
#define TAPTCP_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define TAPTCP_SANITIZED 1
#endif
#endif

namespace taptcp {
namespace {

using testing::Arena;
using testing::ArenaScope;
using namespace testing::synflood;  // NOLINT(build/namespaces): the scenario's names

uint64_t FloodSyns() {
  if (const char* env = std::getenv("TAPTCP_SYN_FLOOD_SYNS"))
    return std::strtoull(env, nullptr, 10);
#ifdef TAPTCP_SANITIZED
  return 200'000;
#else
  return 1'000'000;
#endif
}

double Ms(Duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

void Report(const char* name, const FloodResult& r) {
  std::printf("[%s] %" PRIu64 " spoofed SYNs in 1 s + %d clients: %" PRIu64
              " echoed 1 KiB, %" PRIu64 " failed; connect time median %.0f ms, max %.0f ms\n",
              name, r.syns, kClients, r.completed, r.failed, Ms(r.median_connect),
              Ms(r.max_connect));
  std::printf("[%s] connect time (whole seconds: clients):", name);
  for (const auto& [sec, n] : r.connect_seconds) std::printf(" %d s: %d", sec, n);
  std::printf("\n");
  for (const auto& [err, n] : r.errors)
    std::printf("[%s]   %d clients failed with %d\n", name, n, err);
  std::printf(
      "[%s] server heap: baseline %" PRId64 " B, peak growth %" PRId64 " B requested (%" PRId64
      " B as malloc chunks), %" PRId64 " B above baseline once requests expired\n",
      name, r.baseline_bytes, r.peak_growth_bytes, r.peak_growth_chunk_bytes, r.growth_after_bytes);
  std::printf(
      "[%s] max request entries %zu (backlog %d), max accept queue %zu, max connections %zu; "
      "SYNs in %" PRIu64 ", request entries made %" PRIu64 " (%" PRIu64
      " for clients); router dropped %" PRIu64 " frames to spoofed sources; %.2f s wall\n",
      name, r.max_requests, kBacklog, r.max_accept_queue, r.max_connections, r.syns_in,
      r.requests_made, r.client_requests_made, r.router_dropped, r.wall_seconds);
  for (const auto& [counter, v] : r.counters)
    std::printf("[%s]   %-28s %" PRIu64 "\n", name, counter.c_str(), v);
  auto record = [](const std::string& key, int64_t v) {
    ::testing::Test::RecordProperty(key, std::to_string(v));
  };
  record("syns", static_cast<int64_t>(r.syns));
  record("completed", static_cast<int64_t>(r.completed));
  record("failed", static_cast<int64_t>(r.failed));
  record("peak_heap_growth_bytes", r.peak_growth_bytes);
  record("peak_heap_growth_chunk_bytes", r.peak_growth_chunk_bytes);
  record("max_request_entries", static_cast<int64_t>(r.max_requests));
  record("connect_median_ms", static_cast<int64_t>(Ms(r.median_connect)));
  record("connect_max_ms", static_cast<int64_t>(Ms(r.max_connect)));
  for (const auto& [counter, v] : r.counters) record(counter, static_cast<int64_t>(v));
}

uint64_t Get(const FloodResult& r, Counter c) { return r.counters.at(std::string(Mib::Name(c))); }

// The same clients without a flood (cookies never used): the baseline for the server's memory.
const FloodResult& Calm() {
  static const FloodResult calm = [] {
    FloodResult r = RunFlood(/*syncookies=*/1, /*syns=*/0, /*seed=*/1);
    std::printf("[no flood] %" PRIu64 " clients echoed; peak heap growth %" PRId64
                " B with at most %zu connections at once\n",
                r.completed, r.peak_growth_bytes, r.max_connections);
    return r;
  }();
  return calm;
}

// What the server may hold whatever the flood's size: the SYN queue full (backlog + 1 request
// entries; 256 B each is generous), plus every connection the clients had open at once at what a
// connection costs without a flood (its receive and send rings are allocated when it is made:
// about 160 KiB), plus 64 KiB of table growth.
int64_t MemoryBound(const FloodResult& r) {
  const FloodResult& calm = Calm();
  const int64_t per_connection =
      calm.peak_growth_bytes / static_cast<int64_t>(std::max<size_t>(calm.max_connections, 1));
  return (kBacklog + 1) * 256 + static_cast<int64_t>(r.max_connections) * per_connection +
         64 * 1024;
}

TEST(SynFlood, CookiesLetEveryClientThroughInBoundedMemory) {
  const FloodResult r = RunFlood(/*syncookies=*/1, FloodSyns(), /*seed=*/1);
  ASSERT_TRUE(r.listening);
  Report("syncookies=1", r);
  EXPECT_EQ(r.completed, static_cast<uint64_t>(kClients));
  EXPECT_EQ(r.echoed_bytes, kClients * kEchoBytes);
  // The SYN queue never holds more than backlog + 1 entries (inet_csk_reqsk_queue_is_full).
  EXPECT_LE(r.max_requests, static_cast<size_t>(kBacklog + 1));
  // Every SYN beyond the queue got a cookie: the flood less the first backlog + 1, plus most
  // clients.
  const uint64_t sent = Get(r, Counter::kTcpExtSyncookiesSent);
  EXPECT_GE(sent, r.syns - (kBacklog + 1));
  EXPECT_LE(sent, r.syns + kClients);
  EXPECT_EQ(Get(r, Counter::kTcpExtTCPReqQFullDoCookies), sent);
  // Each SYN in made an entry, got a cookie, or met an entry of its own 4-tuple (a spoofed
  // tuple repeating one of the backlog + 1 in the queue: rare).
  EXPECT_LE(r.requests_made + sent, r.syns_in);
  EXPECT_GE(r.requests_made + sent, r.syns_in * 999 / 1000);
  // A client came in through a cookie unless its SYN found room in the queue (the first few,
  // before the flood filled it, and any that met a slot a completed client had just freed).
  EXPECT_EQ(Get(r, Counter::kTcpExtSyncookiesRecv) + r.client_requests_made,
            static_cast<uint64_t>(kClients));
  EXPECT_EQ(Get(r, Counter::kTcpExtSyncookiesFailed), 0u);
  EXPECT_EQ(Get(r, Counter::kTcpPassiveOpens), static_cast<uint64_t>(kClients));
  EXPECT_EQ(Get(r, Counter::kTcpExtTCPReqQFullDrop), 0u);
  EXPECT_EQ(Get(r, Counter::kTcpExtListenOverflows), 0u);
  EXPECT_EQ(Get(r, Counter::kTcpExtListenDrops), 0u);
  // Memory: bounded by the backlog and the clients, not the flood (one request entry per SYN
  // would be about 106 B each, r.syns * 106 in all). The same clients without the flood: the
  // difference is what the flood costs, at most a full SYN queue.
  EXPECT_LT(r.peak_growth_bytes, MemoryBound(r));
  const FloodResult& calm = Calm();
  const int64_t flood_cost = r.peak_growth_bytes - calm.peak_growth_bytes;
  std::printf("[syncookies=1] the flood's share of the peak: %" PRId64
              " B (the bound for everything: %" PRId64 " B)\n",
              flood_cost, MemoryBound(r));
  RecordProperty("flood_share_of_peak_bytes", std::to_string(flood_cost));
  EXPECT_EQ(calm.completed, static_cast<uint64_t>(kClients));
  EXPECT_LE(flood_cost, (kBacklog + 1) * 256 + 64 * 1024);
  EXPECT_LE(r.growth_after_bytes, 64 * 1024);
}

TEST(SynFlood, WithoutCookiesClientsWaitForTheQueueToDrain) {
  const FloodResult r = RunFlood(/*syncookies=*/0, FloodSyns(), /*seed=*/1);
  ASSERT_TRUE(r.listening);
  Report("syncookies=0", r);
  EXPECT_EQ(r.completed + r.failed, static_cast<uint64_t>(kClients));
  EXPECT_LE(r.max_requests, static_cast<size_t>(kBacklog + 1));
  EXPECT_EQ(Get(r, Counter::kTcpExtSyncookiesSent), 0u);
  EXPECT_EQ(Get(r, Counter::kTcpExtSyncookiesRecv), 0u);
  // Every SYN that made no entry and met no entry was dropped as "SYN queue full", and counted
  // as a listen drop too (nothing else drops: the accept queue never fills, and
  // tcp_max_syn_backlog's last quarter is far beyond backlog + 1).
  const uint64_t drops = Get(r, Counter::kTcpExtTCPReqQFullDrop);
  EXPECT_EQ(Get(r, Counter::kTcpExtListenDrops), drops);
  EXPECT_LE(drops, r.syns_in - r.requests_made);
  // The rest met an existing entry (random spoofed tuples colliding with one of the backlog + 1).
  EXPECT_GE(drops, (r.syns_in - r.requests_made) * 999 / 1000);
  // The clients that connected did so through request entries.
  EXPECT_EQ(Get(r, Counter::kTcpPassiveOpens), r.completed);
  EXPECT_EQ(r.client_requests_made, r.completed);
  EXPECT_LT(r.peak_growth_bytes, MemoryBound(r));
  EXPECT_LE(r.growth_after_bytes, 64 * 1024);
}

// Same seed, same run, to the counter: the numbers above are the seed's, not luck.
TEST(SynFlood, WithoutCookiesIsDeterministic) {
  const uint64_t syns = std::min<uint64_t>(FloodSyns(), 50'000);
  const FloodResult a = RunFlood(0, syns, 7);
  const FloodResult b = RunFlood(0, syns, 7);
  EXPECT_TRUE(a == b);
  EXPECT_EQ(a.completed + a.failed, static_cast<uint64_t>(kClients));
}

// What one request entry costs: a listener with cookies off and room for 4096 requests takes 4096
// SYNs from distinct sources; the heap grows by this much per entry.
TEST(SynFlood, RequestEntryCost) {
  constexpr int kEntries = 4096;
  CountingLink sink;
  ArenaScope scope(Arena::kServer);
  StackConfig c;
  c.mac = kServerMac;
  c.addr = kServerIp;
  c.gateway = kRouterIp;
  Stack server(c, &sink, kEpoch, 20);
  server.sysctl().tcp_syncookies = 0;
  server.sysctl().tcp_max_syn_backlog = 4 * kEntries;
  socket::SocketApi& api = server.sockets();
  const int l = api.Socket();
  ASSERT_EQ(api.Bind(l, {Ipv4Address::Any(), kEchoPort}), 0);
  ASSERT_EQ(api.Listen(l, kEntries), 0);
  server.Input(testing::ArpFrame(wire::kArpOpRequest, MacAddress::Broadcast(), kRouterMac,
                                 kRouterIp, MacAddress{}, kServerIp),
               kEpoch);
  testing::SpoofedSynSource source(3);
  uint8_t frame[testing::kSynFrameMax];
  std::vector<testing::SpoofedSyn> syns;
  absl::flat_hash_set<std::pair<uint32_t, uint16_t>> seen;
  while (syns.size() < kEntries) {
    const testing::SpoofedSyn s = source.Next();
    if (seen.insert({s.src.value, s.src_port}).second) syns.push_back(s);
  }
  const int64_t before = testing::Usage(Arena::kServer).live_bytes;
  const int64_t before_chunk = testing::Usage(Arena::kServer).live_chunk_bytes;
  for (const testing::SpoofedSyn& s : syns) {
    const size_t n = testing::WriteSynFrame(frame, kServerMac, kRouterMac, kServerIp, kEchoPort, s);
    server.Input(std::span<const uint8_t>(frame, n), kEpoch + milliseconds(1));
  }
  const int64_t bytes = testing::Usage(Arena::kServer).live_bytes - before;
  const int64_t chunk = testing::Usage(Arena::kServer).live_chunk_bytes - before_chunk;
  const tcp::Listener* listener = server.tcp().Listeners().front();
  ASSERT_EQ(listener->request_count(), static_cast<size_t>(kEntries));
  EXPECT_GE(sink.frames, static_cast<uint64_t>(kEntries));  // a SYN-ACK each
  // The hash set's share: the same set type grown to the same size (one pointer slot per entry
  // plus a control byte, at absl's load factor).
  int64_t table = 0;
  {
    const int64_t t0 = testing::Usage(Arena::kServer).live_bytes;
    absl::flat_hash_set<void*> set;
    for (uintptr_t i = 1; i <= kEntries; ++i) set.insert(reinterpret_cast<void*>(i * 16));
    table = testing::Usage(Arena::kServer).live_bytes - t0;
  }
  std::printf(
      "request entry: sizeof(RequestSock) %zu B; measured %.1f B per entry requested from the "
      "heap (%.1f B as malloc chunks), of which %.1f B the listener's hash set\n",
      sizeof(tcp::RequestSock), static_cast<double>(bytes) / kEntries,
      static_cast<double>(chunk) / kEntries, static_cast<double>(table) / kEntries);
  RecordProperty("sizeof_request_sock", std::to_string(sizeof(tcp::RequestSock)));
  RecordProperty("request_entry_heap_bytes", std::to_string(bytes / kEntries));
  RecordProperty("request_entry_chunk_bytes", std::to_string(chunk / kEntries));
  EXPECT_LE(static_cast<double>(bytes) / kEntries, 128.0);
}

}  // namespace
}  // namespace taptcp
