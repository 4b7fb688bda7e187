// The client side of `taptcp connect`: `count` connections to one server, at most `parallel` at
// once, each doing the same exchange:
//   1. connect;
//   2. send the payload: `send_bytes` bytes of the payload.h stream, or `data` as given;
//   3. shutdown(how) once it is all in the send buffer (`wr`, the default: our FIN follows the
//      data; `none`: no half-close);
//   4. read until the server's FIN, checking with `verify_echo` that what comes back is exactly the
//      payload (without a half-close the exchange also ends once the whole echo is back);
//   5. close: a FIN, or with `linger_zero` (SO_LINGER {1, 0}) an RST.
// Like TcpServerApp it is serviced after every stack event and knows nothing of TAP devices.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "stack/socket/socket_api.h"
#include "timers/time.h"

namespace taptcp::apps {

inline constexpr int kNoShutdown = -1;

struct ClientOptions {
  socket::SockAddr to;
  bool use_data = false;
  std::string data;         // the payload when use_data
  uint64_t send_bytes = 0;  // else this many bytes of the payload.h stream
  bool verify_echo = true;
  int shutdown = socket::kShutWr;  // kNoShutdown, socket::kShutRd, kShutWr or kShutRdWr
  bool linger_zero = false;

  uint64_t payload_size() const { return use_data ? data.size() : send_bytes; }
  // --shutdown's values: none, rd, wr, rdwr. The error names the flag and the values.
  static absl::Status ParseShutdown(std::string_view text, int* how);
};

class ClientPool {
 public:
  ClientPool(socket::SocketApi& api, ClientOptions options, uint64_t count, uint64_t parallel)
      : api_(api), o_(std::move(options)), count_(count), parallel_(parallel) {}

  // After every stack event (and once to begin): services the open connections, and starts new
  // ones while fewer than `parallel` are open.
  void Service(Instant now);
  bool done() const { return completed_ + failed_ == count_; }
  // Gives up: every open connection is closed and counted as failed ("unfinished").
  void Abandon(Instant now);

  size_t open() const { return open_.size(); }     // connections under way now
  size_t peak_open() const { return peak_open_; }  // the most that were under way at once
  uint64_t completed() const { return completed_; }
  uint64_t failed() const { return failed_; }
  uint64_t bytes_sent() const { return bytes_sent_; }
  uint64_t bytes_received() const { return bytes_received_; }
  // Failures by cause: an errno name (ECONNREFUSED...), echo-mismatch, echo-short, unfinished.
  const std::map<std::string, uint64_t>& failures() const { return failures_; }
  const std::string& first_error() const { return first_error_; }
  // From the first connect to the last connection's end (or now, while running).
  Duration elapsed() const { return (done_at_ ? *done_at_ : last_now_) - start_; }
  // One line: connections, completed, failed by cause, connections/s, the most open at once,
  // bytes and rates.
  std::string Summary() const;

 private:
  struct Conn {
    uint64_t id = 0;
    bool connected = false;
    bool shut = false;
    uint64_t sent = 0, received = 0;
  };
  void Launch();
  // Moves the exchange on; returns true when it ended (then Finish has been called).
  bool ServiceConn(int fd, Conn& c);
  void Finish(int fd, const Conn& c, std::string_view cause, std::string detail);
  uint8_t PayloadAt(uint64_t i) const;

  socket::SocketApi& api_;
  ClientOptions o_;
  uint64_t count_, parallel_;
  uint64_t started_ = 0, completed_ = 0, failed_ = 0;
  uint64_t bytes_sent_ = 0, bytes_received_ = 0;
  std::map<int, Conn> open_;
  size_t peak_open_ = 0;
  std::map<std::string, uint64_t> failures_;
  std::string first_error_;
  bool begun_ = false;
  Instant start_{}, last_now_{};
  std::optional<Instant> done_at_;
};

}  // namespace taptcp::apps
