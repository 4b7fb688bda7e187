// TCP benchmarks: taptcp against the Linux kernel in the same run (DESIGN.md "Tests, from cheap to
// real", item 6: every headline number is a ratio against a baseline measured in the same run).
//
//   BM_Lifecycle/taptcp   connect, 64-byte request, 64-byte response, close by the client, between
//                         two taptcp stacks on a zero-delay sim link (so it measures CPU, not
//                         virtual time), one thread. Every kTimeWaitBatch connections virtual time
//                         jumps 2 MSL (kPastTimeWait) so the client's TIME_WAIT entries expire
//                         instead of piling up.
//   BM_Lifecycle/taptcp_direct  the same with the two stacks wired back to back (a FIFO of frame
//                         copies): the stacks' own cost, without the simulator's event heap and
//                         its per-frame random draws.
//   BM_Lifecycle/kernel   the same over loopback, both ends on this one thread with blocking
//                         sockets: loopback delivers inside the sender's system call, so no call
//                         ever waits for the other end, and like taptcp it uses one core.
//   BM_Lifecycle/kernel_2threads  client here, server on a second thread (accept, read, write,
//                         read EOF, close); the wall clock may then use both cores, so compare
//                         its conns_per_cpu_s (process CPU time, both threads).
//   BM_Bulk/taptcp[_direct]  64 MiB per iteration over one connection, MSS 1460 (MTU 1500), 4 MiB
//                         send and receive buffers (tcp_wmem / tcp_rmem), one thread. The link
//                         offers checksum offload and TSO as lo does: 64 KiB super-segments
//                         cross whole and the receiver takes them as GRO would.
//   BM_Bulk/taptcp_no_offload  the same with no offloads: every 1448-byte segment is built,
//                         checksummed, carried and parsed on its own.
//   BM_Bulk/kernel        the same over lo at MTU 1500, one thread, non-blocking; lo keeps its
//                         TSO/GSO, so the kernel moves 64 KiB super-packets that are never cut,
//                         and it never computes a checksum on loopback.
//   BM_Bulk/kernel_no_tso lo with TSO and GSO off: one skb per segment, like taptcp_no_offload.
//   BM_Memory/taptcp      bytes per established connection beyond its buffers' data storage,
//                         counted by this binary's operator new, with a breakdown; the kernel's
//                         TCP and tw_sock_TCP slab object sizes (/proc/slabinfo) as the baseline.
//
// Network safety: the kernel benchmarks (tcp_bench_kernel.cc) run only inside a network namespace
// this process creates at the start of main, and only ever use 127.0.0.1 there. Without
// CAP_SYS_ADMIN they are skipped with the reason and the taptcp rows still run.
//
//   build/tests/bench/tcp_bench --benchmark_repetitions=3
// prints, after the table, "ratio lifecycle taptcp/kernel = N.Nx" and the other ratio lines,
// from the medians just measured, then the memory breakdown; tests/bench/compare_kernel.sh runs
// it so and keeps only that summary. The lifecycle rows also count heap allocations per
// connection (allocs_per_conn, both stacks), outside the timed loop.
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <new>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "benchmark/benchmark.h"
#include "stack/sim/network.h"
#include "stack/stack.h"
#include "stack/tcp/congestion.h"
#include "stack/tcp/reassembly.h"
#include "stack/tcp/sack_scoreboard.h"
#include "stack/tcp/send_buffer.h"
#include "tests/bench/tcp_bench_kernel.h"
#include "tests/support/tcp_pair.h"

