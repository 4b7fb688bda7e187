// TCP benchmarks: taptcp against the Linux kernel in the same run (DESIGN.md "Tests, from cheap to
// real", item 6: every headline number is a ratio against a baseline measured in the same run).
//
//   BM_Lifecycle/taptcp   connect, 64-byte request, 64-byte response, close by the client, between
//                         two taptcp stacks on a zero-delay sim link (so it measures CPU, not
//                         virtual time), one thread. Every kTimeWaitBatch connections virtual time
//                         jumps 61 s so the client's TIME_WAIT entries expire instead of piling up.
//   BM_Lifecycle/kernel   the same over loopback, both ends on this one thread with blocking
//                         sockets: loopback delivers inside the sender's system call, so no call
//                         ever waits for the other end, and like taptcp it uses one core.
//   BM_Lifecycle/kernel_2threads  client here, server on a second thread (accept, read, write,
//                         read EOF, close); the wall clock may then use both cores, so compare
//                         its conns_per_cpu_s (process CPU time, both threads).
//   BM_Bulk/taptcp        64 MiB per iteration over one connection, MSS 1460 (MTU 1500), 4 MiB
//                         send and receive buffers (tcp_wmem / tcp_rmem), one thread.
//   BM_Bulk/kernel        the same over lo at MTU 1500, one thread, non-blocking; lo keeps its
//                         TSO/GSO, so the kernel moves 64 KiB super-packets that are never cut.
//   BM_Bulk/kernel_no_tso lo with TSO and GSO off: one skb per segment, like taptcp's frames.
//   BM_Memory/taptcp      bytes per established connection beyond its buffers' data storage,
//                         counted by this binary's operator new, with a breakdown; the kernel's
//                         TCP and tw_sock_TCP slab object sizes (/proc/slabinfo) as the baseline.
//
// Network safety: the kernel benchmarks run only inside a network namespace this process creates
// at the start of main (before any thread exists, so every thread inherits it), and only ever use
// 127.0.0.1 there. Without CAP_SYS_ADMIN they are skipped with the reason and taptcp still runs.
//
//   build/tests/bench/tcp_bench --benchmark_repetitions=3
// prints, after the table, "ratio lifecycle taptcp/kernel = N.Nx" and the other ratio lines,
// from the medians just measured.
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <malloc.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <new>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "benchmark/benchmark.h"
#include "stack/tcp/congestion.h"
#include "stack/tcp/reassembly.h"
#include "stack/tcp/send_buffer.h"
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
std::atomic<int64_t> g_scalar_bytes{0}, g_scalar_allocs{0}, g_array_bytes{0}, g_array_allocs{0};
constexpr size_t kHeader = 16;

