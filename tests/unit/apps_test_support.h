// Shared by the apps tests: a TcpServerApp on the server of a TcpPair (two stacks on a simulated
// wire, virtual time), serviced after every event the way TapHost services it after every frame
// and timer, and the TCP segments on the wire decoded for assertions.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "apps/client_pool.h"
#include "apps/payload.h"
#include "apps/tcp_apps.h"
#include "stack/wire/frame.h"
#include "tests/support/tcp_pair.h"

namespace taptcp::apps::testing {

inline constexpr uint16_t kPort = 80;

struct Segment {
  Instant at;
  bool from_server;
  uint8_t flags;
  uint32_t seq, ack;
  uint16_t window;
  size_t payload;
  bool fin() const { return flags & wire::kFin; }
  bool rst() const { return flags & wire::kRst; }
  bool syn() const { return flags & wire::kSyn; }
};

class AppPair {
 public:
  explicit AppPair(ServerMode mode, int backlog = 128, const sim::Impairments& imp = {})
      : p(imp), app(p.server->sockets(), mode) {
    EXPECT_TRUE(app.Listen(kPort, backlog).ok());
  }
  explicit AppPair(ServerMode::Kind kind, int backlog = 128)
      : AppPair(ServerMode{kind, 0}, backlog) {}

  // Runs the wire until `done` (checked after every event, after the apps are serviced).
  bool Run(const std::function<bool()>& done, Duration limit = seconds(30)) {
    return p.RunUntil(
        [&] {
          app.Service(p.net.now());
          if (pool != nullptr) pool->Service(p.net.now());
          return done();
        },
        limit);
  }
  void RunFor(Duration d) {
    const Instant until = p.net.now() + d;
    Run([&] { return p.net.now() >= until; }, d + seconds(1));
  }

  socket::SocketApi& client() { return p.client->sockets(); }
  // A client socket connected (handshake done) to the app's port.
  int Connect() {
    const int fd = client().Socket();
    client().Connect(fd, p.ServerAddr(kPort));
    EXPECT_TRUE(Run([&] { return (client().Poll(fd) & socket::kOut) != 0; }));
    return fd;
  }
  // Sends all of `data` from the client, running the wire while the send buffer is full.
  // Writes what the client socket takes now of `data` from `*sent` on.
  void Push(int fd, std::span<const uint8_t> data, size_t* sent) {
    while (*sent < data.size()) {
      const int64_t n = client().Send(fd, data.subspan(*sent));
      if (n <= 0) return;
      *sent += static_cast<size_t>(n);
    }
  }
  void SendAll(int fd, std::span<const uint8_t> data) {
    size_t sent = 0;
    EXPECT_TRUE(Run([&] {
      Push(fd, data, &sent);
      return sent == data.size();
    }));
  }
  // Keeps writing `data` for `d` of virtual time (a peer that stops reading stalls it); returns
  // how much the stack took.
  size_t SendFor(int fd, std::string_view data, Duration d) {
    const std::span bytes(reinterpret_cast<const uint8_t*>(data.data()), data.size());
    size_t sent = 0;
    Run(
        [&] {
          Push(fd, bytes, &sent);
          return false;
        },
        d);
    return sent;
  }
  void SendAll(int fd, std::string_view s) {
    SendAll(fd, std::span(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
  }
  // Reads until EOF (true) or an error; what came is appended to `out`; `err` gets -errno.
  bool ReadToEof(int fd, std::string* out, int64_t* err = nullptr, Duration limit = seconds(30)) {
    bool eof = false;
    Run(
        [&] {
          uint8_t buf[16384];
          for (;;) {
            const int64_t n = client().Recv(fd, buf);
            if (n > 0) {
              out->append(reinterpret_cast<const char*>(buf), static_cast<size_t>(n));
              continue;
            }
            if (n == 0) eof = true;
            if (n < 0 && n != -EAGAIN) {
              if (err != nullptr) *err = n;
              return true;
            }
            return eof;
          }
        },
        limit);
    return eof;
  }

  // Every TCP segment on the wire so far.
  std::vector<Segment> Segments() const {
    std::vector<Segment> out;
    for (const auto& f : p.wire.frames) {
      wire::ParsedFrame pf;
      if (wire::ParseFrame(f.bytes, &pf) != wire::DropReason::kNone ||
          pf.layer != wire::ParsedFrame::Layer::kTcp) {
        continue;
      }
      out.push_back({f.at, pf.ip.src() == p.server->config().addr, pf.tcp.flags(), pf.tcp.seq(),
                     pf.tcp.ack(), pf.tcp.window(), pf.tcp.payload().size()});
    }
    return out;
  }
  // Index of the first segment matching `pred`, or -1.
  int First(const std::function<bool(const Segment&)>& pred) const {
    const std::vector<Segment> s = Segments();
    for (size_t i = 0; i < s.size(); ++i) {
      if (pred(s[i])) return static_cast<int>(i);
    }
    return -1;
  }
  int Count(const std::function<bool(const Segment&)>& pred) const {
    const std::vector<Segment> s = Segments();
    return static_cast<int>(std::count_if(s.begin(), s.end(), pred));
  }

  // The server's only connection on the app's port (nullptr if none), and the client's.
  const tcp::Connection* ServerConn() const { return Find(*p.server, true); }
  const tcp::Connection* ClientConn() const { return Find(*p.client, false); }

  taptcp::testing::TcpPair p;
  TcpServerApp app;
  ClientPool* pool = nullptr;  // serviced by Run when set

 private:
  static const tcp::Connection* Find(const Stack& s, bool server) {
    for (const tcp::Connection* c : s.tcp().Connections()) {
      if ((server ? c->tuple().local_port : c->tuple().remote_port) == kPort) return c;
    }
    return nullptr;
  }
};

inline std::string PayloadString(uint64_t n, uint64_t offset = 0) {
  std::string s(n, '\0');
  for (uint64_t i = 0; i < n; ++i) s[i] = static_cast<char>(PayloadByte(offset + i));
  return s;
}

}  // namespace taptcp::apps::testing
