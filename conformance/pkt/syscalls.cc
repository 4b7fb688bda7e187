#include "conformance/pkt/syscalls.h"

#include <algorithm>
#include <cerrno>
#include <memory>
#include <span>

#include "absl/strings/str_cat.h"
#include "conformance/pkt/call_args.h"
#include "conformance/pkt/symbols.h"

namespace taptcp::pkt {
namespace {

constexpr int64_t kMaxIoBytes = int64_t{64} << 20;  // one read or write: bounds a hostile count
constexpr int kSockNonblock = 04000;
constexpr int kSockCloexec = 02000000;
constexpr int kMsgPeek = 0x2, kMsgDontwait = 0x40, kMsgNosignal = 0x4000;
constexpr int kMsgFastopen = 0x20000000;

absl::Status Error(std::string msg) { return absl::InvalidArgumentError(std::move(msg)); }

}  // namespace

Call Syscalls::Simple(std::function<int64_t()> op, const SyscallSpec& spec) {
  Call c;
  c.attempt = [op = std::move(op)]() -> std::optional<int64_t> { return op(); };
  c.finish = [sp = &spec](int64_t r) { return CheckResult(*sp, r, false); };
  return c;
}

void Syscalls::StartConnecting(ScriptSocket* s) {
  if (s->state != SockState::kNew) return;
  s->state = SockState::kActiveConnecting;
  s->remote = {config_.remote_ip, config_.connect_port};
}

absl::StatusOr<Call> Syscalls::Prepare(const SyscallSpec& spec, int line) {
  std::vector<Expr> a;
  for (const Expr& e : spec.args) {
    absl::StatusOr<Expr> v = Evaluate(e);
    if (!v.ok()) return v.status();
    a.push_back(*std::move(v));
  }
  const std::string& n = spec.name;
  absl::Status err;
  if (n == "socket") {
    Call c = Socket(a, spec, &err);
    if (!err.ok()) return err;
    return c;
  }
  if (n == "poll") {
    Call c = Poll(a, spec, &err);
    if (!err.ok()) return err;
    return c;
  }
  static constexpr const char* kKnown[] = {
      "bind", "listen", "accept",   "connect", "read",       "recv",       "write",
      "send", "sendto", "shutdown", "close",   "setsockopt", "getsockopt", "fcntl"};
  bool known = false;
  for (const char* k : kKnown) known = known || n == k;
  if (!known) {
    return Error(absl::StrCat("Unknown system call: '", n,
                              "' (taptcp pkt supports socket, bind, listen, accept, connect, "
                              "read, recv, write, send, sendto, shutdown, close, setsockopt, "
                              "getsockopt, fcntl, poll)"));
  }
  absl::StatusOr<int64_t> fd = IntArg(a, 0);
  if (!fd.ok()) return fd.status();
  ScriptSocket* s = sockets_.ByScriptFd(static_cast<int>(*fd));
  if (s == nullptr || s->live_fd < 0) {
    return Error(absl::StrCat("unable to find fd with script fd ", *fd));
  }
  socket::SocketApi& api = harness_.stack().sockets();
  const int live = s->live_fd;
  if (n == "bind") {
    if (absl::Status st = CheckArgCount(a, 3); !st.ok()) return st;
    if (absl::Status st = EllipsisArg(a, 1); !st.ok()) return st;
    if (absl::Status st = EllipsisArg(a, 2); !st.ok()) return st;
    // run_syscall_bind: always the configured local address and port, whatever the script says.
    const socket::SockAddr addr{config_.local_ip, config_.bind_port};
    return Simple([&api, live, addr] { return api.Bind(live, addr); }, spec);
  }
  if (n == "listen") {
    if (absl::Status st = CheckArgCount(a, 2); !st.ok()) return st;
    absl::StatusOr<int64_t> backlog = IntArg(a, 1);
    if (!backlog.ok()) return backlog.status();
    Call c =
        Simple([&api, live, b = static_cast<int>(*backlog)] { return api.Listen(live, b); }, spec);
    c.finish = [s, sp = &spec](int64_t r) {
      absl::Status st = CheckResult(*sp, r, false);
      if (st.ok() && r == 0) s->state = SockState::kListening;
      return st;
    };
    return c;
  }
  if (n == "accept") {
    if (absl::Status st = CheckArgCount(a, 3); !st.ok()) return st;
    if (absl::Status st = EllipsisArg(a, 1); !st.ok()) return st;
    if (absl::Status st = EllipsisArg(a, 2); !st.ok()) return st;
    return Accept(s, spec);
  }
  if (n == "connect") {
    if (absl::Status st = CheckArgCount(a, 3); !st.ok()) return st;
    if (a[1].kind != Expr::Kind::kEllipsis) {
      // connect(fd, AF_UNSPEC, ...) disconnects in Linux; taptcp's sockets cannot.
      return Error("unsupported: connect() with an address family (AF_UNSPEC disconnect)");
    }
    if (absl::Status st = EllipsisArg(a, 2); !st.ok()) return st;
    StartConnecting(s);
    return Connect(s, spec);
  }
  if (n == "read" || n == "recv") {
    const size_t nargs = n == "read" ? 3 : 4;
    if (absl::Status st = CheckArgCount(a, nargs); !st.ok()) return st;
    absl::StatusOr<bool> null_buf = BufferArg(a, 1);
    if (!null_buf.ok()) return null_buf.status();
    absl::StatusOr<int64_t> count = IntArg(a, 2);
    if (!count.ok()) return count.status();
    int64_t flags = 0;
    if (n == "recv") {
      absl::StatusOr<int64_t> f = IntArg(a, 3);
      if (!f.ok()) return f.status();
      flags = *f;
      if (flags & ~int64_t{kMsgPeek | kMsgDontwait}) {
        return Error(absl::StrCat("unsupported recv flags 0x", absl::Hex(flags),
                                  " (taptcp pkt knows MSG_PEEK and MSG_DONTWAIT)"));
      }
    }
    if (*count < 0 || *count > kMaxIoBytes) {
      return Error(absl::StrCat("read count ", *count, " out of range 0..", kMaxIoBytes));
    }
    return Read(s, *count, static_cast<int>(flags), spec);
  }
  if (n == "write" || n == "send" || n == "sendto") {
    const size_t nargs = n == "write" ? 3 : n == "send" ? 4 : 6;
    if (absl::Status st = CheckArgCount(a, nargs); !st.ok()) return st;
    absl::StatusOr<bool> null_buf = BufferArg(a, 1);
    if (!null_buf.ok()) return null_buf.status();
    absl::StatusOr<int64_t> count = IntArg(a, 2);
    if (!count.ok()) return count.status();
    int64_t flags = 0;
    if (n != "write") {
      absl::StatusOr<int64_t> f = IntArg(a, 3);
      if (!f.ok()) return f.status();
      flags = *f;
    }
    if (n == "sendto") {
      if (a[4].kind != Expr::Kind::kEllipsis && a[4].kind != Expr::Kind::kInteger) {
        return Error("Bad type; sendto's address must be ... or an address family");
      }
      if (absl::Status st = EllipsisArg(a, 5); !st.ok()) return st;
      StartConnecting(s);  // run_syscall_connect: sendto may open the connection (Fast Open)
    }
    if (flags & kMsgFastopen) {
      // tcp_sendmsg_fastopen: with the client bit of net.ipv4.tcp_fastopen clear, Linux answers
      // EOPNOTSUPP before anything else. taptcp has no Fast Open yet, so that is its answer.
      notes_->push_back(absl::StrCat(
          "line ", line, ": ", n,
          "(MSG_FASTOPEN): taptcp has no TCP Fast Open yet; answered EOPNOTSUPP, as Linux "
          "does with net.ipv4.tcp_fastopen=0"));
      return Simple([] { return int64_t{-EOPNOTSUPP}; }, spec);
    }
    if (flags & ~int64_t{kMsgDontwait | kMsgNosignal}) {
      return Error(absl::StrCat("unsupported ", n, " flags 0x", absl::Hex(flags),
                                " (taptcp pkt knows MSG_DONTWAIT, MSG_NOSIGNAL, MSG_FASTOPEN)"));
    }
    if (*count < 0 || *count > kMaxIoBytes) {
      return Error(absl::StrCat("write count ", *count, " out of range 0..", kMaxIoBytes));
    }
    return Write(s, *count, static_cast<int>(flags), spec);
  }
  if (n == "shutdown") {
    if (absl::Status st = CheckArgCount(a, 2); !st.ok()) return st;
    absl::StatusOr<int64_t> how = IntArg(a, 1);
    if (!how.ok()) return how.status();
    return Simple([&api, live, h = static_cast<int>(*how)] { return api.Shutdown(live, h); }, spec);
  }
  if (n == "close") {
    if (absl::Status st = CheckArgCount(a, 1); !st.ok()) return st;
    Call c = Simple([&api, live] { return api.Close(live); }, spec);
    c.finish = [s, sp = &spec](int64_t r) {
      absl::Status st = CheckResult(*sp, r, false);
      if (st.ok() && r == 0) s->closed = true;  // the script fd may be reused
      return st;
    };
    return c;
  }
  Call c;
  if (n == "setsockopt") c = SetSockOpt(s, a, spec, &err);
  if (n == "getsockopt") c = GetSockOpt(s, a, spec, &err);
  if (n == "fcntl") c = Fcntl(s, a, spec, &err);
  if (!err.ok()) return err;
  return c;
}

Call Syscalls::Socket(const std::vector<Expr>& a, const SyscallSpec& spec, absl::Status* err) {
  if (*err = CheckArgCount(a, 3); !err->ok()) return {};
  if (a[0].kind != Expr::Kind::kEllipsis) {
    absl::StatusOr<int64_t> domain = IntArg(a, 0);
    if (!domain.ok()) {
      *err = domain.status();
      return {};
    }
    if (*domain != 2) {  // AF_INET
      *err = Error("unsupported: socket() domain other than AF_INET (taptcp is IPv4 only)");
      return {};
    }
  }
  absl::StatusOr<int64_t> type = IntArg(a, 1);
  absl::StatusOr<int64_t> proto = IntArg(a, 2);
  if (!type.ok() || !proto.ok()) {
    *err = !type.ok() ? type.status() : proto.status();
    return {};
  }
  if ((*type & ~int64_t{kSockNonblock | kSockCloexec}) != 1 || (*proto != 6 && *proto != 0)) {
    *err = Error("unsupported: taptcp sockets are SOCK_STREAM, IPPROTO_TCP");
    return {};
  }
  const bool nonblock = (*type & kSockNonblock) != 0;
  socket::SocketApi& api = harness_.stack().sockets();
  Call c;
  c.attempt = [&api]() -> std::optional<int64_t> { return api.Socket(); };
  c.finish = [this, sp = &spec, nonblock](int64_t r) {
    if (absl::Status st = CheckResult(*sp, r, true); !st.ok()) return st;
    if (r < 0) return absl::OkStatus();
    const int script_fd = static_cast<int>(Evaluate(sp->result)->integer);
    if (sockets_.ByScriptFd(script_fd) != nullptr) {
      return Error(absl::StrCat("duplicate fd ", script_fd, " in script"));
    }
    ScriptSocket* s = sockets_.Add();
    s->script_fd = script_fd;
    s->live_fd = static_cast<int>(r);
    s->state = SockState::kNew;
    s->nonblocking = nonblock;
    sockets_.under_test = s;  // later packets map to the newest socket (run_syscall_socket)
    return absl::OkStatus();
  };
  return c;
}

Call Syscalls::Accept(ScriptSocket* s, const SyscallSpec& spec) {
  socket::SocketApi& api = harness_.stack().sockets();
  auto peer = std::make_shared<socket::SockAddr>();
  Call c;
  c.attempt = [&api, s, peer]() -> std::optional<int64_t> {
    const int r = api.Accept(s->live_fd, peer.get());
    if (r == -EAGAIN && !s->nonblocking) return std::nullopt;
    return r;
  };
  c.finish = [this, sp = &spec, peer](int64_t r) {
    if (absl::Status st = CheckResult(*sp, r, true); !st.ok()) return st;
    if (r < 0) return absl::OkStatus();
    const int script_fd = static_cast<int>(Evaluate(sp->result)->integer);
    if (sockets_.ByScriptFd(script_fd) != nullptr) {
      return Error(absl::StrCat("duplicate fd ", script_fd, " in script"));
    }
    // run_syscall_accept: the child the script's own handshake made.
    for (auto& child : sockets_.all) {
      const bool handshaken = child->state == SockState::kPassiveSynAckSent ||
                              child->state == SockState::kPassiveSynAckAcked;
      if (handshaken && child->script_fd < 0 && child->remote.ip == peer->ip &&
          child->remote.port == peer->port) {
        child->script_fd = script_fd;
        child->live_fd = static_cast<int>(r);
        return absl::OkStatus();
      }
    }
    return Error("unable to find socket matching accept() call");
  };
  return c;
}

Call Syscalls::Connect(ScriptSocket* s, const SyscallSpec& spec) {
  socket::SocketApi& api = harness_.stack().sockets();
  const socket::SockAddr to{config_.remote_ip, config_.connect_port};
  auto started = std::make_shared<bool>(false);
  Call c;
  c.attempt = [&api, s, to, started]() -> std::optional<int64_t> {
    if (!*started) {
      *started = true;
      const int r = api.Connect(s->live_fd, to);
      if (r != -EINPROGRESS || s->nonblocking) return r;
    }
    // A blocking connect() returns when the handshake ends either way (inet_wait_for_connect).
    const uint32_t ev = api.Poll(s->live_fd);
    if (ev & (socket::kErr | socket::kHup)) {
      int e = 0;
      api.GetSockOpt(s->live_fd, socket::kSolSocket, socket::kSoError, &e);
      return e != 0 ? -e : -ECONNREFUSED;
    }
    if (ev & socket::kOut) return 0;
    return std::nullopt;
  };
  c.finish = [sp = &spec](int64_t r) { return CheckResult(*sp, r, false); };
  return c;
}

Call Syscalls::Read(ScriptSocket* s, int64_t count, int flags, const SyscallSpec& spec) {
  socket::SocketApi& api = harness_.stack().sockets();
  // One buffer for every attempt of this call (a blocked read is retried after each stack event).
  auto buf = std::make_shared<std::vector<uint8_t>>(static_cast<size_t>(count));
  Call c;
  c.attempt = [&api, s, flags, buf]() -> std::optional<int64_t> {
    const int64_t r = api.Recv(s->live_fd, *buf, flags & kMsgPeek);
    if (r == -EAGAIN && !s->nonblocking && !(flags & kMsgDontwait)) return std::nullopt;
    return r;
  };
  c.finish = [sp = &spec](int64_t r) { return CheckResult(*sp, r, false); };
  return c;
}

Call Syscalls::Write(ScriptSocket* s, int64_t count, int flags, const SyscallSpec& spec) {
  socket::SocketApi& api = harness_.stack().sockets();
  // The bytes written are zeros, as packetdrill's write buffers (alloc_buffer with set_zero), so
  // the peer's `>` lines can check the payload.
  static const std::vector<uint8_t> kZeros(64 * 1024, 0);
  // A blocking send returns once every byte is queued (sk_stream_wait_memory), or with what it
  // queued when an error stops it.
  auto sent = std::make_shared<int64_t>(0);
  Call c;
  c.attempt = [&api, s, count, flags, sent]() -> std::optional<int64_t> {
    int64_t r = 0;
    if (count == 0) return api.Send(s->live_fd, {});
    while (*sent < count) {
      const size_t chunk = static_cast<size_t>(std::min<int64_t>(count - *sent, kZeros.size()));
      r = api.Send(s->live_fd, std::span(kZeros).first(chunk));
      if (r <= 0) break;
      *sent += r;
    }
    if (*sent == count) return count;
    const bool blocking = !s->nonblocking && !(flags & kMsgDontwait);
    if (r >= 0 || r == -EAGAIN) {
      if (blocking) return std::nullopt;
      return *sent > 0 ? *sent : -EAGAIN;
    }
    return *sent > 0 ? *sent : r;
  };
  c.finish = [sp = &spec](int64_t r) { return CheckResult(*sp, r, false); };
  return c;
}

}  // namespace taptcp::pkt
