// tap_compare.sh's kernel-socket peer: the client of both setups (taptcp over TAP, and the kernel
// over veth) and the kernel server of the veth baseline. One thread, epoll, nothing else, so the
// same code drives both setups.
//
//   tap_bench_peer conns  --to IP:PORT [--count N] [--seconds S] [--parallel P] [--size B]
//       N short connections (connect, B-byte request, B-byte response, close), P in flight, at
//       most S seconds; the client closes first (its TIME_WAIT), as a real close, no SO_LINGER.
//   tap_bench_peer bulk   --to IP:PORT [--seconds S]
//       one connection, send for S seconds, shut down, wait for the server's close; the rate
//       counts bytes up to that close (all of them were received).
//   tap_bench_peer ready  --to IP:PORT [--seconds S]
//       connects (retrying while refused, at most S seconds) and closes: the server is up.
//   tap_bench_peer server --bind IP --port PORT --mode echo|discard [--max-seconds S]
//       an epoll server: echo (echo until EOF, then close) or discard (read until EOF, close);
//       exits on SIGINT/SIGTERM or after S seconds.
//
// Clients print one line "RESULT key=value ..." (rate, wall and CPU seconds) for the script.
// Network safety: it connects only where --to says and binds only --bind; the script points it at
// TEST-NET addresses inside namespaces it created.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "tests/bench/fd_io.h"

namespace {

using taptcp::bench::ReadExact;
using taptcp::bench::WriteAll;

using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }
Clock::duration FromSeconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

double CpuSeconds() {
  rusage r{};
  getrusage(RUSAGE_SELF, &r);
  return static_cast<double>(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
         static_cast<double>(r.ru_utime.tv_usec + r.ru_stime.tv_usec) * 1e-6;
}

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "tap_bench_peer: %s\n", what.c_str());
  std::exit(1);
}

std::string Errno(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

struct Args {
  std::map<std::string, std::string> kv;
  std::string Get(const std::string& k, const std::string& def) const {
    auto it = kv.find(k);
    return it == kv.end() ? def : it->second;
  }
  long Num(const std::string& k, long def) const {
    auto it = kv.find(k);
    if (it == kv.end()) return def;
    char* end = nullptr;
    const long v = std::strtol(it->second.c_str(), &end, 10);
    if (end == it->second.c_str() || *end != '\0' || v < 0) Die("bad --" + k + " " + it->second);
    return v;
  }
};

sockaddr_in Addr(const std::string& ip, long port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (port <= 0 || port > 65535 || inet_pton(AF_INET, ip.c_str(), &a.sin_addr) != 1) {
    Die("bad address " + ip + ":" + std::to_string(port));
  }
  return a;
}

sockaddr_in ParseTo(const std::string& to) {
  const size_t colon = to.rfind(':');
  if (colon == std::string::npos) Die("--to wants IP:PORT, got " + to);
  return Addr(to.substr(0, colon), std::strtol(to.c_str() + colon + 1, nullptr, 10));
}

// A blocking connection with timeouts on every call, retried while the server is still starting
// (refused or unreachable), for at most `wait` seconds.
int ConnectBlocking(const sockaddr_in& to, double wait) {
  const Clock::time_point deadline = Clock::now() + FromSeconds(wait);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) Die(Errno("socket"));
    timeval tv{10, 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0) return fd;
    const int err = errno;
    close(fd);
    if (Clock::now() >= deadline) {
      errno = err;
      Die(Errno("connect"));
    }
    usleep(50 * 1000);
  }
  Die("connect: too many attempts");
}

// One exchange before timing: the server is up (taptcp may still be starting) and ARP is resolved.
void WarmUp(const sockaddr_in& to, size_t size, double wait) {
  const int fd = ConnectBlocking(to, wait);
  std::vector<uint8_t> buf(size, 'w');
  if (!WriteAll(fd, buf.data(), size) || !ReadExact(fd, buf.data(), size)) {
    Die(Errno("warm-up exchange"));
  }
  close(fd);
}

