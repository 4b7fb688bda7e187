// The applications `serve` and `connect` run on taptcp's sockets. Each is a small state machine
// serviced after every stack event (a frame or a timer), the way an epoll loop services sockets.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "stack/socket/socket_api.h"

namespace taptcp::apps {

// echo: every byte back; discard: read and drop. Connections close when the peer closes.
class TcpServerApp {
 public:
  enum class Mode { kEcho, kDiscard };
  static absl::Status ParseMode(std::string_view name, Mode* mode);

  TcpServerApp(socket::SocketApi& api, Mode mode) : api_(api), mode_(mode) {}
  absl::Status Listen(uint16_t port, int backlog);
  void Service();

  uint64_t accepted() const { return accepted_; }
  uint64_t bytes_in() const { return bytes_in_; }

 private:
  struct Conn {
    std::vector<uint8_t> pending;  // received, not yet echoed
    bool eof = false;
  };
  void ServiceConn(int fd, Conn& c);

  socket::SocketApi& api_;
  Mode mode_;
  int listen_fd_ = -1;
  std::map<int, Conn> conns_;
  uint64_t accepted_ = 0;
  uint64_t bytes_in_ = 0;
};

// Connects, sends `bytes` of seeded random data, half-closes, reads until EOF; with `verify_echo`
// the bytes that come back must equal those sent.
class TcpClientApp {
 public:
  TcpClientApp(socket::SocketApi& api, socket::SockAddr to, uint64_t bytes, bool verify_echo)
      : api_(api), to_(to), bytes_(bytes), verify_(verify_echo) {}
  void Start();
  void Service();
  bool done() const { return done_; }
  // OK when the exchange completed (and the echo matched).
  absl::Status result() const { return result_; }
  uint64_t sent() const { return sent_; }
  uint64_t received() const { return received_; }

 private:
  uint8_t ByteAt(uint64_t i) const;
  void Finish(absl::Status s);

  socket::SocketApi& api_;
  socket::SockAddr to_;
  uint64_t bytes_;
  bool verify_;
  int fd_ = -1;
  bool connected_ = false;
  bool shut_ = false;
  uint64_t sent_ = 0;
  uint64_t received_ = 0;
  bool done_ = false;
  absl::Status result_ = absl::OkStatus();
};

}  // namespace taptcp::apps
