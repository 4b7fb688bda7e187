#include "apps/control_server.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "apps/ss_format.h"
#include "stack/absl_sv.h"

namespace taptcp::apps {
namespace {

absl::Status Errno(std::string_view what, const std::string& path) {
  return absl::UnavailableError(
      absl::StrCat("control socket ", path, ": ", Sv(what), ": ", std::strerror(errno)));
}

// Writes all of `data` to a blocking-enough unix socket; a reader that stops reading loses the
// rest (the fd is non-blocking so a stuck reader cannot stall the stack).
void WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    data.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace

std::string DefaultControlPath(const std::string& tap) {
  return absl::StrCat(kControlDir, "/", tap, ".sock");
}

absl::StatusOr<std::unique_ptr<ControlServer>> ControlServer::Start(const std::string& path,
                                                                    tap::EventLoop& loop,
                                                                    Stack& stack) {
  sockaddr_un addr{};
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("bad --control '", path,
                                                   "': expected a path of 1..",
                                                   sizeof(addr.sun_path) - 1, " characters"));
  }
  if (absl::StartsWith(path, kControlDir)) ::mkdir(kControlDir, 0755);  // EEXIST is fine
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno("socket", path);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno != EADDRINUSE) {
      const absl::Status s = Errno("bind", path);
      ::close(fd);
      return s;
    }
    // A socket file is there: in use by a live taptcp (refuse), or left by one that died.
    const int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const bool live =
        probe >= 0 && ::connect(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    if (probe >= 0) ::close(probe);
    if (live) {
      ::close(fd);
      return absl::AlreadyExistsError(absl::StrCat("control socket ", path,
                                                   " is in use by another taptcp: pass "
                                                   "--control with another path"));
    }
    ::unlink(path.c_str());
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      const absl::Status s = Errno("bind", path);
      ::close(fd);
      return s;
    }
  }
  if (::listen(fd, 16) != 0) {
    const absl::Status s = Errno("listen", path);
    ::close(fd);
    ::unlink(path.c_str());
    return s;
  }
  std::unique_ptr<ControlServer> server(new ControlServer(path, loop, stack));
  server->listen_fd_ = fd;
  ControlServer* self = server.get();
  if (absl::Status s = loop.AddFd(fd, [self] { self->OnAccept(); }); !s.ok()) return s;
  return server;
}

ControlServer::~ControlServer() {
  for (const auto& [fd, req] : clients_) {
    (void)loop_.RemoveFd(fd);
    ::close(fd);
  }
  if (listen_fd_ >= 0) {
    (void)loop_.RemoveFd(listen_fd_);
    ::close(listen_fd_);
    ::unlink(path_.c_str());
  }
}

void ControlServer::OnAccept() {
  for (;;) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN: all taken
    if (clients_.size() >= kMaxClients) {
      ::close(fd);
      continue;
    }
    clients_[fd];
    if (!loop_.AddFd(fd, [this, fd] { OnClient(fd); }).ok()) Drop(fd);
  }
}

void ControlServer::OnClient(int fd) {
  auto it = clients_.find(fd);
  if (it == clients_.end()) return;
  char buf[kMaxRequest];
  const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) {
    Drop(fd);
    return;
  }
  it->second.append(buf, static_cast<size_t>(n));
  const size_t nl = it->second.find('\n');
  if (nl == std::string::npos) {
    if (it->second.size() >= kMaxRequest) {
      WriteAll(fd, "error: request too long\n");
      Drop(fd);
    }
    return;
  }
  WriteAll(fd, Answer(std::string_view(it->second).substr(0, nl), stack_, loop_.Now()));
  Drop(fd);
}

void ControlServer::Drop(int fd) {
  (void)loop_.RemoveFd(fd);
  ::close(fd);
  clients_.erase(fd);
}

std::string ControlServer::Answer(std::string_view request, Stack& stack, Instant now) {
  const absl::string_view req = absl::StripAsciiWhitespace(Sv(request));
  if (req == "ss") return EncodeSockets(tcp::DumpSockets(stack.tcp(), std::max(now, stack.now())));
  if (req == "nstat") return EncodeCounters(stack.mib().Rows());
  return absl::StrCat("error: unknown request '", req, "' (expected ss or nstat)\n");
}

}  // namespace taptcp::apps
