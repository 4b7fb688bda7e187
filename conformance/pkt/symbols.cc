#include "conformance/pkt/symbols.h"

#include <cstring>

#include "absl/strings/str_cat.h"

namespace taptcp::pkt {
namespace {

struct Symbol {
  const char* name;
  int64_t value;
};

// Values from Linux's uapi headers (asm-generic/socket.h, linux/tcp.h, asm-generic/fcntl.h,
// asm-generic/poll.h, linux/socket.h), not from the host's libc, so they are Linux's everywhere.
constexpr Symbol kSymbols[] = {
    // Address families, socket types and protocols.
    {"AF_UNSPEC", 0},
    {"AF_INET", 2},
    {"AF_INET6", 10},
    {"PF_INET", 2},
    {"PF_INET6", 10},
    {"SOCK_STREAM", 1},
    {"SOCK_DGRAM", 2},
    {"SOCK_RAW", 3},
    {"SOCK_NONBLOCK", 04000},
    {"SOCK_CLOEXEC", 02000000},
    {"IPPROTO_IP", 0},
    {"IPPROTO_ICMP", 1},
    {"IPPROTO_TCP", 6},
    {"IPPROTO_UDP", 17},
    {"IPPROTO_IPV6", 41},
    // Option levels.
    {"SOL_SOCKET", 1},
    {"SOL_IP", 0},
    {"SOL_TCP", 6},
    {"SOL_IPV6", 41},
    // SOL_SOCKET options.
    {"SO_DEBUG", 1},
    {"SO_REUSEADDR", 2},
    {"SO_TYPE", 3},
    {"SO_ERROR", 4},
    {"SO_DONTROUTE", 5},
    {"SO_BROADCAST", 6},
    {"SO_SNDBUF", 7},
    {"SO_RCVBUF", 8},
    {"SO_KEEPALIVE", 9},
    {"SO_OOBINLINE", 10},
    {"SO_NO_CHECK", 11},
    {"SO_PRIORITY", 12},
    {"SO_LINGER", 13},
    {"SO_REUSEPORT", 15},
    {"SO_RCVLOWAT", 18},
    {"SO_SNDLOWAT", 19},
    {"SO_RCVTIMEO", 20},
    {"SO_SNDTIMEO", 21},
    {"SO_SNDBUFFORCE", 32},
    {"SO_RCVBUFFORCE", 33},
    {"SO_MARK", 36},
    {"SO_MAX_PACING_RATE", 47},
    {"SO_INCOMING_CPU", 49},
    {"SO_ZEROCOPY", 60},
    // IPPROTO_TCP options.
    {"TCP_NODELAY", 1},
    {"TCP_MAXSEG", 2},
    {"TCP_CORK", 3},
    {"TCP_KEEPIDLE", 4},
    {"TCP_KEEPINTVL", 5},
    {"TCP_KEEPCNT", 6},
    {"TCP_SYNCNT", 7},
    {"TCP_LINGER2", 8},
    {"TCP_DEFER_ACCEPT", 9},
    {"TCP_WINDOW_CLAMP", 10},
    {"TCP_INFO", 11},
    {"TCP_QUICKACK", 12},
    {"TCP_CONGESTION", 13},
    {"TCP_MD5SIG", 14},
    {"TCP_THIN_LINEAR_TIMEOUTS", 16},
    {"TCP_THIN_DUPACK", 17},
    {"TCP_USER_TIMEOUT", 18},
    {"TCP_REPAIR", 19},
    {"TCP_FASTOPEN", 23},
    {"TCP_TIMESTAMP", 24},
    {"TCP_NOTSENT_LOWAT", 25},
    {"TCP_CC_INFO", 26},
    {"TCP_SAVE_SYN", 27},
    {"TCP_SAVED_SYN", 28},
    {"TCP_FASTOPEN_CONNECT", 30},
    {"TCP_ULP", 31},
    {"TCP_FASTOPEN_KEY", 33},
    {"TCP_FASTOPEN_NO_COOKIE", 34},
    {"TCP_INQ", 36},
    {"TCP_TX_DELAY", 37},
    // fcntl.
    {"F_GETFD", 1},
    {"F_SETFD", 2},
    {"F_GETFL", 3},
    {"F_SETFL", 4},
    {"FD_CLOEXEC", 1},
    {"O_RDONLY", 0},
    {"O_WRONLY", 1},
    {"O_RDWR", 2},
    {"O_NONBLOCK", 04000},
    {"O_NDELAY", 04000},
    {"O_CLOEXEC", 02000000},
    // poll.
    {"POLLIN", 0x001},
    {"POLLPRI", 0x002},
    {"POLLOUT", 0x004},
    {"POLLERR", 0x008},
    {"POLLHUP", 0x010},
    {"POLLNVAL", 0x020},
    {"POLLRDNORM", 0x040},
    {"POLLRDBAND", 0x080},
    {"POLLWRNORM", 0x100},
    {"POLLWRBAND", 0x200},
    {"POLLMSG", 0x400},
    {"POLLRDHUP", 0x2000},
    // shutdown.
    {"SHUT_RD", 0},
    {"SHUT_WR", 1},
    {"SHUT_RDWR", 2},
    // send/recv flags.
    {"MSG_OOB", 0x1},
    {"MSG_PEEK", 0x2},
    {"MSG_DONTROUTE", 0x4},
    {"MSG_CTRUNC", 0x8},
    {"MSG_TRUNC", 0x20},
    {"MSG_DONTWAIT", 0x40},
    {"MSG_EOR", 0x80},
    {"MSG_WAITALL", 0x100},
    {"MSG_ERRQUEUE", 0x2000},
    {"MSG_NOSIGNAL", 0x4000},
    {"MSG_MORE", 0x8000},
    {"MSG_ZEROCOPY", 0x4000000},
    {"MSG_FASTOPEN", 0x20000000},
    // ioctl.
    {"FIONREAD", 0x541B},
    {"SIOCINQ", 0x541B},
    {"SIOCOUTQ", 0x5411},
    {"SIOCOUTQNSD", 0x894B},
    // tcpi_state values (include/net/tcp_states.h).
    {"TCP_ESTABLISHED", 1},
    {"TCP_SYN_SENT", 2},
    {"TCP_SYN_RECV", 3},
    {"TCP_FIN_WAIT1", 4},
    {"TCP_FIN_WAIT2", 5},
    {"TCP_TIME_WAIT", 6},
    {"TCP_CLOSE", 7},
    {"TCP_CLOSE_WAIT", 8},
    {"TCP_LAST_ACK", 9},
    {"TCP_LISTEN", 10},
    {"TCP_CLOSING", 11},
    {"NULL", 0},
};

constexpr Symbol kErrnos[] = {
    {"EPERM", 1},
    {"ENOENT", 2},
    {"EINTR", 4},
    {"EIO", 5},
    {"EBADF", 9},
    {"EAGAIN", 11},
    {"EWOULDBLOCK", 11},
    {"ENOMEM", 12},
    {"EACCES", 13},
    {"EFAULT", 14},
    {"EBUSY", 16},
    {"EEXIST", 17},
    {"ENODEV", 19},
    {"EINVAL", 22},
    {"ENFILE", 23},
    {"EMFILE", 24},
    {"ENOSPC", 28},
    {"EPIPE", 32},
    {"ERANGE", 34},
    {"ENOTSOCK", 88},
    {"EDESTADDRREQ", 89},
    {"EMSGSIZE", 90},
    {"EPROTOTYPE", 91},
    {"ENOPROTOOPT", 92},
    {"EPROTONOSUPPORT", 93},
    {"ESOCKTNOSUPPORT", 94},
    {"EOPNOTSUPP", 95},
    {"ENOTSUP", 95},
    {"EPFNOSUPPORT", 96},
    {"EAFNOSUPPORT", 97},
    {"EADDRINUSE", 98},
    {"EADDRNOTAVAIL", 99},
    {"ENETDOWN", 100},
    {"ENETUNREACH", 101},
    {"ENETRESET", 102},
    {"ECONNABORTED", 103},
    {"ECONNRESET", 104},
    {"ENOBUFS", 105},
    {"EISCONN", 106},
    {"ENOTCONN", 107},
    {"ESHUTDOWN", 108},
    {"ETIMEDOUT", 110},
    {"ECONNREFUSED", 111},
    {"EHOSTDOWN", 112},
    {"EHOSTUNREACH", 113},
    {"EALREADY", 114},
    {"EINPROGRESS", 115},
};

constexpr Symbol kPollNames[] = {
    {"POLLIN", 0x001},     {"POLLPRI", 0x002},    {"POLLOUT", 0x004},    {"POLLERR", 0x008},
    {"POLLHUP", 0x010},    {"POLLNVAL", 0x020},   {"POLLRDNORM", 0x040}, {"POLLRDBAND", 0x080},
    {"POLLWRNORM", 0x100}, {"POLLWRBAND", 0x200}, {"POLLMSG", 0x400},    {"POLLRDHUP", 0x2000},
};

}  // namespace

std::optional<int64_t> LookupSymbol(std::string_view name) {
  for (const Symbol& s : kSymbols) {
    if (name == s.name) return s.value;
  }
  if (std::optional<int> e = LookupErrno(name)) return *e;
  return std::nullopt;
}

std::optional<int> LookupErrno(std::string_view name) {
  for (const Symbol& s : kErrnos) {
    if (name == s.name) return static_cast<int>(s.value);
  }
  return std::nullopt;
}

std::string ErrnoName(int err) {
  for (const Symbol& s : kErrnos) {
    if (s.value == err) return s.name;
  }
  return absl::StrCat("errno ", err);
}

std::string ErrnoText(int err) { return std::strerror(err); }

std::string PollFlagsString(int64_t flags) {
  if (flags == 0) return "0";
  std::string s;
  for (const Symbol& p : kPollNames) {
    if ((flags & p.value) == 0) continue;
    if (!s.empty()) s += "|";
    s += p.name;
    flags &= ~p.value;
  }
  if (flags != 0) absl::StrAppend(&s, s.empty() ? "" : "|", absl::Hex(flags, absl::kZeroPad4));
  return s;
}

}  // namespace taptcp::pkt
