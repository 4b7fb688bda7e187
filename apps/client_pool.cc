#include "apps/client_pool.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "apps/payload.h"
#include "stack/absl_sv.h"

namespace taptcp::apps {
namespace {

std::string ErrnoName(int err) {
  const char* name = strerrorname_np(err);
  return name != nullptr ? name : absl::StrCat("errno ", err);
}

}  // namespace

absl::Status ClientOptions::ParseShutdown(std::string_view text, int* how) {
  if (text == "none") {
    *how = kNoShutdown;
  } else if (text == "rd") {
    *how = socket::kShutRd;
  } else if (text == "wr") {
    *how = socket::kShutWr;
  } else if (text == "rdwr") {
    *how = socket::kShutRdWr;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("bad --shutdown '", Sv(text),
                     "': expected wr (half-close after sending, the default), rd, rdwr or none"));
  }
  return absl::OkStatus();
}

uint8_t ClientPool::PayloadAt(uint64_t i) const {
  return o_.use_data ? static_cast<uint8_t>(o_.data[i]) : PayloadByte(i);
}

void ClientPool::Service(Instant now) {
  last_now_ = now;
  if (!begun_) {
    begun_ = true;
    start_ = now;
  }
  // Every open connection (SocketApi::TakeChanged has one reader per stack, which may be
  // another app's).
  for (auto it = open_.begin(); it != open_.end();) {
    const int fd = it->first;
    Conn& c = it->second;
    ++it;  // Finish erases fd
    ServiceConn(fd, c);
  }
  Launch();
  if (done() && !done_at_) done_at_ = now;
}

void ClientPool::Launch() {
  while (open_.size() < parallel_ && started_ < count_) {
    const int fd = api_.Socket();
    Conn c;
    c.id = started_++;
    const int r = api_.Connect(fd, o_.to);
    if (r != -EINPROGRESS && r != 0) {
      Finish(fd, c, ErrnoName(-r),
             absl::StrCat("connect to ", o_.to.ip.ToString(), ":", o_.to.port, ": ",
                          std::strerror(-r)));
      continue;
    }
    open_.emplace(fd, c);
    peak_open_ = std::max(peak_open_, open_.size());
  }
}

bool ClientPool::ServiceConn(int fd, Conn& c) {
  if (!c.connected) {
    const uint32_t ev = api_.Poll(fd);
    if (ev & socket::kErr) {
      int err = 0;
      api_.GetSockOpt(fd, socket::kSolSocket, socket::kSoError, &err);
      Finish(fd, c, ErrnoName(err),
             absl::StrCat("connect to ", o_.to.ip.ToString(), ":", o_.to.port, ": ",
                          std::strerror(err)));
      return true;
    }
    if (!(ev & socket::kOut)) return false;
    c.connected = true;
  }
  const uint64_t total = o_.payload_size();
  uint8_t buf[16384];
  while (c.sent < total) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(sizeof buf, total - c.sent));
    if (o_.use_data) {
      std::memcpy(buf, o_.data.data() + c.sent, n);
    } else {
      FillPayload(c.sent, std::span(buf, n));
    }
    const int64_t w = api_.Send(fd, std::span<const uint8_t>(buf, n));
    if (w == -EAGAIN) break;
    if (w < 0) {
      const int err = static_cast<int>(-w);
      Finish(fd, c, ErrnoName(err), absl::StrCat("send: ", std::strerror(err)));
      return true;
    }
    c.sent += static_cast<uint64_t>(w);
    bytes_sent_ += static_cast<uint64_t>(w);
  }
  if (c.sent == total && !c.shut) {
    if (o_.shutdown != kNoShutdown) api_.Shutdown(fd, o_.shutdown);
    c.shut = true;
  }
  for (;;) {
    const int64_t n = api_.Recv(fd, buf);
    if (n > 0) {
      for (int64_t i = 0; o_.verify_echo && i < n; ++i) {
        const uint64_t at = c.received + static_cast<uint64_t>(i);
        if (at >= total || buf[i] != PayloadAt(at)) {
          Finish(fd, c, "echo-mismatch", absl::StrCat("the echo differs at byte ", at));
          return true;
        }
      }
      c.received += static_cast<uint64_t>(n);
      bytes_received_ += static_cast<uint64_t>(n);
      continue;
    }
    if (n == 0) {
      if (o_.verify_echo && c.received != total) {
        Finish(fd, c, "echo-short",
               absl::StrCat("the echo ended after ", c.received, " of ", total, " bytes"));
      } else {
        Finish(fd, c, "", "");
      }
      return true;
    }
    if (n != -EAGAIN) {
      const int err = static_cast<int>(-n);
      Finish(fd, c, ErrnoName(err), absl::StrCat("recv: ", std::strerror(err)));
      return true;
    }
    break;
  }
  // Without a half-close the server has no reason to send its FIN: the whole echo ends it.
  if (o_.shutdown == kNoShutdown && o_.verify_echo && c.shut && c.received == total) {
    Finish(fd, c, "", "");
    return true;
  }
  return false;
}

void ClientPool::Finish(int fd, const Conn& c, std::string_view cause, std::string detail) {
  if (cause.empty()) {
    ++completed_;
    if (o_.linger_zero) api_.SetLinger(fd, true, 0);
  } else {
    ++failed_;
    ++failures_[std::string(cause)];
    if (first_error_.empty()) first_error_ = absl::StrCat("connection ", c.id, ": ", detail);
  }
  api_.Close(fd);
  open_.erase(fd);  // `c` may be the erased entry: not used after this
}

void ClientPool::Abandon(Instant now) {
  last_now_ = now;
  while (!open_.empty()) {
    const auto it = open_.begin();
    const Conn c = it->second;
    Finish(
        it->first, c, "unfinished",
        absl::StrCat("unfinished after sending ", c.sent, " and receiving ", c.received, " bytes"));
  }
  // Those never started fail too, so completed + failed = count.
  for (; started_ < count_; ++started_) {
    ++failed_;
    ++failures_["unfinished"];
  }
  if (!done_at_) done_at_ = now;
}

std::string ClientPool::Summary() const {
  const double secs = ToSeconds(elapsed());
  std::string s = absl::StrCat(count_, count_ == 1 ? " connection" : " connections", " to ",
                               o_.to.ip.ToString(), ":", o_.to.port, ": ", completed_,
                               " completed, ", failed_, " failed");
  if (!failures_.empty()) {
    s += " (";
    bool first = true;
    for (const auto& [cause, n] : failures_) {
      absl::StrAppend(&s, first ? "" : ", ", cause, " ", n);
      first = false;
    }
    s += ")";
  }
  const auto rate = [&](double v) { return secs > 0 ? v / secs : 0.0; };
  absl::StrAppend(
      &s, absl::StrFormat(" in %.3f s (%.1f conn/s, at most %d at once); sent %d B "
                          "(%.1f Mbit/s), received %d B (%.1f Mbit/s)",
                          secs, rate(static_cast<double>(completed_)), peak_open_, bytes_sent_,
                          rate(static_cast<double>(bytes_sent_) * 8 / 1e6), bytes_received_,
                          rate(static_cast<double>(bytes_received_) * 8 / 1e6)));
  return s;
}

}  // namespace taptcp::apps
