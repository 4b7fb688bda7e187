// The control socket (--control PATH): a unix stream socket a running taptcp answers live
// queries on, from inside its event loop so the answer is a consistent snapshot. One request line
// per connection ("ss" or "nstat"), one reply (ss_format.h's line protocol), then close. Pathname
// unix sockets live in the filesystem, not the network namespace, so `taptcp ss` works from
// outside the namespace the stack serves.
#pragma once

#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "stack/stack.h"
#include "tap/event_loop.h"

namespace taptcp::apps {

// Where `serve` listens when --control is not given, and where `ss`/`nstat` look.
inline constexpr char kControlDir[] = "/run/taptcp";
std::string DefaultControlPath(const std::string& tap);

class ControlServer {
 public:
  // Binds `path` (a stale socket file left by a crashed run is replaced; a live one is an error)
  // and serves queries from `loop`. `stack` and `loop` must outlive the server.
  static absl::StatusOr<std::unique_ptr<ControlServer>> Start(const std::string& path,
                                                              tap::EventLoop& loop, Stack& stack);
  ~ControlServer();  // closes everything and removes the socket file
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  const std::string& path() const { return path_; }
  // The reply to one request line at `now` (also what tests call directly).
  static std::string Answer(std::string_view request, Stack& stack, Instant now);

 private:
  ControlServer(std::string path, tap::EventLoop& loop, Stack& stack)
      : path_(std::move(path)), loop_(loop), stack_(stack) {}
  void OnAccept();
  void OnClient(int fd);
  void Drop(int fd);

  static constexpr size_t kMaxRequest = 256;  // a request is one short line
  static constexpr size_t kMaxClients = 16;   // more at once wait in the listen backlog

  std::string path_;
  tap::EventLoop& loop_;
  Stack& stack_;
  int listen_fd_ = -1;
  absl::flat_hash_map<int, std::string> clients_;  // fd -> request bytes so far
};

}  // namespace taptcp::apps
