#include "conformance/replay/app_calls.h"

#include <cerrno>
#include <cstdint>
#include <vector>

#include "absl/strings/str_cat.h"

namespace taptcp::replay {
namespace {

// setsockopt names the recorder may write, with Linux's numbers (socket_api.h).
bool OptionNumbers(const AppCall& c, int* level, int* name) {
  struct Known {
    const char* level;
    const char* name;
    int level_value;
    int name_value;
  };
  static constexpr Known kKnown[] = {
      {"SOL_SOCKET", "SO_REUSEADDR", socket::kSolSocket, socket::kSoReuseAddr},
      {"SOL_SOCKET", "SO_KEEPALIVE", socket::kSolSocket, socket::kSoKeepAlive},
      {"SOL_SOCKET", "SO_SNDBUF", socket::kSolSocket, socket::kSoSndBuf},
      {"SOL_SOCKET", "SO_RCVBUF", socket::kSolSocket, socket::kSoRcvBuf},
      {"IPPROTO_TCP", "TCP_NODELAY", socket::kIpProtoTcp, socket::kTcpNoDelay},
      {"IPPROTO_TCP", "TCP_MAXSEG", socket::kIpProtoTcp, socket::kTcpMaxSeg},
      {"IPPROTO_TCP", "TCP_KEEPIDLE", socket::kIpProtoTcp, socket::kTcpKeepIdle},
      {"IPPROTO_TCP", "TCP_KEEPINTVL", socket::kIpProtoTcp, socket::kTcpKeepIntvl},
      {"IPPROTO_TCP", "TCP_KEEPCNT", socket::kIpProtoTcp, socket::kTcpKeepCnt},
      {"IPPROTO_TCP", "TCP_SYNCNT", socket::kIpProtoTcp, socket::kTcpSynCnt},
      {"IPPROTO_TCP", "TCP_LINGER2", socket::kIpProtoTcp, socket::kTcpLinger2},
  };
  for (const Known& k : kKnown) {
    if (c.level == k.level && c.name == k.name) {
      *level = k.level_value;
      *name = k.name_value;
      return true;
    }
  }
  return false;
}

std::string Result(int64_t r) { return r < 0 ? ErrnoName(static_cast<int>(-r)) : absl::StrCat(r); }

}  // namespace

std::string ErrnoName(int err) {
  switch (err) {
    case EPERM:
      return "EPERM";
    case ENOENT:
      return "ENOENT";
    case EBADF:
      return "EBADF";
    case EAGAIN:
      return "EAGAIN";
    case ENOMEM:
      return "ENOMEM";
    case EACCES:
      return "EACCES";
    case EINVAL:
      return "EINVAL";
    case EPIPE:
      return "EPIPE";
    case ENOTSOCK:
      return "ENOTSOCK";
    case ENOPROTOOPT:
      return "ENOPROTOOPT";
    case EOPNOTSUPP:
      return "EOPNOTSUPP";
    case EADDRINUSE:
      return "EADDRINUSE";
    case EADDRNOTAVAIL:
      return "EADDRNOTAVAIL";
    case ENETUNREACH:
      return "ENETUNREACH";
    case ECONNABORTED:
      return "ECONNABORTED";
    case ECONNRESET:
      return "ECONNRESET";
    case EISCONN:
      return "EISCONN";
    case ENOTCONN:
      return "ENOTCONN";
    case ETIMEDOUT:
      return "ETIMEDOUT";
    case ECONNREFUSED:
      return "ECONNREFUSED";
    case EHOSTUNREACH:
      return "EHOSTUNREACH";
    case EALREADY:
      return "EALREADY";
    case EINPROGRESS:
      return "EINPROGRESS";
    default:
      return absl::StrCat("errno ", err);
  }
}

std::string AppCalls::Run(const AppCall& c) {
  if (c.call == "socket") {
    fds_[c.sock] = api_.Socket();
    return "0";
  }
  auto it = fds_.find(c.sock);
  if (it == fds_.end()) return "EBADF";
  const int fd = it->second;
  if (c.call == "setsockopt") {
    int level = 0, name = 0;
    if (!OptionNumbers(c, &level, &name)) return "ENOPROTOOPT";
    return Result(api_.SetSockOpt(fd, level, name, c.value));
  }
  if (c.call == "bind") {
    return Result(api_.Bind(fd, {local_ip_, static_cast<uint16_t>(c.port)}));
  }
  if (c.call == "listen") return Result(api_.Listen(fd, c.backlog));
  if (c.call == "accept") {
    const int r = api_.Accept(fd);
    if (r < 0) return Result(r);
    fds_[c.as] = r;
    return "0";  // the recorder writes 0 for a new socket: descriptor numbers differ anyway
  }
  if (c.call == "connect") {
    const std::optional<wire::Ipv4Address> ip = wire::Ipv4Address::Parse(c.ip);
    if (!ip) return "EINVAL";
    return Result(api_.Connect(fd, {*ip, static_cast<uint16_t>(c.port)}));
  }
  if (c.call == "send") {
    const std::vector<uint8_t> data(static_cast<size_t>(c.bytes), 'x');
    return Result(api_.Send(fd, data));
  }
  if (c.call == "recv") {
    std::vector<uint8_t> buf(static_cast<size_t>(c.bytes));
    return Result(api_.Recv(fd, buf));
  }
  if (c.call == "shutdown") {
    const int how = c.how == "SHUT_RD"   ? socket::kShutRd
                    : c.how == "SHUT_WR" ? socket::kShutWr
                                         : socket::kShutRdWr;
    return Result(api_.Shutdown(fd, how));
  }
  if (c.call == "close") {
    fds_.erase(it);
    return Result(api_.Close(fd));
  }
  return "EINVAL";  // the description loader admits no other call
}

std::string AppCalls::Text(const AppCall& c) {
  if (c.call == "socket") return absl::StrCat("socket() -> ", c.sock);
  if (c.call == "setsockopt") {
    return absl::StrCat("setsockopt(", c.sock, ", ", c.level, ", ", c.name, ", ", c.value, ")");
  }
  if (c.call == "bind") return absl::StrCat("bind(", c.sock, ", ", c.port, ")");
  if (c.call == "listen") return absl::StrCat("listen(", c.sock, ", ", c.backlog, ")");
  if (c.call == "accept") return absl::StrCat("accept(", c.sock, ") -> ", c.as);
  if (c.call == "connect") return absl::StrCat("connect(", c.sock, ", ", c.ip, ":", c.port, ")");
  if (c.call == "send" || c.call == "recv") {
    return absl::StrCat(c.call, "(", c.sock, ", ", c.bytes, ")");
  }
  if (c.call == "shutdown") return absl::StrCat("shutdown(", c.sock, ", ", c.how, ")");
  return absl::StrCat(c.call, "(", c.sock, ")");
}

bool AppCalls::SameResult(const std::string& a, const std::string& b) {
  auto norm = [](const std::string& s) { return s == "EWOULDBLOCK" ? std::string("EAGAIN") : s; };
  return norm(a) == norm(b);
}

}  // namespace taptcp::replay