// --- Counting operator new/delete ---
//
// Every allocation carries a 16-byte header with its requested size, so frees are counted exactly
// whichever delete form the caller uses. Counting is off except while BM_Memory measures (one
// thread); otherwise the cost is one relaxed load. Array new is counted apart from scalar new:
// in stack/ only the byte rings (ByteRing, make_unique_for_overwrite<uint8_t[]>) use it, which is
// how buffer data storage is told apart from everything else.
namespace {

std::atomic<bool> g_counting{false};
// Live (allocated minus freed) bytes and blocks, scalar and array apart; and every allocation.
std::atomic<int64_t> g_scalar_bytes{0}, g_scalar_allocs{0}, g_array_bytes{0}, g_array_allocs{0};
std::atomic<int64_t> g_new_calls{0}, g_new_bytes{0};
constexpr size_t kHeader = 16;

void Count(size_t n, bool array, int sign) {
  if (!g_counting.load(std::memory_order_relaxed)) return;
  (array ? g_array_bytes : g_scalar_bytes).fetch_add(sign * static_cast<int64_t>(n));
  (array ? g_array_allocs : g_scalar_allocs).fetch_add(sign);
  if (sign > 0) {
    g_new_calls.fetch_add(1);
    g_new_bytes.fetch_add(static_cast<int64_t>(n));
  }
}

void* Allocate(size_t n, bool array, bool nothrow) {
  void* base = std::malloc(n + kHeader);
  if (base == nullptr) {
    if (nothrow) return nullptr;
    throw std::bad_alloc();
  }
  *static_cast<size_t*>(base) = n;
  Count(n, array, +1);
  return static_cast<char*>(base) + kHeader;
}

void Free(void* p, bool array) {
  if (p == nullptr) return;
  char* base = static_cast<char*>(p) - kHeader;
  Count(*reinterpret_cast<size_t*>(base), array, -1);
  std::free(base);
}

// Over-aligned: the block starts `align` bytes before the pointer handed out; the size and the
// block's address sit in the 16 bytes just below it.
void* AllocateAligned(size_t n, std::align_val_t al, bool array, bool nothrow) {
  const size_t align = std::max(static_cast<size_t>(al), kHeader);
  void* base = std::aligned_alloc(align, (n + 2 * align - 1) / align * align);
  if (base == nullptr) {
    if (nothrow) return nullptr;
    throw std::bad_alloc();
  }
  char* p = static_cast<char*>(base) + align;
  reinterpret_cast<size_t*>(p)[-2] = n;
  reinterpret_cast<void**>(p)[-1] = base;
  Count(n, array, +1);
  return p;
}

void FreeAligned(void* p, bool array) {
  if (p == nullptr) return;
  Count(reinterpret_cast<size_t*>(p)[-2], array, -1);
  std::free(reinterpret_cast<void**>(p)[-1]);
}

}  // namespace

