// A script's system calls against taptcp's socket API (run_system_call.c): arguments evaluated
// (symbols to Linux values), the live fd found from the script's, the call made, and its result
// and errno compared with the line's. taptcp's sockets never block; a call on a socket without
// O_NONBLOCK that would block is given back to the runner as "not done yet", and the runner
// retries it after every stack event in virtual time, exactly as packetdrill's blocking calls
// wait in the kernel.
//
// Supported: socket, bind, listen, accept, connect, read, recv, write, send, sendto, shutdown,
// close, setsockopt, getsockopt, fcntl (F_GETFL/F_SETFL O_NONBLOCK, F_GETFD/F_SETFD) and poll.
// sendto(..., MSG_FASTOPEN, ...) (and send with it) answers EOPNOTSUPP: taptcp has no Fast Open
// yet, and that is what Linux answers with net.ipv4.tcp_fastopen=0 (tcp_sendmsg_fastopen).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "conformance/pkt/ast.h"
#include "conformance/pkt/config.h"
#include "conformance/pkt/harness.h"
#include "conformance/pkt/script_socket.h"

namespace taptcp::pkt {

// One prepared call. `attempt` runs it now and gives its result (a value, or -errno), or nullopt
// while it would block; `finish` then checks that result against the script and does the
// bookkeeping (a new socket, an accepted child...).
struct Call {
  std::function<std::optional<int64_t>()> attempt;
  std::function<absl::Status(int64_t)> finish;
  // A time at which a waiting call gives up without the stack's help (poll's timeout).
  std::optional<Instant> wake_at;
};

class Syscalls {
 public:
  Syscalls(const Config& config, Harness& harness, Sockets& sockets,
           std::vector<std::string>* notes)
      : config_(config), harness_(harness), sockets_(sockets), notes_(notes) {}

  // Evaluates the arguments and prepares the call. Errors (a bad argument, an unknown symbol or
  // system call, an fd the script never opened) are runtime errors of the line.
  absl::StatusOr<Call> Prepare(const SyscallSpec& spec, int line);

 private:
  Call Socket(const std::vector<Expr>& a, const SyscallSpec& spec, absl::Status* err);
  Call Accept(ScriptSocket* s, const SyscallSpec& spec);
  Call Connect(ScriptSocket* s, const SyscallSpec& spec);
  Call Read(ScriptSocket* s, int64_t count, int flags, const SyscallSpec& spec);
  Call Write(ScriptSocket* s, int64_t count, int flags, const SyscallSpec& spec);
  Call SetSockOpt(ScriptSocket* s, const std::vector<Expr>& a, const SyscallSpec& spec,
                  absl::Status* err);
  Call GetSockOpt(ScriptSocket* s, const std::vector<Expr>& a, const SyscallSpec& spec,
                  absl::Status* err);
  Call Fcntl(ScriptSocket* s, const std::vector<Expr>& a, const SyscallSpec& spec,
             absl::Status* err);
  Call Poll(const std::vector<Expr>& a, const SyscallSpec& spec, absl::Status* err);
  // packetdrill's run_syscall_connect: a new socket starts connecting to the peer.
  void StartConnecting(ScriptSocket* s);
  // A call whose only work is `op` and whose result is checked exactly.
  Call Simple(std::function<int64_t()> op, const SyscallSpec& spec);

  const Config& config_;
  Harness& harness_;
  Sockets& sockets_;
  std::vector<std::string>* notes_;
};

}  // namespace taptcp::pkt