int RunConns(const Args& args) {
  const sockaddr_in to = ParseTo(args.Get("to", ""));
  const long count = args.Num("count", 20000);
  const double seconds = static_cast<double>(args.Num("seconds", 5));
  const long parallel = std::max(1L, args.Num("parallel", 16));
  const auto size = static_cast<size_t>(std::max(1L, args.Num("size", 64)));
  WarmUp(to, size, 10);

  const int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) Die(Errno("epoll_create1"));
  struct Conn {
    bool connected = false;
    size_t got = 0;
  };
  std::map<int, Conn> conns;
  std::vector<uint8_t> request(size, 'q'), buf(std::max<size_t>(size, 4096));
  long started = 0, done = 0, errors = 0;
  std::string first_error;
  const auto fail = [&](int fd, const std::string& why) {
    ++errors;
    if (first_error.empty()) first_error = why;
    close(fd);
    conns.erase(fd);
  };
  const double cpu0 = CpuSeconds();
  const Clock::time_point t0 = Clock::now();
  const Clock::time_point deadline = t0 + FromSeconds(seconds);
  epoll_event events[64];
  while (Clock::now() < deadline && errors < 100 && (started < count || !conns.empty())) {
    while (static_cast<long>(conns.size()) < parallel && started < count) {
      const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) Die(Errno("socket"));
      ++started;
      if (connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0 &&
          errno != EINPROGRESS) {
        fail(fd, Errno("connect"));
        continue;
      }
      epoll_event ev{};
      ev.events = EPOLLOUT;
      ev.data.fd = fd;
      if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) Die(Errno("epoll_ctl"));
      conns[fd] = Conn{};
    }
    const int n = epoll_wait(ep, events, 64, 100);
    if (n < 0 && errno != EINTR) Die(Errno("epoll_wait"));
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      auto it = conns.find(fd);
      if (it == conns.end()) continue;
      Conn& c = it->second;
      if (!c.connected) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
          errno = err;
          fail(fd, Errno("connect"));
          continue;
        }
        c.connected = true;
        // One write: the whole request fits any send buffer.
        if (write(fd, request.data(), size) != static_cast<ssize_t>(size)) {
          fail(fd, Errno("write"));
          continue;
        }
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = fd;
        if (epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev) != 0) Die(Errno("epoll_ctl"));
        continue;
      }
      const ssize_t r = read(fd, buf.data(), buf.size());
      if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (r <= 0) {
        fail(fd, r == 0 ? std::string("early EOF") : Errno("read"));
        continue;
      }
      c.got += static_cast<size_t>(r);
      if (c.got >= size) {
        close(fd);  // the client closes first: its FIN, its TIME_WAIT
        conns.erase(it);
        ++done;
      }
    }
  }
  const double wall = Seconds(Clock::now() - t0);
  const double cpu = CpuSeconds() - cpu0;
  for (const auto& [fd, c] : conns) close(fd);
  close(ep);
  std::printf("RESULT kind=conns count=%ld errors=%ld wall=%.3f rate=%.0f cpu=%.3f\n", done, errors,
              wall, wall > 0 ? static_cast<double>(done) / wall : 0.0, cpu);
  if (errors > 0)
    std::fprintf(stderr, "tap_bench_peer: %ld errors, first: %s\n", errors, first_error.c_str());
  return errors > 0 || done == 0 ? 1 : 0;
}

