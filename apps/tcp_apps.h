// The server side of `taptcp serve --app MODE`: what a listener does with its connections, each
// mode one of the close orders and behaviours that experiments and conformance tests need. Like
// an epoll loop it is serviced after every stack event (a frame or a timer) and acts on what its
// sockets are ready for; it knows nothing of TAP devices, so tests run it on a simulated wire in
// virtual time (tests/unit/apps_server_test.cc). Several apps may serve one stack.
//
// What each mode puts on the wire (the Linux close() rules are in LINUX_TCP.md, "Closing"):
//   echo          every byte back; closes (FIN) once the peer's FIN came and all is echoed
//   discard       reads and drops; closes at the peer's FIN
//   http          a small HTTP/1.1 server (http_app.h)
//   hold          accepts and keeps: never reads, writes or closes (a peer's FIN leaves us in
//                 CLOSE_WAIT and the peer in FIN_WAIT2 for good)
//   noaccept      listens, never accepts: handshakes complete into the accept queue, data is
//                 ACKed into the receive buffer and the advertised window shrinks to zero
//   close         accepts and closes at once: the server's FIN comes first
//   linger0       accepts, then closes with SO_LINGER {1, 0}: RST (TCPAbortOnData)
//   unread-close  accepts, waits for data, closes without reading it: RST (TCPAbortOnClose)
//   write-close:N writes N bytes of the payload.h stream, then closes: N bytes then FIN (what
//                 arrives meanwhile is read and dropped, so the close is not turned into a RST)
//   shutdown-wr   accepts, shutdown(SHUT_WR) at once (FIN first), keeps reading and dropping
//                 until the peer's FIN, then closes
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "apps/http_app.h"
#include "stack/socket/socket_api.h"
#include "timers/time.h"

namespace taptcp::apps {

struct ServerMode {
  enum Kind {
    kEcho,
    kDiscard,
    kHttp,
    kHold,
    kNoAccept,
    kClose,
    kLinger0,
    kUnreadClose,
    kWriteClose,
    kShutdownWr,
  };
  Kind kind = kEcho;
  uint64_t write_bytes = 0;  // write-close:N

  // "echo", ..., "write-close:N" (also "write-close N" or "write-close=N"). The error is one line
  // naming --app and every valid value.
  static absl::Status Parse(std::string_view text, ServerMode* mode);
  std::string Name() const;
};

// An HTTP connection with no progress either way for this long is closed (slow or stalled
// clients cannot hold the server's connections for ever). Enforced by Expire().
inline constexpr Duration kHttpIdleTimeout = seconds(60);

class TcpServerApp {
 public:
  TcpServerApp(socket::SocketApi& api, ServerMode mode) : api_(api), mode_(mode) {}
  absl::Status Listen(uint16_t port, int backlog);
  // After every stack event: accepts, then services its connections (each costs a Recv when
  // idle, so a stack event costs O(open connections)).
  void Service(Instant now);
  // Closes HTTP connections idle for kHttpIdleTimeout; call it now and then (serve: every second).
  void Expire(Instant now);

  struct Stats {
    uint64_t accepted = 0;
    uint64_t closed = 0;  // connections the app closed
    uint64_t bytes_in = 0, bytes_out = 0;
    uint64_t http_requests = 0;
    uint64_t expired = 0;  // closed by Expire
  };
  const Stats& stats() const { return stats_; }
  size_t open_connections() const { return conns_.size(); }
  int listen_fd() const { return listen_fd_; }
  // "app echo: accepted 3, closed 3, read 30 B, wrote 30 B" and so on.
  std::string Summary() const;

 private:
  struct Conn {
    std::vector<uint8_t> pending;  // echo: received, not yet sent back, from pending_at
    size_t pending_at = 0;
    uint64_t written = 0;  // write-close
    bool eof = false;
    std::unique_ptr<http::Session> http;
    Instant last_progress{};
  };
  void OnAccept(int fd, Instant now);
  // Does the mode's work on readiness; returns true when the app is done with the socket.
  bool ServiceConn(int fd, Conn& c, Instant now);
  // Reads and drops what is readable; false on an error (RST), eof set at the peer's FIN.
  bool Drain(int fd, Conn& c);
  bool ServiceEcho(int fd, Conn& c);
  bool ServiceWriteClose(int fd, Conn& c);
  bool ServiceHttp(int fd, Conn& c);
  void CloseConn(int fd);

  socket::SocketApi& api_;
  ServerMode mode_;
  int listen_fd_ = -1;
  std::map<int, Conn> conns_;
  Stats stats_;
  // Where Drain reads to (discard, shutdown-wr, write-close): one buffer for all connections.
  static constexpr size_t kDrainReadSize = 65536;
  std::vector<uint8_t> drain_buf_;
};

}  // namespace taptcp::apps
