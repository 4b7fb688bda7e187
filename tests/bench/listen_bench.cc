// Listener benchmarks (stack/tcp/listener.*): what a SYN costs a listening stack under a flood, on
// one core, fed through Stack::Input (the entry point the simulator and the TAP loop use) with the
// SYN-ACKs going to a sink link. Virtual time moves 1 µs per SYN (a 1 Mpps flood).
//
//   BM_SynToCookieSynAck/always      tcp_syncookies=2: every SYN gets a cookie SYN-ACK. SYNs with
//                                    Linux's options (MSS, SACK, timestamps, wscale 7), so the
//                                    SYN-ACK's TSval carries them too. Target >= 2 Mpps.
//   BM_SynToCookieSynAck/queue_full  tcp_syncookies=1 (the default) with the SYN queue full of
//                                    backlog + 1 = 129 entries: a real flood's steady state.
//   BM_SynToCookieSynAck/bare        tcp_syncookies=2, bare 40-byte SYNs (no options: the cookie
//                                    keeps only the MSS, no TSval to encode).
//   BM_SynDropped/queue_full         tcp_syncookies=0 with the SYN queue full: the SYN is parsed,
//                                    checked and dropped (TCPReqQFullDrop). The same-run floor:
//                                    what the path costs before the listener's own work.
//   BM_SynToRequest                  tcp_syncookies=0, room in the queue: a request entry per SYN
//                                    (allocated, hashed, its timer armed) and its SYN-ACK; the
//                                    listener is re-made every 4096 entries, outside the timing.
//                                    Also reports the heap bytes per entry (bytes_per_entry).
//   BM_MillionSynFlood/cookies       the scenario of tests/scenario/syn_flood_test.cc once: 1M
//                                    spoofed SYNs in one virtual second and 1000 echo clients,
//                                    all through the simulator; its wall time, the flood's SYNs
//                                    per wall second, and the server's peak heap growth.
//
// Each SYN in the ring of 4096 prebuilt frames comes from its own TEST-NET-2 source; after each
// pass over the ring every frame's source port moves on by one (checksum patched, RFC 1624), so
// no 4-tuple repeats while the cookie counter lasts. Counters: synacks_per_syn (1 for a cookie
// or request, 0 for a drop) and allocs_per_syn (heap allocations in the timed loop, all kinds).
//
// The cookie arithmetic alone (make, check, TSval) is tests/bench/syncookie_bench.cc.
//
//   build/tests/bench/listen_bench [--benchmark_repetitions=3]
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <vector>

#include "stack/stack.h"
#include "stack/tcp/request_sock.h"
#include "stack/wire/checksum.h"
#include "tests/support/heap_arena.h"
#include "tests/support/spoofed_syn.h"
#include "tests/support/syn_flood_net.h"
#include "tests/support/test_frames.h"

namespace taptcp::bench {
namespace {

using testing::Arena;
using testing::ArenaScope;
using testing::synflood::kBacklog;
using testing::synflood::kEchoPort;
using testing::synflood::kRouterIp;
using testing::synflood::kRouterMac;
using testing::synflood::kServerIp;
using testing::synflood::kServerMac;
using wire::MacAddress;

constexpr size_t kRing = 4096;
constexpr size_t kTcpOffset = wire::kEthernetHeaderSize + wire::kIpv4MinHeaderSize;

// Where the stack's frames go: counted, never kept. An ARP request for the router is answered on
// the next SYN (the neighbour entry goes STALE after 30 s of virtual time and is probed again).
class Sink final : public Link {
 public:
  void Transmit(std::span<const uint8_t> frame, Instant) override {
    ++frames;
    if (frame.size() > 47 && frame[12] == 0x08 && frame[13] == 0x00 &&
        (frame[47] & (wire::kSyn | wire::kAck)) == (wire::kSyn | wire::kAck)) {
      ++synacks;
    } else if (frame.size() > 13 && frame[12] == 0x08 && frame[13] == 0x06) {
      arp_pending = true;
    }
  }
  uint64_t frames = 0, synacks = 0;
  bool arp_pending = false;
};

class SynRig {
 public:
  SynRig(int syncookies, bool options, uint64_t seed = 1)
      : stack_(Config(), &sink_, kEpoch, 20), source_(seed), options_(options) {
    stack_.sysctl().tcp_syncookies = syncookies;
    stack_.sysctl().tcp_max_syn_backlog = 1 << 16;
    AnswerArp();
    frames_.resize(kRing);
    for (Frame& f : frames_) {
      f.len = testing::WriteSynFrame(f.bytes, kServerMac, kRouterMac, kServerIp, kEchoPort,
                                     source_.Next(), options_);
    }
  }