void* operator new(size_t n) { return Allocate(n, false, false); }
void* operator new[](size_t n) { return Allocate(n, true, false); }
void* operator new(size_t n, const std::nothrow_t&) noexcept { return Allocate(n, false, true); }
void* operator new[](size_t n, const std::nothrow_t&) noexcept { return Allocate(n, true, true); }
void operator delete(void* p) noexcept { Free(p, false); }
void operator delete[](void* p) noexcept { Free(p, true); }
void operator delete(void* p, size_t) noexcept { Free(p, false); }
void operator delete[](void* p, size_t) noexcept { Free(p, true); }
void operator delete(void* p, const std::nothrow_t&) noexcept { Free(p, false); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { Free(p, true); }
void* operator new(size_t n, std::align_val_t a) { return AllocateAligned(n, a, false, false); }
void* operator new[](size_t n, std::align_val_t a) { return AllocateAligned(n, a, true, false); }
void* operator new(size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return AllocateAligned(n, a, false, true);
}
void* operator new[](size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return AllocateAligned(n, a, true, true);
}
void operator delete(void* p, std::align_val_t) noexcept { FreeAligned(p, false); }
void operator delete[](void* p, std::align_val_t) noexcept { FreeAligned(p, true); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { FreeAligned(p, false); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { FreeAligned(p, true); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  FreeAligned(p, false);
}
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  FreeAligned(p, true);
}

namespace taptcp::bench {
namespace {

using testing::HostConfig;

struct Allocs {
  int64_t scalar_bytes = 0, scalar_allocs = 0, array_bytes = 0, array_allocs = 0;
  int64_t new_calls = 0, new_bytes = 0;
};

void StartCounting() {
  g_scalar_bytes = g_scalar_allocs = g_array_bytes = g_array_allocs = g_new_calls = g_new_bytes = 0;
  g_counting = true;
}

Allocs StopCounting() {
  g_counting = false;
  return {g_scalar_bytes.load(), g_scalar_allocs.load(), g_array_bytes.load(),
          g_array_allocs.load(), g_new_calls.load(),     g_new_bytes.load()};
}

// --- Two taptcp stacks, two ways ---

constexpr int kTimeWaitBatch = 512;  // connections between jumps of virtual time
// TIME_WAIT's 60 s plus the timer wheel's lateness (at most 1/8 of the delay): every TIME_WAIT
// entry armed before a jump of this size has expired after it.
constexpr Duration kPastTimeWait = seconds(68);

// On the simulator (stack/sim), as the scenario tests run: a zero-delay link and no recording tap
// (a benchmark must not keep every frame).
// Both rigs offer the stacks checksum offload and TSO unless told not to, as lo offers the kernel
// (a super-segment crosses whole and the receiver takes it as GRO hands it up).
constexpr wire::LinkOffloads kLoOffloads{.tx_csum = true, .tso = true, .gso_max_size = 65536};

class SimRig {
 public:
  explicit SimRig(bool offload = true) : pair_(sim::Impairments{.delay = Duration::zero()}) {
    pair_.link->set_tap(nullptr);
    if (offload) pair_.link->set_offloads(kLoOffloads);
  }
  Stack& client() { return *pair_.client; }
  Stack& server() { return *pair_.server; }
  // Delivers every frame in flight and everything they cause; virtual time does not move.
  void Pump() { pair_.net.RunUntil(pair_.net.now()); }
  void Advance(Duration d) { pair_.net.RunFor(d); }
  // Jumps to the next timer (a delayed ACK, say) and runs what it causes; false if none.
  bool RunNextTimer() {
    const std::optional<Instant> next = pair_.net.NextEvent();
    if (next) pair_.net.RunUntil(*next);
    return next.has_value();
  }

 private:
  testing::TcpPair pair_;
};

// Back to back: each frame is copied into a FIFO and handed to the other stack, in order. No
// event heap, no random draws: what is left is the stacks' own work plus one copy per frame.
class DirectRig {
 public:
  explicit DirectRig(bool offload = true)
      : ends_{End(this, 1, offload), End(this, 0, offload)},
        client_(HostConfig("02:00:00:00:00:0c", "192.0.2.10"), &ends_[0], kEpoch, 3),
        server_(HostConfig("02:00:00:00:00:0d", "192.0.2.20"), &ends_[1], kEpoch, 4),
        hosts_{&client_, &server_} {}
  Stack& client() { return client_; }
  Stack& server() { return server_; }
  void Pump() {
    // Frames sent while one is being delivered join the queue's tail; the one being delivered
    // is held by pointer, so the queue may grow meanwhile.
    while (head_ < queue_.size()) {
      Frame* f = queue_[head_++];
      const std::span<const uint8_t> bytes(f->bytes.data(), f->len);
      if (f->offload.any()) {
        hosts_[f->to]->InputOffloaded(bytes, f->offload, now_);
      } else {
        hosts_[f->to]->Input(bytes, now_);
      }
      pool_.push_back(f);
    }
    queue_.clear();
    head_ = 0;
  }
  void Advance(Duration d) { AdvanceTo(now_ + d); }
  bool RunNextTimer() {
    std::optional<Instant> next;
    for (Stack* h : hosts_) {
      const std::optional<Instant> d = h->NextDeadline();
      if (d && (!next || *d < *next)) next = d;
    }
    if (next) AdvanceTo(std::max(*next, now_));
    return next.has_value();
  }

 private:
  struct Frame {
    int to;
    size_t len;
    wire::Offload offload;
    std::array<uint8_t, 14 + 65535> bytes;  // the largest IPv4 packet plus the Ethernet header
  };
  class End final : public Link {
   public:
    End(DirectRig* rig, int to, bool offload) : rig_(rig), to_(to), offload_(offload) {}
    void Transmit(std::span<const uint8_t> frame, Instant) override { rig_->Push(to_, frame, {}); }
    void TransmitOffloaded(std::span<const uint8_t> frame, const wire::Offload& offload,
                           Instant) override {
      rig_->Push(to_, frame, offload);
    }
    wire::LinkOffloads offloads() const override {
      return offload_ ? kLoOffloads : wire::LinkOffloads{};
    }

   private:
    DirectRig* rig_;
    int to_;
    bool offload_;
  };

  void Push(int to, std::span<const uint8_t> frame, const wire::Offload& offload) {
    if (frame.size() > sizeof(Frame::bytes)) std::abort();  // no frame exceeds an IPv4 packet
    if (pool_.empty()) pool_.push_back(frames_.emplace_back(std::make_unique<Frame>()).get());
    Frame* f = pool_.back();
    pool_.pop_back();
    f->to = to;
    f->len = frame.size();
    f->offload = offload;
    std::memcpy(f->bytes.data(), frame.data(), frame.size());
    queue_.push_back(f);
  }
  void AdvanceTo(Instant t) {
    now_ = t;
    for (Stack* h : hosts_) h->Advance(now_);
    Pump();
  }

  // Declared before the stacks, so it outlives anything they might still send.
  std::vector<std::unique_ptr<Frame>> frames_;  // every frame buffer ever made
  std::vector<Frame*> queue_;                   // FIFO: [head_, size) are still to deliver
  size_t head_ = 0;
  std::vector<Frame*> pool_;  // free buffers
  Instant now_ = kEpoch;
  std::array<End, 2> ends_;
  Stack client_, server_;
  std::array<Stack*, 2> hosts_;
};

int Listen(Stack& s, uint16_t port, int backlog) {
  socket::SocketApi& api = s.sockets();
  const int fd = api.Socket();
  if (api.Bind(fd, {wire::Ipv4Address::Any(), port}) != 0 || api.Listen(fd, backlog) != 0) {
    return -1;
  }
  return fd;
}

socket::SockAddr Addr(Stack& s, uint16_t port) { return {s.config().addr, port}; }

template <class Rig>
void BM_LifecycleTaptcp(benchmark::State& state) {
  Rig rig;
  socket::SocketApi& ca = rig.client().sockets();
  socket::SocketApi& sa = rig.server().sockets();
  const int l = Listen(rig.server(), kPort, 1024);
  const socket::SockAddr to = Addr(rig.server(), kPort);
  std::array<uint8_t, 64> msg{}, buf{};
  const char* failed = l < 0 ? "listen" : nullptr;
  // One connection's life; returns the step that failed, or nullptr.
  auto life = [&]() -> const char* {
    const int c = ca.Socket();
    if (ca.Connect(c, to) != -EINPROGRESS) return "connect";
    rig.Pump();
    const int s = sa.Accept(l);
    if (s < 0 || ca.Send(c, msg) != 64) return "accept or request";
    rig.Pump();
    if (sa.Recv(s, buf) != 64 || sa.Send(s, msg) != 64) return "server recv or response";
    rig.Pump();
    if (ca.Recv(c, buf) != 64 || ca.Close(c) != 0) return "client recv or close";
    rig.Pump();
    if (sa.Recv(s, buf) != 0 || sa.Close(s) != 0) return "server EOF or close";
    rig.Pump();
    // Readiness hints pile up in SocketApi until taken; an event loop takes them every turn.
    ca.TakeChanged();
    sa.TakeChanged();
    return nullptr;
  };
  int64_t done = 0;
  const Stopwatch clock;
  for (auto _ : state) {
    if (failed != nullptr || (failed = life()) != nullptr) break;
    if (++done % kTimeWaitBatch == 0) rig.Advance(kPastTimeWait);
  }
  if (failed != nullptr) {
    state.SkipWithError(failed);
    return;
  }
  clock.Report(state, "conns", static_cast<double>(done));
  state.counters["client_tcbs_at_end"] = static_cast<double>(rig.client().tcp().connection_count());
  state.counters["server_tcbs_at_end"] = static_cast<double>(rig.server().tcp().connection_count());
  // Heap allocations per connection, both stacks and the rig together, counted after the timed
  // loop (counting costs atomics) over one batch that ends with its TIME_WAITs expiring.
  rig.Advance(kPastTimeWait);
  StartCounting();
  for (int i = 0; i < kTimeWaitBatch && failed == nullptr; ++i) failed = life();
  rig.Advance(kPastTimeWait);
  const Allocs allocs = StopCounting();
  if (failed != nullptr) state.SkipWithError(failed);
  state.counters["allocs_per_conn"] = static_cast<double>(allocs.new_calls) / kTimeWaitBatch;
  state.counters["alloc_bytes_per_conn"] = static_cast<double>(allocs.new_bytes) / kTimeWaitBatch;
}

template <class Rig, bool kOffload = true>
void BM_BulkTaptcp(benchmark::State& state) {
  Rig rig(kOffload);
  for (Stack* s : {&rig.client(), &rig.server()}) {
    if (!s->sysctl().Set("net.ipv4.tcp_rmem", "4096 4194304 6291456").ok() ||
        !s->sysctl().Set("net.ipv4.tcp_wmem", "4096 4194304 4194304").ok()) {
      state.SkipWithError("sysctl");
      return;
    }
  }
  socket::SocketApi& ca = rig.client().sockets();
  socket::SocketApi& sa = rig.server().sockets();
  const int l = Listen(rig.server(), kPort, 16);
  const int c = ca.Socket();
  ca.Connect(c, Addr(rig.server(), kPort));
  rig.Pump();
  const int s = sa.Accept(l);
  if (l < 0 || s < 0) {
    state.SkipWithError("establish");
    return;
  }
  std::vector<uint8_t> src(kChunk), dst(kChunk);
  for (size_t i = 0; i < src.size(); ++i) src[i] = static_cast<uint8_t>(i * 131);
  const uint64_t segs_before = rig.client().mib().Get(Counter::kTcpOutSegs);
  const char* failed = nullptr;
  const Stopwatch clock;
  for (auto _ : state) {
    uint64_t sent = 0, received = 0;
    while (received < kBulkBytes && failed == nullptr) {
      bool progress = false;
      while (sent < kBulkBytes) {
        const size_t len = static_cast<size_t>(std::min<uint64_t>(kChunk, kBulkBytes - sent));
        const int64_t n = ca.Send(c, std::span(src).first(len));
        if (n <= 0) {
          if (n != -EAGAIN) failed = "send";
          break;
        }
        sent += static_cast<uint64_t>(n);
        progress = true;
      }
      rig.Pump();
      for (int64_t n; (n = sa.Recv(s, dst)) > 0;) {
        received += static_cast<uint64_t>(n);
        progress = true;
      }
      rig.Pump();
      ca.TakeChanged();
      sa.TakeChanged();
      // Stuck on a timer (the delayed ACK for a last odd segment, which Nagle waits for): go to it.
      if (!progress && !rig.RunNextTimer()) failed = "stalled with no timer pending";
    }
    if (failed != nullptr) break;
  }
  if (failed != nullptr) {
    state.SkipWithError(failed);
    return;
  }
  const double iters = static_cast<double>(state.iterations());
  clock.Report(state, "bytes", iters * static_cast<double>(kBulkBytes));
  state.counters["segs_per_iter"] =
      static_cast<double>(rig.client().mib().Get(Counter::kTcpOutSegs) - segs_before) / iters;
  // Untimed: one more chunk arrives intact (a fast but broken stack must not pass).
  std::fill(dst.begin(), dst.end(), 0);
  size_t sent = 0, got = 0;
  while (got < kChunk) {
    const int64_t n = ca.Send(c, std::span(src).subspan(sent));
    if (n > 0) sent += static_cast<size_t>(n);
    rig.Pump();
    size_t before = got;
    for (int64_t m; got < kChunk && (m = sa.Recv(s, std::span(dst).subspan(got))) > 0;) {
      got += static_cast<size_t>(m);
    }
    rig.Pump();
    if (n <= 0 && got == before && !rig.RunNextTimer()) break;
  }
  ca.TakeChanged();
  sa.TakeChanged();
  if (got != kChunk || dst != src) state.SkipWithError("received bytes differ from those sent");
}

// --- Memory per connection ---

constexpr int kMemBatch = 256;  // connections opened at once: within tcp_max_syn_backlog (512)
constexpr int kMemWarmBatches = 2, kMemBatches = 16;

// Opens `count` connections at once and accepts them all.
bool EstablishBatch(SimRig& rig, int l, int count, std::vector<int>* cfds, std::vector<int>* sfds) {
  socket::SocketApi& ca = rig.client().sockets();
  socket::SocketApi& sa = rig.server().sockets();
  for (int i = 0; i < count; ++i) {
    const int c = ca.Socket();
    if (ca.Connect(c, Addr(rig.server(), kPort)) != -EINPROGRESS) return false;
    cfds->push_back(c);
  }
  rig.Pump();
  for (int i = 0; i < count; ++i) {
    const int s = sa.Accept(l);
    if (s < 0 || !(ca.Poll((*cfds)[cfds->size() - count + i]) & socket::kOut)) return false;
    sfds->push_back(s);
  }
  ca.TakeChanged();
  sa.TakeChanged();
  return true;
}

// The object size of a kernel slab cache ("TCP" holds struct tcp_sock), or 0.
double KernelSlabObjectSize(const std::string& cache) {
  std::ifstream in("/proc/slabinfo");
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string name;
    long active = 0, total = 0, objsize = 0;
    if (fields >> name >> active >> total >> objsize && name == cache) {
      return static_cast<double>(objsize);
    }
  }
  return 0;
}

void BM_MemoryTaptcp(benchmark::State& state) {
  constexpr int kConns = kMemBatch * kMemBatches;  // measured pairs: 2 * kConns connections
  constexpr size_t kWarm = kMemBatch * kMemWarmBatches;
  for (auto _ : state) {
    SimRig rig;
    const int l = Listen(rig.server(), kPort, 4096);
    std::vector<int> cfds, sfds;
    cfds.reserve(kWarm + kConns + 1);
    sfds.reserve(kWarm + kConns + 1);
    // Warm-up: the simulator's frame pool, the listener's request table and the accept queue
    // reach the size one batch needs, so what is counted next is the connections' own memory.
    bool ok = l >= 0;
    for (int b = 0; b < kMemWarmBatches && ok; ++b)
      ok = EstablishBatch(rig, l, kMemBatch, &cfds, &sfds);
    StartCounting();
    for (int b = 0; b < kMemBatches && ok; ++b)
      ok = EstablishBatch(rig, l, kMemBatch, &cfds, &sfds);
    const Allocs est = StopCounting();
    if (!ok) {
      state.SkipWithError("establish");
      return;
    }
    // Buffer storage each connection should own: its send ring (free_space() when idle) and its
    // receive ring (tcp_rmem[1]; neither side set SO_RCVBUF).
    const Sysctl& sc = rig.client().sysctl();
    const double rings =
        static_cast<double>(rig.client().tcp().Connections().front()->send_space()) +
        static_cast<double>(sc.tcp_rmem[1]);

    // TIME_WAIT: the client closes every measured connection, the server closes on EOF.
    socket::SocketApi& ca = rig.client().sockets();
    socket::SocketApi& sa = rig.server().sockets();
    std::array<uint8_t, 16> buf{};
    StartCounting();
    for (size_t i = kWarm; i < cfds.size(); ++i) ca.Close(cfds[i]);
    rig.Pump();
    for (size_t i = kWarm; i < sfds.size(); ++i) {
      if (sa.Recv(sfds[i], buf) != 0) ok = false;
      sa.Close(sfds[i]);
    }
    rig.Pump();
    ca.TakeChanged();
    sa.TakeChanged();
    const Allocs closed = StopCounting();
    // 2 MSL later the TIME_WAITs are gone; what is still held is freed only when the next segment
    // arrives (TcpLayer frees closed connections at the end of OnIpv4).
    StartCounting();
    rig.Advance(kPastTimeWait);
    const Allocs expired = StopCounting();
    StartCounting();
    ok = ok && EstablishBatch(rig, l, 1, &cfds, &sfds);
    const Allocs next = StopCounting();
    if (!ok) {
      state.SkipWithError("close");
      return;
    }

    // The socket layer's share: one descriptor (its Sock and its std::map node).
    constexpr int kFds = 1024;
    StartCounting();
    for (int i = 0; i < kFds; ++i) ca.Socket();
    const Allocs fds = StopCounting();

    // Parts measured alone, the same way; the buffers on the stack so only what they allocate
    // is counted.
    StartCounting();
    auto cc = tcp::MakeCongestionControl(sc.tcp_congestion_control);
    const Allocs cc_allocs = StopCounting();
    std::optional<tcp::ReceiveBuffer> rcv;
    std::optional<tcp::SendBuffer> snd;
    StartCounting();
    rcv.emplace(sc.tcp_rmem[1]);
    const Allocs rcv_allocs = StopCounting();
    StartCounting();
    snd.emplace(sc.tcp_wmem[1]);
    const Allocs snd_allocs = StopCounting();
    std::optional<tcp::SackScoreboard> scoreboard;
    StartCounting();
    scoreboard.emplace();
    const Allocs scoreboard_allocs = StopCounting();
    // The connection table (TcpLayer::conns_'s type) grown over the same range of sizes.
    absl::flat_hash_map<tcp::FourTuple, std::unique_ptr<tcp::Connection>> table;
    auto key = [](size_t i) {
      return tcp::FourTuple{wire::Ipv4Address::FromOctets(192, 0, 2, 10), static_cast<uint16_t>(i),
                            wire::Ipv4Address::FromOctets(192, 0, 2, 20), kPort};
    };
    for (size_t i = 0; i < kWarm; ++i) table.emplace(key(i), nullptr);
    StartCounting();
    for (size_t i = kWarm; i < kWarm + kConns; ++i) table.emplace(key(i), nullptr);
    const Allocs table_allocs = StopCounting();

    const double n = 2.0 * kConns;
    const double socket_fd = static_cast<double>(fds.scalar_bytes) / kFds;
    const double all = static_cast<double>(est.scalar_bytes) / n;
    state.counters["tcb_bytes"] = all - socket_fd;
    state.counters["with_socket_bytes"] = all;
    state.counters["allocs_per_conn"] = static_cast<double>(est.scalar_allocs) / n;
    state.counters["sizeof_connection"] = sizeof(tcp::Connection);
    state.counters["hash_entry"] = static_cast<double>(table_allocs.scalar_bytes) / kConns;
    state.counters["cc_object"] = static_cast<double>(cc_allocs.scalar_bytes);
    state.counters["rcvbuf_heap"] = static_cast<double>(rcv_allocs.scalar_bytes);
    state.counters["sndbuf_heap"] = static_cast<double>(snd_allocs.scalar_bytes);
    state.counters["scoreboard_heap"] = static_cast<double>(scoreboard_allocs.scalar_bytes);
    state.counters["rcvbuf_inline"] = sizeof(tcp::ReceiveBuffer);
    state.counters["sndbuf_inline"] = sizeof(tcp::SendBuffer);
    state.counters["socket_fd"] = socket_fd;
    state.counters["ring_bytes"] = static_cast<double>(est.array_bytes) / n;
    state.counters["ring_expected"] = rings;
    // What the client's TIME_WAIT entries still hold, all kinds of allocation together.
    auto held = [](std::initializer_list<Allocs> phases) {
      int64_t bytes = 0;
      for (const Allocs& a : phases) bytes += a.scalar_bytes + a.array_bytes;
      return static_cast<double>(bytes) / kConns;
    };
    state.counters["time_wait_bytes"] = held({est, closed});
    state.counters["held_after_2msl"] = held({est, closed, expired});
    state.counters["held_after_next_segment"] = held({est, closed, expired, next});
    state.counters["kernel_tcp_slab"] = KernelSlabObjectSize("TCP");
    state.counters["kernel_tw_slab"] = KernelSlabObjectSize("tw_sock_TCP");
    benchmark::DoNotOptimize(cc);
  }
}

// --- Summary ---

// Console output as usual, plus the counters kept for the ratio lines: medians when
// --benchmark_repetitions is given, else the single run.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  // Colours only on a terminal: a custom reporter does not get --benchmark_color's choice.
  explicit RatioReporter(const KernelNet& net)
      : ConsoleReporter(isatty(STDOUT_FILENO) ? OO_ColorTabular : OO_Tabular), net_(net) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      const std::string name = run.run_name.function_name;
      if (run.error_occurred) {
        errors_[name] = run.error_message;
        continue;
      }
      const bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
      if (run.run_type == Run::RT_Aggregate && !median) continue;
      if (!median && medians_.count(name)) continue;
      if (median) medians_.insert(name);
      for (const auto& [counter, value] : run.counters) results_[name][counter] = value.value;
    }
  }

  void PrintSummary() const {
    std::printf(
        "\nRatios (same run, same machine; medians when repeated). The first figure divides\n"
        "wall-clock rates; \"cpu\" divides rates per second of process CPU time, which a busy\n"
        "machine disturbs less:\n");
    if (!net_.ok) std::printf("kernel baseline skipped: %s\n", net_.why.c_str());
    Ratio("lifecycle", "taptcp", "BM_Lifecycle/taptcp", "BM_Lifecycle/kernel", "conns",
          "one thread each; target >= 10x");
    Ratio("lifecycle direct", "taptcp_direct", "BM_Lifecycle/taptcp_direct", "BM_Lifecycle/kernel",
          "conns", "stacks back to back, without the simulator");
    Ratio("lifecycle vs 2 threads", "taptcp", "BM_Lifecycle/taptcp", "BM_Lifecycle/kernel_2threads",
          "conns", "kernel client and server on two threads: compare cpu");
    Ratio("bulk", "taptcp", "BM_Bulk/taptcp", "BM_Bulk/kernel", "bytes",
          "one thread each, lo with TSO/GSO; target >= 1x");
    Ratio("bulk direct", "taptcp_direct", "BM_Bulk/taptcp_direct", "BM_Bulk/kernel", "bytes",
          "stacks back to back, lo with TSO/GSO");
    Ratio("bulk without offloads", "taptcp_no_offload", "BM_Bulk/taptcp_no_offload",
          "BM_Bulk/kernel_no_tso", "bytes",
          "every segment built, checksummed and parsed; lo with TSO and GSO off");
    PrintMemory();
  }

 private:
  double Get(const std::string& bench, const std::string& counter) const {
    const auto b = results_.find(bench);
    if (b == results_.end()) return 0;
    const auto c = b->second.find(counter);
    return c == b->second.end() ? 0 : c->second;
  }

  static std::string Si(double v) {
    const char* suffix[] = {"", "k", "M", "G", "T"};
    int i = 0;
    for (; v >= 1000 && i < 4; ++i) v /= 1000;
    char out[32];
    std::snprintf(out, sizeof out, "%.3g%s", v, suffix[i]);
    return out;
  }

  // "ratio <what> <ours_label>/kernel = N.Nx" from <unit>_per_s, then the same per CPU second.
  void Ratio(const char* what, const char* ours_label, const std::string& ours,
             const std::string& base, const std::string& unit, const char* note) const {
    for (const std::string& name : {ours, base}) {
      if (results_.count(name) == 0) {
        const auto e = errors_.find(name);
        std::printf("ratio %s %s/kernel: not measured (%s: %s)\n", what, ours_label, name.c_str(),
                    e != errors_.end() ? e->second.c_str() : "filtered out");
        return;
      }
    }
    const double x = Get(ours, unit + "_per_s"), y = Get(base, unit + "_per_s");
    const double xc = Get(ours, unit + "_per_cpu_s"), yc = Get(base, unit + "_per_cpu_s");
    std::printf("ratio %s %s/kernel = %.1fx  (%s %s, kernel %s %s/s; cpu %.1fx: %s vs %s; %s)\n",
                what, ours_label, y > 0 ? x / y : 0.0, ours_label, Si(x).c_str(), Si(y).c_str(),
                unit.c_str(), yc > 0 ? xc / yc : 0.0, Si(xc).c_str(), Si(yc).c_str(), note);
  }

  void PrintMemory() const {
    const std::string m = "BM_Memory/taptcp";
    if (results_.count(m) == 0) return;
    auto get = [&](const char* counter) { return Get(m, counter); };
    const double tcb = get("tcb_bytes");
    const double parts = get("sizeof_connection") + get("hash_entry") + get("cc_object") +
                         get("rcvbuf_heap") + get("sndbuf_heap") + get("scoreboard_heap");
    std::printf(
        "\nbytes per established connection, buffer data excluded = %.0f (target <= 1024)\n"
        "  sizeof(tcp::Connection)            %5.0f  (inline: SendBuffer %.0f, ReceiveBuffer %.0f,"
        " 3 timers %zu)\n"
        "  connection table entry, amortized  %5.0f  (slot %zu B + 1 control byte, growth slack)\n"
        "  congestion control object          %5.0f  (%s)\n"
        "  ReceiveBuffer heap besides data    %5.0f  (out-of-order range array reserved up front)\n"
        "  SendBuffer heap besides data       %5.0f\n"
        "  SackScoreboard heap                %5.0f  (its range array, also reserved up front)\n"
        "  other                              %5.0f\n"
        "  + socket layer per descriptor      %5.0f  (SocketApi::Sock and its std::map node)\n"
        "  heap allocations per connection    %5.1f  (socket included, buffer rings not)\n"
        "  buffer data per connection      %8.0f  (expected %.0f: send ring + tcp_rmem[1])\n"
        "  held per TIME_WAIT entry        %8.0f  (the whole TCB and its rings, for 60 s)\n"
        "  still held 2 MSL later          %8.0f  (freed only when a segment next arrives: %.0f)\n",
        tcb, get("sizeof_connection"), get("sndbuf_inline"), get("rcvbuf_inline"),
        3 * sizeof(timers::Timer), get("hash_entry"),
        sizeof(std::pair<const tcp::FourTuple, std::unique_ptr<tcp::Connection>>), get("cc_object"),
        Sysctl{}.tcp_congestion_control.c_str(), get("rcvbuf_heap"), get("sndbuf_heap"),
        get("scoreboard_heap"), tcb - parts, get("socket_fd"), get("allocs_per_conn"),
        get("ring_bytes"), get("ring_expected"), get("time_wait_bytes"), get("held_after_2msl"),
        get("held_after_next_segment"));
    if (get("kernel_tcp_slab") > 0 && tcb > 0 && get("time_wait_bytes") > 0) {
      std::printf(
          "ratio memory kernel/taptcp = %.1fx  (kernel TCP slab object %.0f B, taptcp %.0f B)\n"
          "ratio time_wait kernel/taptcp = %.4fx  (kernel tw_sock_TCP %.0f B, taptcp %.0f B)\n",
          get("kernel_tcp_slab") / tcb, get("kernel_tcp_slab"), tcb,
          get("kernel_tw_slab") / get("time_wait_bytes"), get("kernel_tw_slab"),
          get("time_wait_bytes"));
    }
  }

  const KernelNet& net_;
  std::map<std::string, std::map<std::string, double>> results_;
  std::map<std::string, std::string> errors_;
  std::set<std::string> medians_;
};

