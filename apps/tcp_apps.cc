#include "apps/tcp_apps.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "stack/absl_sv.h"

namespace taptcp::apps {

absl::Status TcpServerApp::ParseMode(std::string_view name, Mode* mode) {
  if (name == "echo") {
    *mode = Mode::kEcho;
  } else if (name == "discard") {
    *mode = Mode::kDiscard;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("bad --app '", Sv(name), "': expected echo or discard"));
  }
  return absl::OkStatus();
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

void TcpServerApp::Service() {
  for (int fd; (fd = api_.Accept(listen_fd_)) >= 0;) {
    conns_[fd];
    ++accepted_;
  }
  for (auto it = conns_.begin(); it != conns_.end();) {
    ServiceConn(it->first, it->second);
    const uint32_t ev = api_.Poll(it->first);
    const bool finished = (it->second.eof && it->second.pending.empty()) || (ev & socket::kErr);
    if (finished) {
      api_.Close(it->first);
      it = conns_.erase(it);
    } else {
      ++it;
    }
  }
}

void TcpServerApp::ServiceConn(int fd, Conn& c) {
  uint8_t buf[16384];
  for (;;) {
    // Echo applies back-pressure: read no more than can be kept pending.
    if (mode_ == Mode::kEcho && c.pending.size() > (1u << 20)) break;
    const int64_t n = api_.Recv(fd, buf);
    if (n > 0) {
      bytes_in_ += static_cast<uint64_t>(n);
      if (mode_ == Mode::kEcho) c.pending.insert(c.pending.end(), buf, buf + n);
      continue;
    }
    if (n == 0) c.eof = true;
    break;
  }
  while (!c.pending.empty()) {
    const int64_t n = api_.Send(fd, c.pending);
    if (n <= 0) break;
    c.pending.erase(c.pending.begin(), c.pending.begin() + n);
  }
  if (c.eof && c.pending.empty()) api_.Shutdown(fd, socket::kShutWr);
}

// A simple, seekable stream: byte i of the payload, so nothing has to be stored to verify it.
uint8_t TcpClientApp::ByteAt(uint64_t i) const {
  uint64_t x = (i + 0x9E3779B97F4A7C15ull) * 0xBF58476D1CE4E5B9ull;
  x ^= x >> 31;
  return static_cast<uint8_t>(x);
}

void TcpClientApp::Start() {
  fd_ = api_.Socket();
  const int r = api_.Connect(fd_, to_);
  if (r != -EINPROGRESS && r != 0) {
    Finish(absl::UnavailableError(absl::StrCat("connect: ", std::strerror(-r))));
  }
}

void TcpClientApp::Finish(absl::Status s) {
  if (done_) return;
  done_ = true;
  result_ = std::move(s);
  if (fd_ >= 0) api_.Close(fd_);
  fd_ = -1;
}

void TcpClientApp::Service() {
  if (done_) return;
  const uint32_t ev = api_.Poll(fd_);
  if (!connected_) {
    if (ev & socket::kErr) {
      int err = 0;
      api_.GetSockOpt(fd_, socket::kSolSocket, socket::kSoError, &err);
      Finish(absl::UnavailableError(
          absl::StrCat("connect to ", to_.ip.ToString(), ":", to_.port, ": ", std::strerror(err))));
      return;
    }
    if (!(ev & socket::kOut)) return;
    connected_ = true;
  }
  uint8_t buf[16384];
  while (sent_ < bytes_) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(sizeof buf, bytes_ - sent_));
    for (size_t i = 0; i < n; ++i) buf[i] = ByteAt(sent_ + i);
    const int64_t w = api_.Send(fd_, std::span<const uint8_t>(buf, n));
    if (w <= 0) break;
    sent_ += static_cast<uint64_t>(w);
  }
  if (sent_ == bytes_ && !shut_) {
    api_.Shutdown(fd_, socket::kShutWr);
    shut_ = true;
  }
  for (;;) {
    const int64_t n = api_.Recv(fd_, buf);
    if (n > 0) {
      for (int64_t i = 0; verify_ && i < n; ++i) {
        if (buf[i] != ByteAt(received_ + static_cast<uint64_t>(i))) {
          Finish(absl::DataLossError(absl::StrCat("echo differs at byte ", received_ + i)));
          return;
        }
      }
      received_ += static_cast<uint64_t>(n);
      continue;
    }
    if (n == 0) {
      if (verify_ && received_ != bytes_) {
        Finish(absl::DataLossError(
            absl::StrCat("echo ended after ", received_, " of ", bytes_, " bytes")));
      } else {
        Finish(absl::OkStatus());
      }
      return;
    }
    if (n != -EAGAIN) {
      Finish(absl::UnavailableError(absl::StrCat("recv: ", std::strerror(static_cast<int>(-n)))));
    }
    return;
  }
}

}  // namespace taptcp::apps
