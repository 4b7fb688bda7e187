#include "apps/tcp_apps.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "apps/payload.h"
#include "stack/absl_sv.h"

namespace taptcp::apps {
namespace {

struct ModeName {
  ServerMode::Kind kind;
  std::string_view name;
};
constexpr ModeName kModes[] = {
    {ServerMode::kEcho, "echo"},
    {ServerMode::kDiscard, "discard"},
    {ServerMode::kHttp, "http"},
    {ServerMode::kHold, "hold"},
    {ServerMode::kNoAccept, "noaccept"},
    {ServerMode::kClose, "close"},
    {ServerMode::kLinger0, "linger0"},
    {ServerMode::kUnreadClose, "unread-close"},
    {ServerMode::kWriteClose, "write-close"},
    {ServerMode::kShutdownWr, "shutdown-wr"},
};

// Echo reads at most this far ahead of what it sent back: the rest waits in the socket, and the
// peer meets our window (back-pressure instead of an unbounded buffer).
constexpr size_t kEchoMaxPending = 1 << 20;

}  // namespace

absl::Status ServerMode::Parse(std::string_view text, ServerMode* mode) {
  std::string_view name = text, arg;
  const size_t sep = text.find_first_of(": =");
  if (sep != std::string_view::npos) {
    name = text.substr(0, sep);
    arg = text.substr(sep + 1);
  }
  for (const ModeName& m : kModes) {
    if (name != m.name) continue;
    uint64_t n = 0;
    if (m.kind == kWriteClose) {
      if (!absl::SimpleAtoi(Sv(arg), &n) || arg.empty() || arg[0] == '+' || arg[0] == '-') break;
    } else if (sep != std::string_view::npos) {
      break;  // only write-close takes an argument
    }
    mode->kind = m.kind;
    mode->write_bytes = n;
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("bad --app '", Sv(text),
                   "': expected echo, discard, http, hold, noaccept, close, linger0, "
                   "unread-close, write-close:N (N bytes, then close) or shutdown-wr"));
}

std::string ServerMode::Name() const {
  for (const ModeName& m : kModes) {
    if (m.kind != kind) continue;
    if (kind == kWriteClose) return absl::StrCat(Sv(m.name), ":", write_bytes);
    return std::string(m.name);
  }
  return "?";
}

absl::Status TcpServerApp::Listen(uint16_t port, int backlog) {
  listen_fd_ = api_.Socket();
  api_.SetSockOpt(listen_fd_, socket::kSolSocket, socket::kSoReuseAddr, 1);
  if (int r = api_.Bind(listen_fd_, {wire::Ipv4Address::Any(), port}); r < 0) {
    return absl::InternalError(absl::StrCat("bind port ", port, ": ", std::strerror(-r)));
  }
  if (int r = api_.Listen(listen_fd_, backlog); r < 0) {
    return absl::InternalError(absl::StrCat("listen on port ", port, ": ", std::strerror(-r)));
  }
  return absl::OkStatus();
}

void TcpServerApp::Service(Instant now) {
  if (listen_fd_ < 0) return;
  if (mode_.kind != ServerMode::kNoAccept) {
    for (int fd; (fd = api_.Accept(listen_fd_)) >= 0;) OnAccept(fd, now);
  }
  // Every connection, not only those SocketApi::TakeChanged names: that list has one reader per
  // stack, and several apps may share one (the demo runs three).
  for (auto it = conns_.begin(); it != conns_.end();) {
    const int fd = it->first;
    const bool done = ServiceConn(fd, it->second, now);
    ++it;  // CloseConn erases fd
    if (done) CloseConn(fd);
  }
}

void TcpServerApp::OnAccept(int fd, Instant now) {
  ++stats_.accepted;
  switch (mode_.kind) {
    case ServerMode::kClose:
      CloseConn(fd);  // FIN now (an RST if the peer's data already arrived: it is unread)
      return;
    case ServerMode::kLinger0:
      api_.SetLinger(fd, true, 0);
      CloseConn(fd);
      return;
    case ServerMode::kShutdownWr:
      api_.Shutdown(fd, socket::kShutWr);
      break;
    default:
      break;
  }
  Conn& c = conns_[fd];
  c.last_progress = now;
  if (mode_.kind == ServerMode::kHttp) c.http = std::make_unique<http::Session>();
  // What arrived before accept() raised no event on this socket: look now.
  if (ServiceConn(fd, c, now)) CloseConn(fd);
}

bool TcpServerApp::ServiceConn(int fd, Conn& c, Instant now) {
  switch (mode_.kind) {
    case ServerMode::kEcho:
      return ServiceEcho(fd, c);
    case ServerMode::kDiscard:
    case ServerMode::kShutdownWr:
      return !Drain(fd, c) || c.eof;
    case ServerMode::kHttp: {
      const uint64_t in = stats_.bytes_in, out = stats_.bytes_out;
      const bool done = ServiceHttp(fd, c);
      if (stats_.bytes_in != in || stats_.bytes_out != out) c.last_progress = now;
      return done;
    }
    case ServerMode::kHold:
      // Kept whatever comes, except a connection the peer reset: nothing is left to hold.
      return (api_.Poll(fd) & (socket::kErr | socket::kHup)) != 0;
    case ServerMode::kUnreadClose: {
      uint8_t b;
      const int64_t n = api_.Recv(fd, std::span(&b, 1), socket::kMsgPeek);
      return n != -EAGAIN;  // data (close unread: RST), EOF (FIN) or an error
    }
    case ServerMode::kWriteClose:
      return ServiceWriteClose(fd, c);
    case ServerMode::kNoAccept:
    case ServerMode::kClose:
    case ServerMode::kLinger0:
      break;
  }
  return true;
}

bool TcpServerApp::Drain(int fd, Conn& c) {
  // Reads as large as a kernel server's (tap_bench_peer reads 64 KiB): every byte still copied
  // out to the application, as read(2) does, in as few calls.
  if (drain_buf_.empty()) drain_buf_.resize(kDrainReadSize);
  for (;;) {
    const int64_t n = api_.Recv(fd, drain_buf_);
    if (n > 0) {
      stats_.bytes_in += static_cast<uint64_t>(n);
      continue;
    }
    if (n == 0) c.eof = true;
    return n == 0 || n == -EAGAIN;
  }
}

bool TcpServerApp::ServiceEcho(int fd, Conn& c) {
  uint8_t buf[16384];
  for (bool progress = true; progress;) {
    progress = false;
    while (!c.eof && c.pending.size() - c.pending_at < kEchoMaxPending) {
      const int64_t n = api_.Recv(fd, buf);
      if (n > 0) {
        stats_.bytes_in += static_cast<uint64_t>(n);
        c.pending.insert(c.pending.end(), buf, buf + n);
        progress = true;
      } else if (n == 0) {
        c.eof = true;
      } else if (n == -EAGAIN) {
        break;
      } else {
        return true;  // reset
      }
    }
    while (c.pending_at < c.pending.size()) {
      const int64_t w = api_.Send(fd, std::span<const uint8_t>(c.pending.data() + c.pending_at,
                                                               c.pending.size() - c.pending_at));
      if (w == -EAGAIN) break;
      if (w <= 0) return true;
      c.pending_at += static_cast<size_t>(w);
      stats_.bytes_out += static_cast<uint64_t>(w);
      progress = true;
    }
    if (c.pending_at == c.pending.size()) {
      c.pending.clear();
      c.pending_at = 0;
    } else if (c.pending_at > c.pending.size() / 2) {
      c.pending.erase(c.pending.begin(), c.pending.begin() + static_cast<ptrdiff_t>(c.pending_at));
      c.pending_at = 0;
    }
  }
  return c.eof && c.pending.empty();
}

bool TcpServerApp::ServiceWriteClose(int fd, Conn& c) {
  if (!Drain(fd, c)) return true;
  uint8_t buf[16384];
  while (c.written < mode_.write_bytes) {
    const size_t n =
        static_cast<size_t>(std::min<uint64_t>(sizeof buf, mode_.write_bytes - c.written));
    FillPayload(c.written, std::span(buf, n));
    const int64_t w = api_.Send(fd, std::span<const uint8_t>(buf, n));
    if (w == -EAGAIN) return false;
    if (w <= 0) return true;
    c.written += static_cast<uint64_t>(w);
    stats_.bytes_out += static_cast<uint64_t>(w);
  }
  // Everything is in the send buffer: close() puts the FIN after it, as in Linux.
  return true;
}

bool TcpServerApp::ServiceHttp(int fd, Conn& c) {
  http::Session& s = *c.http;
  const uint64_t requests = s.requests();
  uint8_t buf[16384];
  bool reset = false;
  for (bool progress = true; progress && !reset && !s.Finished();) {
    progress = false;
    for (size_t room; !reset && (room = s.InputRoom()) > 0;) {
      const int64_t n = api_.Recv(fd, std::span(buf, std::min(room, sizeof buf)));
      if (n > 0) {
        stats_.bytes_in += static_cast<uint64_t>(n);
        s.OnInput(std::span<const uint8_t>(buf, static_cast<size_t>(n)));
        progress = true;
        continue;
      }
      if (n == 0 && !c.eof) {
        c.eof = true;
        s.OnEof();
        progress = true;
      }
      reset = n < 0 && n != -EAGAIN;
      break;
    }
    for (size_t n; !reset && (n = s.FillOutput(buf)) > 0;) {
      const int64_t w = api_.Send(fd, std::span<const uint8_t>(buf, n));
      if (w == -EAGAIN) break;
      if (w <= 0) {
        reset = true;
        break;
      }
      s.OnSent(static_cast<size_t>(w));
      stats_.bytes_out += static_cast<uint64_t>(w);
      progress = true;
    }
    if (!reset && s.WantsShutdownWrite()) {
      api_.Shutdown(fd, socket::kShutWr);  // our FIN; then linger, reading, until the peer's
      s.OnShutdownWrite();
      progress = true;
    }
  }
  stats_.http_requests += s.requests() - requests;
  return reset || s.Finished();
}

void TcpServerApp::Expire(Instant now) {
  if (mode_.kind != ServerMode::kHttp) return;
  std::vector<int> idle;
  for (const auto& [fd, c] : conns_) {
    if (now - c.last_progress >= kHttpIdleTimeout) idle.push_back(fd);
  }
  for (int fd : idle) {
    ++stats_.expired;
    CloseConn(fd);
  }
}

void TcpServerApp::CloseConn(int fd) {
  api_.Close(fd);
  conns_.erase(fd);
  ++stats_.closed;
}

std::string TcpServerApp::Summary() const {
  std::string s = absl::StrCat("app ", mode_.Name(), ": accepted ", stats_.accepted, ", closed ",
                               stats_.closed, ", open ", conns_.size(), ", read ", stats_.bytes_in,
                               " B, wrote ", stats_.bytes_out, " B");
  if (mode_.kind == ServerMode::kHttp) {
    absl::StrAppend(&s, ", ", stats_.http_requests, " HTTP requests, ", stats_.expired,
                    " closed idle");
  }
  return s;
}

}  // namespace taptcp::apps