  // A listener on the echo port with `backlog`; closes the previous one.
  bool Listen(int backlog) {
    socket::SocketApi& api = stack_.sockets();
    if (lfd_ >= 0) api.Close(lfd_);
    lfd_ = api.Socket();
    return api.Bind(lfd_, {wire::Ipv4Address::Any(), kEchoPort}) == 0 &&
           api.Listen(lfd_, backlog) == 0;
  }

  // One SYN from the ring into the stack, 1 µs after the previous one.
  void Feed() {
    const Frame& f = frames_[next_];
    stack_.Input(std::span<const uint8_t>(f.bytes, f.len), now_);
    now_ += microseconds(1);
    if (++next_ == kRing) NextPass();
    if (sink_.arp_pending) AnswerArp();
  }

  // `n` SYNs from sources outside the ring (to fill the SYN queue).
  void FeedOthers(int n) {
    testing::SpoofedSynSource other(0xF111);
    uint8_t frame[testing::kSynFrameMax];
    for (int i = 0; i < n; ++i) {
      const size_t len = testing::WriteSynFrame(frame, kServerMac, kRouterMac, kServerIp, kEchoPort,
                                                other.Next(), options_);
      stack_.Input(std::span<const uint8_t>(frame, len), now_);
    }
  }

  Stack& stack() { return stack_; }
  const Sink& sink() const { return sink_; }

 private:
  struct Frame {
    uint8_t bytes[testing::kSynFrameMax];
    size_t len = 0;
  };

  static StackConfig Config() {
    StackConfig c;
    c.mac = kServerMac;
    c.addr = kServerIp;
    c.gateway = kRouterIp;
    return c;
  }

  // The router says who it is (an ARP reply to our request, or a request of its own at the start).
  void AnswerArp() {
    sink_.arp_pending = false;
    stack_.Input(testing::ArpFrame(wire::kArpOpReply, kServerMac, kRouterMac, kRouterIp, kServerMac,
                                   kServerIp),
                 now_);
    if (stack_.arp().Lookup(kRouterIp)) return;
    stack_.Input(testing::ArpFrame(wire::kArpOpRequest, MacAddress::Broadcast(), kRouterMac,
                                   kRouterIp, MacAddress{}, kServerIp),
                 now_);
  }

  // Every source port + 1, the TCP checksum patched in place: fresh 4-tuples for the next pass.
  void NextPass() {
    next_ = 0;
    for (Frame& f : frames_) {
      uint8_t* tcp = f.bytes + kTcpOffset;
      const uint16_t old_port = static_cast<uint16_t>(tcp[0] << 8 | tcp[1]);
      const uint16_t new_port = old_port == 65535 ? 1024 : static_cast<uint16_t>(old_port + 1);
      const uint16_t old_sum = static_cast<uint16_t>(tcp[16] << 8 | tcp[17]);
      const uint16_t new_sum = wire::ChecksumUpdate16(old_sum, old_port, new_port);
      tcp[0] = static_cast<uint8_t>(new_port >> 8);
      tcp[1] = static_cast<uint8_t>(new_port);
      tcp[16] = static_cast<uint8_t>(new_sum >> 8);
      tcp[17] = static_cast<uint8_t>(new_sum);
    }
  }