void Count(size_t n, bool array, int sign) {
  if (!g_counting.load(std::memory_order_relaxed)) return;
  (array ? g_array_bytes : g_scalar_bytes).fetch_add(sign * static_cast<int64_t>(n));
  (array ? g_array_allocs : g_scalar_allocs).fetch_add(sign);
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

namespace taptcp {
namespace {

using testing::TcpPair;

struct Allocs {
  int64_t scalar_bytes = 0, scalar_allocs = 0, array_bytes = 0, array_allocs = 0;
};

void StartCounting() {
  g_scalar_bytes = g_scalar_allocs = g_array_bytes = g_array_allocs = 0;
  g_counting = true;
}

Allocs StopCounting() {
  g_counting = false;
  return {g_scalar_bytes.load(), g_scalar_allocs.load(), g_array_bytes.load(),
          g_array_allocs.load()};
}

// --- Clocks ---

double WallSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Process CPU time: every thread, kernel time included (loopback's softirq work runs in the
// sending thread's system calls).
double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Stopwatch {
  double wall = WallSeconds(), cpu = CpuSeconds();
  // Sets <what>_per_s (wall clock) and <what>_per_cpu_s for `amount` done since construction.
  void Report(benchmark::State& state, const std::string& what, double amount) const {
    const double w = WallSeconds() - wall, c = CpuSeconds() - cpu;
    state.counters[what + "_per_s"] = w > 0 ? amount / w : 0;
    state.counters[what + "_per_cpu_s"] = c > 0 ? amount / c : 0;
  }
};

// --- taptcp: two stacks on a zero-delay sim link ---

constexpr int kTimeWaitBatch = 512;  // connections between 61 s jumps of virtual time
constexpr uint64_t kBulkBytes = uint64_t{64} << 20;
constexpr size_t kChunk = size_t{1} << 20;  // bytes per send()/recv() call in the bulk runs
constexpr uint16_t kPort = 5001;  // kernel runs use kPort..kPort+3, below the ephemeral range

const sim::Impairments kZeroDelay{.delay = Duration::zero()};

// A pair with no recording tap: a benchmark must not keep every frame.
std::unique_ptr<TcpPair> MakePair() {
  auto p = std::make_unique<TcpPair>(kZeroDelay);
  p->link->set_tap(nullptr);
  return p;
}

// Delivers every frame in flight and everything they cause; virtual time does not move.
void Pump(TcpPair& p) { p.net.RunUntil(p.net.now()); }

void BM_LifecycleTaptcp(benchmark::State& state) {
  auto p = MakePair();
  const int l = p->Listen(kPort, 1024);
  socket::SocketApi& ca = p->client->sockets();
  socket::SocketApi& sa = p->server->sockets();
  std::array<uint8_t, 64> msg{}, buf{};
  const char* error = nullptr;
  int64_t done = 0;
  const Stopwatch clock;
  for (auto _ : state) {
    const int c = ca.Socket();
    if (ca.Connect(c, p->ServerAddr(kPort)) != -EINPROGRESS) error = "connect";
    Pump(*p);
    const int s = sa.Accept(l);
    if (s < 0 || ca.Send(c, msg) != 64) error = "accept or request";
    Pump(*p);
    if (sa.Recv(s, buf) != 64 || sa.Send(s, msg) != 64) error = "server recv or response";
    Pump(*p);
    if (ca.Recv(c, buf) != 64 || ca.Close(c) != 0) error = "client recv or close";
    Pump(*p);
    if (sa.Recv(s, buf) != 0 || sa.Close(s) != 0) error = "server EOF or close";
    Pump(*p);
    // Readiness hints pile up in SocketApi until taken; an event loop takes them every turn.
    ca.TakeChanged();
    sa.TakeChanged();
    if (error != nullptr) break;
    if (++done % kTimeWaitBatch == 0) p->net.RunFor(seconds(61));
  }
  if (error != nullptr) {
    state.SkipWithError(error);
    return;
  }
  clock.Report(state, "conns", static_cast<double>(done));
  state.counters["client_tcbs_at_end"] = static_cast<double>(p->client->tcp().connection_count());
  state.counters["server_tcbs_at_end"] = static_cast<double>(p->server->tcp().connection_count());
}

void BM_BulkTaptcp(benchmark::State& state) {
  auto p = MakePair();
  for (Stack* s : {p->client.get(), p->server.get()}) {
    if (!s->sysctl().Set("net.ipv4.tcp_rmem", "4096 4194304 6291456").ok() ||
        !s->sysctl().Set("net.ipv4.tcp_wmem", "4096 4194304 4194304").ok()) {
      state.SkipWithError("sysctl");
      return;
    }
  }
  const int l = p->Listen(kPort);
  const auto [c, s] = p->Establish(l, kPort);
  if (s < 0) {
    state.SkipWithError("establish");
    return;
  }
  socket::SocketApi& ca = p->client->sockets();
  socket::SocketApi& sa = p->server->sockets();
  std::vector<uint8_t> src(kChunk), dst(kChunk);
  for (size_t i = 0; i < src.size(); ++i) src[i] = static_cast<uint8_t>(i * 131);
  const uint64_t segs_before = p->client->mib().Get(Counter::kTcpOutSegs);
  const char* error = nullptr;
  const Stopwatch clock;
  for (auto _ : state) {
    uint64_t sent = 0, received = 0;
    while (received < kBulkBytes && error == nullptr) {
      bool progress = false;
      while (sent < kBulkBytes) {
        const int64_t n =
            ca.Send(c, std::span(src).first(std::min<uint64_t>(kChunk, kBulkBytes - sent)));
        if (n <= 0) {
          if (n != -EAGAIN) error = "send";
          break;
        }
        sent += static_cast<uint64_t>(n);
        progress = true;
      }
      Pump(*p);
      for (int64_t n; (n = sa.Recv(s, dst)) > 0;) {
        received += static_cast<uint64_t>(n);
        progress = true;
      }
      Pump(*p);
      ca.TakeChanged();
      sa.TakeChanged();
      if (!progress) {
        // Waiting on a timer (a delayed ACK for the last odd segment): jump to it.
        const std::optional<Instant> next = p->net.NextEvent();
        if (!next) error = "stalled with nothing scheduled";
        if (next) p->net.RunUntil(*next);
      }
    }
    if (error != nullptr) break;
  }
  if (error != nullptr) {
    state.SkipWithError(error);
    return;
  }
  const double iters = static_cast<double>(state.iterations());
  clock.Report(state, "bytes", iters * static_cast<double>(kBulkBytes));
  state.counters["segs_per_iter"] =
      static_cast<double>(p->client->mib().Get(Counter::kTcpOutSegs) - segs_before) / iters;
}

// --- Memory per connection ---

constexpr int kMemBatch = 256;  // connections opened at once: within tcp_max_syn_backlog (512)
constexpr int kMemWarmBatches = 2, kMemBatches = 16;

// Opens `count` connections at once and accepts them all.
bool EstablishBatch(TcpPair& p, int l, int count, std::vector<int>* cfds, std::vector<int>* sfds) {
  socket::SocketApi& ca = p.client->sockets();
  socket::SocketApi& sa = p.server->sockets();
  for (int i = 0; i < count; ++i) {
    const int c = ca.Socket();
    if (ca.Connect(c, p.ServerAddr(kPort)) != -EINPROGRESS) return false;
    cfds->push_back(c);
  }
  Pump(p);
  for (int i = 0; i < count; ++i) {
    const int s = sa.Accept(l);
    if (s < 0 || !(ca.Poll((*cfds)[cfds->size() - count + i]) & socket::kOut)) return false;
    sfds->push_back(s);
  }
  ca.TakeChanged();
  sa.TakeChanged();
  return true;
}

// The object size of a kernel slab cache ("TCP" is struct tcp_sock and its parents), or 0.
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
  for (auto _ : state) {
    auto p = MakePair();
    const int l = p->Listen(kPort, 4096);
    std::vector<int> cfds, sfds;
    cfds.reserve(kMemBatch * (kMemWarmBatches + kMemBatches));
    sfds.reserve(cfds.capacity());
    // Warm-up: the simulator's frame pool, the listener's request table and the accept queue
    // reach the size one batch needs, so what is counted next is the connections' own memory.
    for (int b = 0; b < kMemWarmBatches; ++b) {
      if (!EstablishBatch(*p, l, kMemBatch, &cfds, &sfds)) {
        state.SkipWithError("warm-up");
        return;
      }
    }
    StartCounting();
    bool ok = true;
    for (int b = 0; b < kMemBatches && ok; ++b) ok = EstablishBatch(*p, l, kMemBatch, &cfds, &sfds);
    const Allocs est = StopCounting();
    if (!ok) {
      state.SkipWithError("establish");
      return;
    }
    // Buffer storage each connection should own: its send ring (free_space() when idle) and its
    // receive ring (tcp_rmem[1]; neither side set SO_RCVBUF).
    const tcp::Connection* any = p->client->tcp().Connections().front();
    const double rings = static_cast<double>(any->send_space()) +
                         static_cast<double>(p->client->sysctl().tcp_rmem[1]);

    // TIME_WAIT: the client closes every measured connection, the server closes on EOF.
    StartCounting();
    socket::SocketApi& ca = p->client->sockets();
    socket::SocketApi& sa = p->server->sockets();
    std::array<uint8_t, 16> buf{};
    for (size_t i = kMemBatch * kMemWarmBatches; i < cfds.size(); ++i) ca.Close(cfds[i]);
    Pump(*p);
    for (size_t i = kMemBatch * kMemWarmBatches; i < sfds.size(); ++i) {
      if (sa.Recv(sfds[i], buf) != 0) ok = false;
      sa.Close(sfds[i]);
    }
    Pump(*p);
    ca.TakeChanged();
    sa.TakeChanged();
    const Allocs closed = StopCounting();

    // The socket layer's share: one descriptor (its Sock and its std::map node).
    StartCounting();
    constexpr int kFds = 1024;
    for (int i = 0; i < kFds; ++i) ca.Socket();
    const Allocs fds = StopCounting();

    // Parts measured alone, the same way.
    StartCounting();
    auto cc = tcp::MakeCongestionControl(p->client->sysctl().tcp_congestion_control);
    const Allocs cc_allocs = StopCounting();
    std::optional<tcp::ReceiveBuffer> rcv;  // on the stack: only what it allocates is counted
    std::optional<tcp::SendBuffer> snd;
    StartCounting();
    rcv.emplace(p->client->sysctl().tcp_rmem[1]);
    const Allocs rcv_allocs = StopCounting();
    StartCounting();
    snd.emplace(p->client->sysctl().tcp_wmem[1]);
    const Allocs snd_allocs = StopCounting();
    // The connection table (TcpLayer::conns_'s type), grown over the same range of sizes.
    absl::flat_hash_map<tcp::FourTuple, std::unique_ptr<tcp::Connection>> table;
    auto key = [](int i) {
      return tcp::FourTuple{wire::Ipv4Address::FromOctets(192, 0, 2, 10), static_cast<uint16_t>(i),
                            wire::Ipv4Address::FromOctets(192, 0, 2, 20), kPort};
    };
    for (int i = 0; i < kMemBatch * kMemWarmBatches; ++i) table.emplace(key(i), nullptr);
    StartCounting();
    for (int i = 0; i < kConns; ++i) table.emplace(key(kMemBatch * kMemWarmBatches + i), nullptr);
    const Allocs table_allocs = StopCounting();
    if (!ok) {
      state.SkipWithError("close");
      return;
    }

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
    state.counters["rcvbuf_inline"] = sizeof(tcp::ReceiveBuffer);
    state.counters["sndbuf_inline"] = sizeof(tcp::SendBuffer);
    state.counters["socket_fd"] = socket_fd;
    state.counters["ring_bytes"] = static_cast<double>(est.array_bytes) / n;
    state.counters["ring_expected"] = rings;
    state.counters["time_wait_bytes"] =
        static_cast<double>(est.scalar_bytes + est.array_bytes + closed.scalar_bytes +
                            closed.array_bytes) /
        kConns;
    state.counters["kernel_tcp_slab"] = KernelSlabObjectSize("TCP");
    state.counters["kernel_tw_slab"] = KernelSlabObjectSize("tw_sock_TCP");
    benchmark::DoNotOptimize(cc);
  }
}

// --- The kernel baseline: loopback in a private network namespace ---

struct KernelNet {
  bool ok = false;
  std::string why;  // what failed, when !ok
};
KernelNet g_kernel;

bool WriteFile(const char* path, const char* value) {
  const int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const auto n = write(fd, value, std::strlen(value));
  close(fd);
  return n == static_cast<ssize_t>(std::strlen(value));
}

ino_t NetnsInode() {
  struct stat st {};
  return stat("/proc/self/ns/net", &st) == 0 ? st.st_ino : 0;
}

std::string Errno(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

// Runs once at the start of main, while the process has one thread: unshare() moves only the
// calling thread, and threads started later inherit its namespace.
KernelNet EnterPrivateNetns() {
  KernelNet k;
  const ino_t before = NetnsInode();
  if (unshare(CLONE_NEWNET) != 0) {
    k.why = Errno("unshare(CLONE_NEWNET)") +
            (errno == EPERM ? " (needs CAP_SYS_ADMIN: run as root, or under `unshare -rn`)" : "");
    return k;
  }
  if (before == 0 || NetnsInode() == before) {
    k.why = "no new network namespace after unshare(CLONE_NEWNET)";
    return k;
  }
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) != 0) {
    k.why = Errno("SIOCGIFFLAGS lo");
  } else if (ifr.ifr_flags |= IFF_UP; ioctl(fd, SIOCSIFFLAGS, &ifr) != 0) {
    k.why = Errno("SIOCSIFFLAGS lo up");
  } else if (ifr.ifr_mtu = 1500; ioctl(fd, SIOCSIFMTU, &ifr) != 0) {
    k.why = Errno("SIOCSIFMTU lo 1500");
  } else {
    k.ok = true;
  }
  if (fd >= 0) close(fd);
  // The client keeps a TIME_WAIT per connection for 60 s (reused after 1 s on loopback,
  // tcp_tw_reuse=2), so a long run wants many ports; the range stays above the listening ports
  // (kPort...), which a TIME_WAIT of a client without SO_REUSEADDR would otherwise block.
  if (k.ok) WriteFile("/proc/sys/net/ipv4/ip_local_port_range", "10000 65535");
  return k;
}

sockaddr_in Loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

int KernelListen(uint16_t port) {
  const int l = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  const sockaddr_in a = Loopback(port);
  if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      bind(l, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0 || listen(l, 4096) != 0) {
    if (l >= 0) close(l);
    return -1;
  }
  return l;
}

int KernelConnect(uint16_t port) {
  const int c = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const sockaddr_in a = Loopback(port);
  if (c >= 0 && connect(c, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
    close(c);
    return -1;
  }
  return c;
}

bool ReadExact(int fd, uint8_t* p, size_t n) {
  while (n > 0) {
    const ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

bool WriteAll(int fd, const uint8_t* p, size_t n) {
  while (n > 0) {
    const ssize_t r = write(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

bool SkipWithoutKernel(benchmark::State& state) {
  if (g_kernel.ok) return false;
  state.SkipWithError(("kernel baseline skipped: " + g_kernel.why).c_str());
  return true;
}

void BM_LifecycleKernel(benchmark::State& state) {
  if (SkipWithoutKernel(state)) return;
  const int l = KernelListen(kPort);
  if (l < 0) {
    state.SkipWithError(Errno("listen").c_str());
    return;
  }
  uint8_t buf[64] = {};
  std::string error;
  int64_t done = 0;
  const Stopwatch clock;
  for (auto _ : state) {
    const int c = KernelConnect(kPort);
    // accept() cannot block: the handshake finished inside connect().
    const int s = c >= 0 && WriteAll(c, buf, 64) ? accept4(l, nullptr, nullptr, SOCK_CLOEXEC) : -1;
    bool ok = s >= 0 && ReadExact(s, buf, 64) && WriteAll(s, buf, 64) && ReadExact(c, buf, 64);
    if (c >= 0) close(c);  // the client closes first and keeps the TIME_WAIT, as in taptcp's run
    ok = ok && read(s, buf, 64) == 0;
    if (!ok) error = Errno("connection");
    if (s >= 0) close(s);
    if (!ok) break;
    ++done;
  }
  close(l);
  if (!error.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }
  clock.Report(state, "conns", static_cast<double>(done));
}

void BM_LifecycleKernel2Threads(benchmark::State& state) {
  if (SkipWithoutKernel(state)) return;
  const int l = KernelListen(kPort + 1);
  if (l < 0) {
    state.SkipWithError(Errno("listen").c_str());
    return;
  }
  std::atomic<bool> server_failed{false};
  std::thread server([&] {
    uint8_t buf[64];
    for (;;) {
      const int s = accept4(l, nullptr, nullptr, SOCK_CLOEXEC);
      if (s < 0) return;  // shutdown() of the listener: the run is over
      if (!(ReadExact(s, buf, 64) && WriteAll(s, buf, 64) && read(s, buf, 64) == 0)) {
        server_failed = true;
      }
      close(s);
    }
  });
  uint8_t buf[64] = {};
  std::string error;
  int64_t done = 0;
  const Stopwatch clock;
  for (auto _ : state) {
    const int c = KernelConnect(kPort + 1);
    const bool ok = c >= 0 && WriteAll(c, buf, 64) && ReadExact(c, buf, 64);
    if (!ok) error = Errno("client");
    if (c >= 0) close(c);
    if (!ok) break;
    ++done;
  }
  const Stopwatch end;  // the server's last close still counts: stop the clocks after join()
  shutdown(l, SHUT_RDWR);
  server.join();
  close(l);
  if (server_failed) error = "server side failed";
  if (!error.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }
  state.counters["conns_per_s"] = static_cast<double>(done) / (end.wall - clock.wall);
  state.counters["conns_per_cpu_s"] = static_cast<double>(done) / (CpuSeconds() - clock.cpu);
}

// lo's transmitted packets (skbs: a TSO super-packet is one), from this namespace's /proc/net/dev.
double LoTxPackets() {
  std::ifstream in("/proc/self/net/dev");
  for (std::string line; std::getline(in, line);) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos || line.substr(0, colon).find("lo") == std::string::npos) {
      continue;
    }
    std::istringstream fields(line.substr(colon + 1));
    double v = 0;
    for (int i = 0; i < 10 && (fields >> v); ++i) {
    }
    return v;  // field 9: tx packets
  }
  return 0;
}

bool SetLoOffload(uint32_t cmd, bool on) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ethtool_value v{cmd, on ? 1u : 0u};
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  ifr.ifr_data = reinterpret_cast<char*>(&v);
  const bool ok = fd >= 0 && ioctl(fd, SIOCETHTOOL, &ifr) == 0;
  if (fd >= 0) close(fd);
  return ok;
}

void BM_BulkKernel(benchmark::State& state, bool tso) {
  if (SkipWithoutKernel(state)) return;
  // Offloads are read when a connection picks its route, so set them before connecting.
  if (!tso && !(SetLoOffload(ETHTOOL_STSO, false) && SetLoOffload(ETHTOOL_SGSO, false))) {
    state.SkipWithError(Errno("ethtool lo tso/gso off").c_str());
    return;
  }
  const uint16_t port = tso ? kPort + 2 : kPort + 3;
  const int l = KernelListen(port);
  std::string error = l < 0 ? Errno("listen") : "";
  const int c = l >= 0 ? KernelConnect(port) : -1;
  if (error.empty() && c < 0) error = Errno("connect");
  const int s = c >= 0 ? accept4(l, nullptr, nullptr, SOCK_CLOEXEC) : -1;
  if (error.empty() && s < 0) error = Errno("accept");
  if (l >= 0) close(l);
  for (int fd : {c, s}) {
    if (fd >= 0) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  }
  std::vector<uint8_t> src(kChunk), dst(kChunk);
  for (size_t i = 0; i < src.size(); ++i) src[i] = static_cast<uint8_t>(i * 131);
  const double packets_before = LoTxPackets();
  const Stopwatch clock;
  for (auto _ : state) {
    if (!error.empty()) break;
    uint64_t sent = 0, received = 0;
    while (received < kBulkBytes && error.empty()) {
      bool progress = false;
      while (sent < kBulkBytes) {
        const ssize_t n = write(c, src.data(), std::min<uint64_t>(kChunk, kBulkBytes - sent));
        if (n <= 0) {
          if (n == 0 || errno != EAGAIN) error = Errno("write");
          break;
        }
        sent += static_cast<uint64_t>(n);
        progress = true;
      }
      for (;;) {
        const ssize_t n = read(s, dst.data(), dst.size());
        if (n <= 0) {
          if (n == 0 || errno != EAGAIN) error = Errno("read");
          break;
        }
        received += static_cast<uint64_t>(n);
        progress = true;
      }
      if (!progress && error.empty()) {
        // The other end's work was deferred to ksoftirqd: wait for it rather than spin.
        pollfd fds[2] = {{s, POLLIN, 0},
                         {c, static_cast<short>(sent < kBulkBytes ? POLLOUT : 0), 0}};
        poll(fds, 2, 100);
      }
    }
  }
  const double iters = static_cast<double>(state.iterations());
  if (error.empty()) {
    clock.Report(state, "bytes", iters * static_cast<double>(kBulkBytes));
    state.counters["lo_pkts_per_iter"] = (LoTxPackets() - packets_before) / iters;
  }
  for (int fd : {c, s}) {
    if (fd >= 0) close(fd);
  }
  if (!tso) {
    SetLoOffload(ETHTOOL_STSO, true);
    SetLoOffload(ETHTOOL_SGSO, true);
  }
  if (!error.empty()) state.SkipWithError(error.c_str());
}

// --- Summary ---

// Console output as usual, plus the counters kept for the ratio lines: medians when
// --benchmark_repetitions is given, else the single run.
class RatioReporter : public benchmark::ConsoleReporter {
 public:
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
    std::printf("\nRatios (same run, same machine; medians when repeated):\n");
    if (!g_kernel.ok) std::printf("kernel baseline skipped: %s\n", g_kernel.why.c_str());
    Ratio("lifecycle", "BM_Lifecycle/taptcp", "BM_Lifecycle/kernel", "conns_per_s",
          "conns/s, wall clock, one thread each; target >= 10x");
    Ratio("lifecycle per CPU-second", "BM_Lifecycle/taptcp", "BM_Lifecycle/kernel",
          "conns_per_cpu_s", "conns per process CPU second");
    Ratio("lifecycle vs 2 threads per CPU-second", "BM_Lifecycle/taptcp",
          "BM_Lifecycle/kernel_2threads", "conns_per_cpu_s",
          "kernel client and server on two threads");
    Ratio("bulk", "BM_Bulk/taptcp", "BM_Bulk/kernel", "bytes_per_s",
          "bytes/s, wall clock, one thread each, lo with TSO/GSO; target >= 1x");
    Ratio("bulk vs no TSO/GSO", "BM_Bulk/taptcp", "BM_Bulk/kernel_no_tso", "bytes_per_s",
          "bytes/s, lo with TSO and GSO off");
    const auto m = results_.find("BM_Memory/taptcp");
    if (m == results_.end()) return;
    auto get = [&](const char* k) {
      const auto it = m->second.find(k);
      return it == m->second.end() ? 0.0 : it->second;
    };
    const double tcb = get("tcb_bytes");
    const double parts = get("sizeof_connection") + get("hash_entry") + get("cc_object") +
                         get("rcvbuf_heap") + get("sndbuf_heap");
    std::printf(
        "\nbytes per established connection, buffer data excluded = %.0f (target <= 1024)\n"
        "  sizeof(tcp::Connection)           %6.0f  (inline: SendBuffer %.0f, ReceiveBuffer %.0f,"
        " 4 timers %zu)\n"
        "  connection table entry (amortized) %5.0f  (slot %zu + 1 control byte, growth slack)\n"
        "  congestion control object          %5.0f  (%s)\n"
        "  ReceiveBuffer heap besides data    %5.0f  (out-of-order range array reserved up front)\n"
        "  SendBuffer heap besides data       %5.0f\n"
        "  other                              %5.0f\n"
        "  + socket layer per descriptor      %5.0f  (SocketApi::Sock and its std::map node)\n"
        "  heap allocations per connection    %5.1f  (buffer rings not counted)\n"
        "  buffer data per connection      %8.0f  (expected %.0f: send ring + tcp_rmem[1])\n"
        "  held per TIME_WAIT entry        %8.0f  (a full TCB and its rings, for 60 s)\n",
        tcb, get("sizeof_connection"), get("sndbuf_inline"), get("rcvbuf_inline"),
        4 * sizeof(timers::Timer), get("hash_entry"),
        sizeof(std::pair<const tcp::FourTuple, std::unique_ptr<tcp::Connection>>), get("cc_object"),
        Sysctl{}.tcp_congestion_control.c_str(), get("rcvbuf_heap"), get("sndbuf_heap"),
        tcb - parts, get("socket_fd"), get("allocs_per_conn"), get("ring_bytes"),
        get("ring_expected"), get("time_wait_bytes"));
    if (get("kernel_tcp_slab") > 0) {
      std::printf(
          "ratio memory kernel/taptcp = %.1fx  (kernel TCP slab object %.0f B, taptcp %.0f B)\n"
          "ratio time_wait kernel/taptcp = %.3fx  (kernel tw_sock_TCP %.0f B, taptcp %.0f B)\n",
          get("kernel_tcp_slab") / tcb, get("kernel_tcp_slab"), tcb,
          get("kernel_tw_slab") / get("time_wait_bytes"), get("kernel_tw_slab"),
          get("time_wait_bytes"));
    }
  }

 private:
  void Ratio(const char* what, const std::string& ours, const std::string& base,
             const std::string& counter, const char* note) const {
    const auto a = results_.find(ours), b = results_.find(base);
    if (a == results_.end() || b == results_.end()) {
      const auto e = errors_.find(a == results_.end() ? ours : base);
      std::printf("ratio %s taptcp/kernel: not measured (%s)\n", what,
                  e != errors_.end() ? e->second.c_str() : "filtered out");
      return;
    }
    auto get = [&](const std::map<std::string, double>& r) {
      const auto it = r.find(counter);
      return it == r.end() ? 0.0 : it->second;
    };
    const double x = get(a->second), y = get(b->second);
    std::printf("ratio %s taptcp/kernel = %.1fx  (taptcp %.4g, kernel %.4g %s)\n", what,
                y > 0 ? x / y : 0.0, x, y, note);
  }

  std::map<std::string, std::map<std::string, double>> results_;
  std::map<std::string, std::string> errors_;
  std::set<std::string> medians_;
};

void RegisterAll() {
  benchmark::RegisterBenchmark("BM_Lifecycle/taptcp", BM_LifecycleTaptcp)->UseRealTime();
  benchmark::RegisterBenchmark("BM_Lifecycle/kernel", BM_LifecycleKernel)->UseRealTime();
  benchmark::RegisterBenchmark("BM_Lifecycle/kernel_2threads", BM_LifecycleKernel2Threads)
      ->UseRealTime();
  for (auto* b : {benchmark::RegisterBenchmark("BM_Bulk/taptcp", BM_BulkTaptcp),
                  benchmark::RegisterBenchmark("BM_Bulk/kernel", BM_BulkKernel, true),
                  benchmark::RegisterBenchmark("BM_Bulk/kernel_no_tso", BM_BulkKernel, false)}) {
    b->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(1.0);
  }
  benchmark::RegisterBenchmark("BM_Memory/taptcp", BM_MemoryTaptcp)
      ->Iterations(1)
      ->Unit(benchmark::kMillisecond);
}

}  // namespace
}  // namespace taptcp

int main(int argc, char** argv) {
  using namespace taptcp;
  g_kernel = EnterPrivateNetns();  // first: the process must still have a single thread
  if (g_kernel.ok) {
    std::printf("kernel baseline: loopback in a private network namespace, lo mtu 1500\n");
  } else {
    std::printf("kernel baseline skipped: %s\n", g_kernel.why.c_str());
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RegisterAll();
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  reporter.PrintSummary();
  benchmark::Shutdown();
  return 0;
}