void RegisterAll(const KernelNet& net) {
  benchmark::RegisterBenchmark("BM_Lifecycle/taptcp", BM_LifecycleTaptcp<SimRig>)->UseRealTime();
  benchmark::RegisterBenchmark("BM_Lifecycle/taptcp_direct", BM_LifecycleTaptcp<DirectRig>)
      ->UseRealTime();
  RegisterKernelLifecycle(net);
  for (auto* b :
       {benchmark::RegisterBenchmark("BM_Bulk/taptcp", BM_BulkTaptcp<SimRig>),
        benchmark::RegisterBenchmark("BM_Bulk/taptcp_direct", BM_BulkTaptcp<DirectRig>),
        benchmark::RegisterBenchmark("BM_Bulk/taptcp_no_offload", BM_BulkTaptcp<SimRig, false>)}) {
    b->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(1.0);
  }
  RegisterKernelBulk(net);
  benchmark::RegisterBenchmark("BM_Memory/taptcp", BM_MemoryTaptcp)
      ->Iterations(1)
      ->Unit(benchmark::kMillisecond);
}

int Main(int argc, char** argv) {
  const KernelNet net = EnterPrivateNetns();  // first: the process must still have one thread
  if (net.ok) {
    std::printf("kernel baseline: loopback in a private network namespace, lo mtu 1500\n");
  } else {
    std::printf("kernel baseline skipped: %s\n", net.why.c_str());
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RegisterAll(net);
  RatioReporter reporter(net);
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintSummary();
  benchmark::Shutdown();
  return 0;
}

}  // namespace
}  // namespace taptcp::bench

int main(int argc, char** argv) { return taptcp::bench::Main(argc, argv); }
