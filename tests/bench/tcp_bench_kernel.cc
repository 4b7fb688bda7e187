// The Linux kernel baselines of tcp_bench (see tcp_bench_kernel.h and tcp_bench.cc).
//
// Network safety: every socket here lives in the network namespace EnterPrivateNetns() created
// and talks to 127.0.0.1 only; without that namespace nothing here opens a socket.
#include "tests/bench/tcp_bench_kernel.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "tests/bench/fd_io.h"

namespace taptcp::bench {
namespace {

const KernelNet* g_net = nullptr;

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

bool SkipWithoutKernel(benchmark::State& state) {
  if (g_net != nullptr && g_net->ok) return false;
  state.SkipWithError(
      ("kernel baseline skipped: " + (g_net ? g_net->why : std::string("not set up"))).c_str());
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
    const char* failed = nullptr;
    int s = -1;
    const int c = KernelConnect(kPort);
    if (c < 0) {
      failed = "connect";
    } else if (!WriteAll(c, buf, 64)) {
      failed = "client write";
    } else if (s = accept4(l, nullptr, nullptr, SOCK_CLOEXEC); s < 0) {
      failed = "accept";  // never blocks: the handshake finished inside connect()
    } else if (!ReadExact(s, buf, 64) || !WriteAll(s, buf, 64)) {
      failed = "server read or write";
    } else if (!ReadExact(c, buf, 64)) {
      failed = "client read";
    }
    if (failed != nullptr) error = Errno(failed);
    if (c >= 0) close(c);  // the client closes first and keeps the TIME_WAIT, as in taptcp's run
    if (failed == nullptr && read(s, buf, 64) != 0) error = Errno(failed = "server read EOF");
    if (s >= 0) close(s);
    if (failed != nullptr) break;
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
    if (!ok) error = Errno(c < 0 ? "connect" : "client write or read");
    if (c >= 0) close(c);
    if (!ok) break;
    ++done;
  }
  shutdown(l, SHUT_RDWR);
  server.join();
  close(l);
  if (server_failed) error = "server side failed";
  if (!error.empty()) {
    state.SkipWithError(error.c_str());
    return;
  }
  // After join(): the server's work on the last connection counts too.
  clock.Report(state, "conns", static_cast<double>(done));
}

// lo's transmitted packets (skbs: a TSO super-packet is one), from this namespace's /proc/net/dev.
double LoTxPackets() {
  std::ifstream in("/proc/self/net/dev");
  for (std::string line; std::getline(in, line);) {
    const size_t colon = line.find(':');
    std::istringstream name(line.substr(0, colon == std::string::npos ? 0 : colon));
    std::string ifname;
    if (!(name >> ifname) || ifname != "lo") continue;
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

}  // namespace

KernelNet EnterPrivateNetns() {
  KernelNet k;
  const ino_t before = NetnsInode();
  if (unshare(CLONE_NEWNET) != 0) {
    const bool eperm = errno == EPERM;
    k.why = Errno("unshare(CLONE_NEWNET)") +
            (eperm ? " (needs CAP_SYS_ADMIN: run as root, or under `unshare -rn`)" : "");
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

void RegisterKernelLifecycle(const KernelNet& net) {
  g_net = &net;
  benchmark::RegisterBenchmark("BM_Lifecycle/kernel", BM_LifecycleKernel)->UseRealTime();
  benchmark::RegisterBenchmark("BM_Lifecycle/kernel_2threads", BM_LifecycleKernel2Threads)
      ->UseRealTime();
}

void RegisterKernelBulk(const KernelNet& net) {
  g_net = &net;
  for (auto* b : {benchmark::RegisterBenchmark("BM_Bulk/kernel", BM_BulkKernel, true),
                  benchmark::RegisterBenchmark("BM_Bulk/kernel_no_tso", BM_BulkKernel, false)}) {
    b->UseRealTime()->Unit(benchmark::kMillisecond)->MinTime(1.0);
  }
}

}  // namespace taptcp::bench
