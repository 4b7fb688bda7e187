// setsockopt, getsockopt, fcntl and poll (run_system_call.c syscall_setsockopt, ...).
#include <cerrno>

#include "absl/strings/str_cat.h"
#include "conformance/pkt/call_args.h"
#include "conformance/pkt/symbols.h"
#include "conformance/pkt/syscalls.h"

namespace taptcp::pkt {
namespace {

constexpr int kSolSocket = 1, kSoLinger = 13;
constexpr int kFGetFd = 1, kFSetFd = 2, kFGetFl = 3, kFSetFl = 4;
constexpr int kORdwr = 2, kONonblock = 04000;
constexpr int kPollIn = 0x1, kPollOut = 0x4, kPollErr = 0x8, kPollHup = 0x10, kPollNval = 0x20;
constexpr int kPollRdNorm = 0x40, kPollWrNorm = 0x100, kPollRdHup = 0x2000;

absl::Status Error(std::string msg) { return absl::InvalidArgumentError(std::move(msg)); }

// What poll() reports for a socket, from taptcp's epoll-style readiness (tcp_poll gives POLLIN
// with POLLRDNORM, POLLOUT with POLLWRNORM, and POLLIN|POLLRDNORM|POLLRDHUP once the peer's FIN
// is in), masked by the events asked for plus POLLERR and POLLHUP, which are always reported.
int PollRevents(socket::SocketApi& api, int live_fd, int events) {
  const uint32_t ev = api.Poll(live_fd);
  int mask = 0;
  if (ev & socket::kIn) mask |= kPollIn | kPollRdNorm;
  if (ev & socket::kOut) mask |= kPollOut | kPollWrNorm;
  if (ev & socket::kErr) mask |= kPollErr;
  if (ev & socket::kHup) mask |= kPollHup;
  if (ev & socket::kRdHup) mask |= kPollIn | kPollRdNorm | kPollRdHup;
  return mask & (events | kPollErr | kPollHup);
}

}  // namespace

Call Syscalls::SetSockOpt(ScriptSocket* s, const std::vector<Expr>& a, const SyscallSpec& spec,
                          absl::Status* err) {
  socket::SocketApi& api = harness_.stack().sockets();
  if (*err = CheckArgCount(a, 5); !err->ok()) return {};
  absl::StatusOr<int64_t> level = IntArg(a, 1), name = IntArg(a, 2), len = IntArg(a, 4);
  for (const auto* v : {&level, &name, &len}) {
    if (!v->ok()) {
      *err = v->status();
      return {};
    }
  }
  const int live = s->live_fd;
  const int lv = static_cast<int>(*level), nm = static_cast<int>(*name);
  const Expr& val = a[3];
  if (val.kind == Expr::Kind::kList) {
    absl::StatusOr<int64_t> v = BracketedIntArg(a, 3);
    if (!v.ok()) {
      *err = v.status();
      return {};
    }
    return Simple(
        [&api, live, lv, nm, x = static_cast<int>(*v)] { return api.SetSockOpt(live, lv, nm, x); },
        spec);
  }
  if (val.kind == Expr::Kind::kBraced) {
    // struct linger: {onoff=1, linger=0} (packetdrill's spelling) or {l_onoff=1, l_linger=0}.
    std::optional<const Expr*> on = Field(val, "onoff");
    if (!on) on = Field(val, "l_onoff");
    std::optional<const Expr*> secs = Field(val, "linger");
    if (!secs) secs = Field(val, "l_linger");
    if (!on || !secs || (*on)->kind != Expr::Kind::kInteger ||
        (*secs)->kind != Expr::Kind::kInteger) {
      *err = Error("unsupported setsockopt value: expected [int] or {onoff=N, linger=N}");
      return {};
    }
    if (lv != kSolSocket || nm != kSoLinger) {
      return Simple([] { return int64_t{-EINVAL}; }, spec);
    }
    return Simple([&api, live, o = (*on)->integer != 0,
                   l = static_cast<int>((*secs)->integer)] { return api.SetLinger(live, o, l); },
                  spec);
  }
  if (val.kind == Expr::Kind::kString) {
    // A string option (TCP_CONGESTION "reno", TCP_ULP...): taptcp's socket API has integer
    // options only, and answers ENOPROTOOPT for an option it does not have; so does this.
    return Simple([] { return int64_t{-ENOPROTOOPT}; }, spec);
  }
  *err = Error(absl::StrCat("unsupported setsockopt value type: ", ExprKindName(val.kind)));
  return {};
}

Call Syscalls::GetSockOpt(ScriptSocket* s, const std::vector<Expr>& a, const SyscallSpec& spec,
                          absl::Status* err) {
  socket::SocketApi& api = harness_.stack().sockets();
  if (*err = CheckArgCount(a, 5); !err->ok()) return {};
  absl::StatusOr<int64_t> level = IntArg(a, 1), name = IntArg(a, 2), len = BracketedIntArg(a, 4);
  for (const auto* v : {&level, &name, &len}) {
    if (!v->ok()) {
      *err = v->status();
      return {};
    }
  }
  if (a[3].kind != Expr::Kind::kList) {
    *err = Error(absl::StrCat("unsupported getsockopt value type: ", ExprKindName(a[3].kind)));
    return {};
  }
  if (*len != 4) {
    *err = Error(absl::StrCat("Unsupported getsockopt optlen: ", *len));
    return {};
  }
  absl::StatusOr<int64_t> want = BracketedIntArg(a, 3);
  if (!want.ok()) {
    *err = want.status();
    return {};
  }
  auto got = std::make_shared<int>(0);
  const int live = s->live_fd;
  Call c;
  c.attempt = [&api, live, got, lv = static_cast<int>(*level),
               nm = static_cast<int>(*name)]() -> std::optional<int64_t> {
    return api.GetSockOpt(live, lv, nm, got.get());
  };
  c.finish = [sp = &spec, got, w = *want](int64_t r) {
    if (absl::Status st = CheckResult(*sp, r, false); !st.ok()) return st;
    if (r == 0 && *got != w) {
      return Error(absl::StrCat("Bad getsockopt optval: expected: ", w, " actual: ", *got));
    }
    return absl::OkStatus();
  };
  return c;
}

Call Syscalls::Fcntl(ScriptSocket* s, const std::vector<Expr>& a, const SyscallSpec& spec,
                     absl::Status* err) {
  if (a.size() != 2 && a.size() != 3) {
    *err = Error(absl::StrCat("fcntl expected 2-3 args but got ", a.size()));
    return {};
  }
  absl::StatusOr<int64_t> cmd = IntArg(a, 1);
  if (!cmd.ok()) {
    *err = cmd.status();
    return {};
  }
  int64_t arg = 0;
  if (a.size() == 3) {
    absl::StatusOr<int64_t> v = IntArg(a, 2);
    if (!v.ok()) {
      *err = v.status();
      return {};
    }
    arg = *v;
  }
  // The fd's flags live here, not in taptcp: its sockets are all non-blocking underneath, and
  // O_NONBLOCK only decides whether the runner lets a call wait (see syscalls.h).
  switch (*cmd) {
    case kFGetFl:
      return Simple([s] { return int64_t{kORdwr | (s->nonblocking ? kONonblock : 0)}; }, spec);
    case kFSetFl:
      return Simple(
          [s, arg] {
            s->nonblocking = (arg & kONonblock) != 0;
            return int64_t{0};
          },
          spec);
    case kFGetFd:
      return Simple([] { return int64_t{0}; }, spec);
    case kFSetFd:
      return Simple([] { return int64_t{0}; }, spec);
    default:
      return Simple([] { return int64_t{-EINVAL}; }, spec);
  }
}

Call Syscalls::Poll(const std::vector<Expr>& a, const SyscallSpec& spec, absl::Status* err) {
  if (*err = CheckArgCount(a, 3); !err->ok()) return {};
  absl::StatusOr<int64_t> nfds = IntArg(a, 1), timeout = IntArg(a, 2);
  if (!nfds.ok() || !timeout.ok()) {
    *err = !nfds.ok() ? nfds.status() : timeout.status();
    return {};
  }
  if (a[0].kind != Expr::Kind::kList) {
    *err = Error("Bad type; poll's first argument must be a list of {fd=..., events=...}");
    return {};
  }
  struct PollFd {
    int live_fd;  // -1: not open (POLLNVAL)
    int events;
    int want_revents;
  };
  auto fds = std::make_shared<std::vector<PollFd>>();
  for (const Expr& item : a[0].items) {
    std::optional<const Expr*> fd = Field(item, "fd"), ev = Field(item, "events"),
                               rev = Field(item, "revents");
    if (item.kind != Expr::Kind::kBraced || !fd || !ev || (*fd)->kind != Expr::Kind::kInteger ||
        (*ev)->kind != Expr::Kind::kInteger || (rev && (*rev)->kind != Expr::Kind::kInteger)) {
      *err = Error("Bad type; expected {fd=N, events=N[, revents=N]}");
      return {};
    }
    ScriptSocket* s = sockets_.ByScriptFd(static_cast<int>((*fd)->integer));
    if (s == nullptr) {
      *err = Error(absl::StrCat("unable to find fd with script fd ", (*fd)->integer));
      return {};
    }
    fds->push_back({s->live_fd, static_cast<int>((*ev)->integer),
                    rev ? static_cast<int>((*rev)->integer) : 0});
  }
  if (static_cast<size_t>(*nfds) != fds->size()) {
    *err = Error(
        absl::StrCat("nfds ", *nfds, " does not match ", fds->size(), "-element pollfd array"));
    return {};
  }
  socket::SocketApi& api = harness_.stack().sockets();
  auto revents = std::make_shared<std::vector<int>>(fds->size(), 0);
  Call c;
  const Instant start = harness_.now();
  if (*timeout > 0) c.wake_at = start + milliseconds(*timeout);
  c.attempt = [this, &api, fds, revents, t = *timeout, start]() -> std::optional<int64_t> {
    int64_t ready = 0;
    for (size_t i = 0; i < fds->size(); ++i) {
      const PollFd& p = (*fds)[i];
      (*revents)[i] = p.live_fd < 0 ? kPollNval : PollRevents(api, p.live_fd, p.events);
      if ((*revents)[i] != 0) ++ready;
    }
    if (ready > 0 || t == 0) return ready;
    if (t > 0 && harness_.now() >= start + milliseconds(t)) return 0;
    return std::nullopt;  // waits (t < 0: for ever)
  };
  c.finish = [sp = &spec, fds, revents](int64_t r) {
    if (absl::Status st = CheckResult(*sp, r, false); !st.ok()) return st;
    for (size_t i = 0; i < fds->size(); ++i) {
      if ((*revents)[i] != (*fds)[i].want_revents) {
        return Error(absl::StrCat("Expected revents of ", PollFlagsString((*fds)[i].want_revents),
                                  " but got ", PollFlagsString((*revents)[i]), " for pollfd ", i));
      }
    }
    return absl::OkStatus();
  };
  return c;
}

}  // namespace taptcp::pkt