  Sink sink_;
  Stack stack_;
  testing::SpoofedSynSource source_;
  bool options_;
  std::vector<Frame> frames_;
  size_t next_ = 0;
  Instant now_ = kEpoch + milliseconds(1);
  int lfd_ = -1;
};

void Report(benchmark::State& state, const SynRig& rig, uint64_t synacks_before,
            int64_t allocs_before) {
  const double n = static_cast<double>(state.iterations());
  state.SetItemsProcessed(state.iterations());
  state.counters["synacks_per_syn"] = static_cast<double>(rig.sink().synacks - synacks_before) / n;
  state.counters["allocs_per_syn"] =
      static_cast<double>(testing::Usage(Arena::kOther).allocations - allocs_before) / n;
}

// tcp_syncookies: 2 (always) or 1 with the queue filled first; `options`: Linux's SYN options.
template <int kSyncookies, bool kOptions>
void BM_SynToCookieSynAck(benchmark::State& state) {
  SynRig rig(kSyncookies, kOptions);
  if (!rig.Listen(kBacklog)) {
    state.SkipWithError("listen");
    return;
  }
  if (kSyncookies == 1) rig.FeedOthers(kBacklog + 1);
  const uint64_t synacks = rig.sink().synacks;
  const int64_t allocs = testing::Usage(Arena::kOther).allocations;
  for (auto _ : state) rig.Feed();
  Report(state, rig, synacks, allocs);
  // A spoofed 4-tuple may repeat one of the 129 in the queue (about 1 SYN in 130,000): that SYN
  // meets its entry instead of getting a cookie.
  const Mib& mib = rig.stack().mib();
  if (mib.Get(Counter::kTcpExtSyncookiesSent) <
      static_cast<uint64_t>(state.iterations()) * 999 / 1000) {
    state.SkipWithError("not every SYN got a cookie");
  }
}

void BM_SynDropped(benchmark::State& state) {
  SynRig rig(0, true);
  if (!rig.Listen(kBacklog)) {
    state.SkipWithError("listen");
    return;
  }
  rig.FeedOthers(kBacklog + 1);
  const uint64_t synacks = rig.sink().synacks;
  const int64_t allocs = testing::Usage(Arena::kOther).allocations;
  const uint64_t drops = rig.stack().mib().Get(Counter::kTcpExtTCPReqQFullDrop);
  for (auto _ : state) rig.Feed();
  Report(state, rig, synacks, allocs);
  // The queue's entries expire after 7 s of virtual time (queue pruning) and the flood refills
  // it: a few SYNs per 7 M make entries instead of being dropped.
  if (rig.stack().mib().Get(Counter::kTcpExtTCPReqQFullDrop) - drops <
      static_cast<uint64_t>(state.iterations()) * 99 / 100) {
    state.SkipWithError("SYNs were not dropped");
  }
}

void BM_SynToRequest(benchmark::State& state) {
  constexpr int kEntries = 4096;  // somaxconn
  SynRig rig(0, true);
  int64_t bytes_per_entry = 0;
  uint64_t synacks = 0;
  int64_t allocs = 0, pause_allocs = 0;
  int in_queue = kEntries;
  for (auto _ : state) {
    if (in_queue == kEntries) {
      state.PauseTiming();
      const int64_t a0 = testing::Usage(Arena::kOther).allocations;
      ArenaScope scope(Arena::kServer);
      if (!rig.Listen(kEntries)) {
        state.SkipWithError("listen");
        return;
      }
      in_queue = 0;
      pause_allocs += testing::Usage(Arena::kOther).allocations - a0;
      state.ResumeTiming();
    }
    if (bytes_per_entry == 0 && in_queue == 0) {
      // The first fill, counted apart: heap per entry (the listener's hash set included).
      state.PauseTiming();
      ArenaScope scope(Arena::kServer);
      const int64_t b0 = testing::Usage(Arena::kServer).live_bytes;
      for (int i = 0; i < kEntries; ++i) rig.Feed();
      bytes_per_entry = (testing::Usage(Arena::kServer).live_bytes - b0) / kEntries;
      synacks = rig.sink().synacks;
      allocs = testing::Usage(Arena::kOther).allocations;
      in_queue = kEntries;
      state.ResumeTiming();
      continue;
    }
    rig.Feed();
    ++in_queue;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes_per_entry"] = static_cast<double>(bytes_per_entry);
  state.counters["sizeof_request_sock"] = sizeof(tcp::RequestSock);
  state.counters["allocs_per_syn"] =
      static_cast<double>(testing::Usage(Arena::kOther).allocations - allocs - pause_allocs) /
      static_cast<double>(state.iterations());
  state.counters["synacks_per_syn"] =
      static_cast<double>(rig.sink().synacks - synacks) / static_cast<double>(state.iterations());
}

void BM_MillionSynFlood(benchmark::State& state) {
  testing::synflood::FloodResult r;
  for (auto _ : state) r = testing::synflood::RunFlood(1, 1'000'000, 1);
  if (r.completed != testing::synflood::kClients) state.SkipWithError("a client failed");
  state.counters["flood_syns_per_wall_s"] = static_cast<double>(r.syns) / r.wall_seconds;
  state.counters["peak_heap_growth"] = static_cast<double>(r.peak_growth_bytes);
  state.counters["max_request_entries"] = static_cast<double>(r.max_requests);
  state.counters["clients_completed"] = static_cast<double>(r.completed);
}

}  // namespace
}  // namespace taptcp::bench

using taptcp::bench::BM_SynToCookieSynAck;
BENCHMARK(BM_SynToCookieSynAck<2, true>)->Name("BM_SynToCookieSynAck/always");
BENCHMARK(BM_SynToCookieSynAck<1, true>)->Name("BM_SynToCookieSynAck/queue_full");
BENCHMARK(BM_SynToCookieSynAck<2, false>)->Name("BM_SynToCookieSynAck/bare");
BENCHMARK(taptcp::bench::BM_SynDropped)->Name("BM_SynDropped/queue_full");
BENCHMARK(taptcp::bench::BM_SynToRequest)->Name("BM_SynToRequest");
BENCHMARK(taptcp::bench::BM_MillionSynFlood)
    ->Name("BM_MillionSynFlood/cookies")
    ->Iterations(1)
    ->Unit(benchmark::kSecond);

BENCHMARK_MAIN();