int RunBulk(const Args& args) {
  const sockaddr_in to = ParseTo(args.Get("to", ""));
  const double seconds = static_cast<double>(std::max(1L, args.Num("seconds", 3)));
  const int fd = ConnectBlocking(to, 10);
  std::vector<uint8_t> chunk(size_t{1} << 20);
  for (size_t i = 0; i < chunk.size(); ++i) chunk[i] = static_cast<uint8_t>(i * 131);
  uint64_t sent = 0;
  const double cpu0 = CpuSeconds();
  const Clock::time_point t0 = Clock::now();
  const Clock::time_point deadline = t0 + FromSeconds(seconds);
  while (Clock::now() < deadline) {
    const ssize_t w = write(fd, chunk.data(), chunk.size());
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) Die(Errno("bulk write"));
    sent += static_cast<uint64_t>(w);
  }
  shutdown(fd, SHUT_WR);
  // The server closes when it has read everything: EOF here means every byte arrived.
  uint8_t b[4096];
  for (int i = 0; i < 1000; ++i) {
    const ssize_t r = read(fd, b, sizeof b);
    if (r == 0) break;
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) Die(Errno("waiting for the server's close"));
  }
  const double wall = Seconds(Clock::now() - t0);
  const double cpu = CpuSeconds() - cpu0;
  close(fd);
  std::printf("RESULT kind=bulk bytes=%llu wall=%.3f rate=%.0f cpu=%.3f\n",
              static_cast<unsigned long long>(sent), wall,
              wall > 0 ? static_cast<double>(sent) / wall : 0.0, cpu);
  return 0;
}

int RunServer(const Args& args) {
  const sockaddr_in at = Addr(args.Get("bind", ""), args.Num("port", 0));
  const std::string mode = args.Get("mode", "echo");
  if (mode != "echo" && mode != "discard") Die("--mode is echo or discard");
  const bool echo = mode == "echo";
  const double max_seconds = static_cast<double>(args.Num("max-seconds", 300));

  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGTERM);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  const int sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  const int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  const int one = 1;
  if (sfd < 0 || l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      bind(l, reinterpret_cast<const sockaddr*>(&at), sizeof at) != 0 || listen(l, 4096) != 0) {
    Die(Errno("listen"));
  }
  const int ep = epoll_create1(EPOLL_CLOEXEC);
  for (int fd : {l, sfd}) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) Die(Errno("epoll"));
  }
  std::vector<uint8_t> buf(size_t{1} << 16);
  uint64_t accepted = 0, bytes = 0;
  const Clock::time_point end = Clock::now() + FromSeconds(max_seconds);
  epoll_event events[64];
  bool stop = false;
  while (!stop && Clock::now() < end) {
    const int n = epoll_wait(ep, events, 64, 200);
    if (n < 0 && errno != EINTR) Die(Errno("epoll_wait"));
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == sfd) {
        stop = true;
        continue;
      }
      if (fd == l) {
        for (int k = 0; k < 256; ++k) {
          const int c = accept4(l, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (c < 0) break;
          ++accepted;
          epoll_event ev{};
          ev.events = EPOLLIN;
          ev.data.fd = c;
          if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev) != 0) close(c);
        }
        continue;
      }
      bool close_it = false;
      for (int k = 0; k < 64; ++k) {
        const ssize_t r = read(fd, buf.data(), buf.size());
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && errno == EAGAIN) break;
        if (r <= 0) {
          close_it = true;  // EOF (the client closed first) or reset
          break;
        }
        bytes += static_cast<uint64_t>(r);
        // Echoed replies are small (one request); a full send buffer would block briefly.
        if (echo && !WriteAll(fd, buf.data(), static_cast<size_t>(r))) {
          close_it = true;
          break;
        }
      }
      if (close_it) close(fd);  // also leaves the epoll set
    }
  }
  std::fprintf(stderr, "tap_bench_peer server: %llu connections, %llu bytes, cpu %.3f s\n",
               static_cast<unsigned long long>(accepted), static_cast<unsigned long long>(bytes),
               CpuSeconds());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: tap_bench_peer conns|bulk|server --key value ... (see the source)\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  Args args;
  for (int i = 2; i + 1 < argc; i += 2) {
    if (std::strncmp(argv[i], "--", 2) != 0) Die(std::string("expected --key, got ") + argv[i]);
    args.kv[argv[i] + 2] = argv[i + 1];
  }
  const std::string cmd = argv[1];
  if (cmd == "conns") return RunConns(args);
  if (cmd == "bulk") return RunBulk(args);
  if (cmd == "ready") {
    close(
        ConnectBlocking(ParseTo(args.Get("to", "")), static_cast<double>(args.Num("seconds", 10))));
    return 0;
  }
  if (cmd == "server") return RunServer(args);
  Die("unknown command " + cmd);
}
