// Runs a packetdrill script against taptcp in virtual time (packetdrill's run.c, run_packet.c and
// run_system_call.c, over harness.h's in-memory world instead of a tun device and the kernel).
//
// Events run in script order. Each waits for its time: the virtual clock jumps there, firing the
// stack's timers on the way, so a 60 s TIME_WAIT takes microseconds. Then:
//   <  the packet is built (sequence numbers mapped, seq_map.h) and handed to the stack;
//   >  the stack's next packet for the socket under test is taken (the clock runs until it
//      appears), mapped to script space and checked field by field (matcher.h) and for time;
//   syscall  is made (syscalls.h); one with a `...END` time that blocks lets the script go on
//      and its return time is checked when the stack completes it; one without, on a blocking
//      socket, holds the script until it returns, as packetdrill's main thread would;
//   `cmd`  sets sysctls (command.h).
// Times are checked as packetdrill's verify_time does: within max(--tolerance_usecs, 12.5% of the
// script time since the previous event); relative times are anchored on the time the previous
// event actually happened (consecutive inbound packets on each other's script times).
//
// --mss is accepted and checked but changes nothing: packetdrill passes it to the tun device as
// the GSO size of injected packets, which the kernel receives whole; taptcp receives an inbound
// packet whole too.
#pragma once

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "conformance/pkt/ast.h"
#include "conformance/pkt/config.h"
#include "conformance/pkt/harness.h"
#include "conformance/pkt/script_socket.h"
#include "conformance/pkt/syscalls.h"
#include "stack/link.h"

namespace taptcp::pkt {

struct RunOptions {
  Link* capture = nullptr;           // sees every frame, both directions
  std::FILE* verbose = nullptr;      // a line per event and per packet, or nothing
  std::vector<std::string> sysctls;  // NAME=VALUE, set before the script starts
};

struct RunResult {
  bool ok = false;
  // On failure: "PATH:LINE: error: ..." and, indented, the script line and what was expected
  // and what the stack did.
  std::string error;
  int error_line = 0;
  size_t events = 0;
  Duration virtual_time{};
  std::vector<std::string> notes;  // things worth saying even on success (MSG_FASTOPEN...)
};

// Parses and runs one script; `path` names it in messages.
RunResult RunScript(std::string_view path, std::string_view text, const RunOptions& options);

class Runner {
 public:
  Runner(std::string_view path, std::string_view text, const Script& script, const Config& config,
         const RunOptions& options);
  RunResult Run();

 private:
  struct Timing {  // an event's times once relative ones are anchored (microseconds)
    TimeType type = TimeType::kAbsolute;
    int64_t usecs = 0, end_usecs = 0, offset = 0;
  };
  struct Pending {  // a system call that is waiting in the "kernel"
    Call call;
    const Event* event;
    Timing timing;
    std::optional<int64_t> end_usecs;  // checked when it returns (a `...` call)
  };

  // runner.cc: the event loop, time, system calls and commands.
  Timing Anchor(const Event& e) const;
  void Dispatch(const Event& e, const Timing& t);
  void Syscall(const Event& e, const SyscallSpec& sc, const Timing& t);
  void Command(const CommandSpec& c, int line);
  bool WaitForEvent(const Event& e, const Timing& t, const char* what);
  bool VerifyTime(int line, const Timing& t, int64_t script_usecs, int64_t actual_usecs,
                  std::optional<int64_t> last_usecs, const char* what,
                  std::vector<std::string> details = {});
  void AdvanceTo(Instant t);
  bool StepOnce(Instant limit);
  void CheckPending();
  void Finish(Pending p, int64_t result);
  bool AwaitIdle(Duration max);
  void Fail(int line, std::string message, std::vector<std::string> details = {});
  bool failed() const { return failure_.has_value(); }
  int64_t NowUsecs() const;
  std::string LineText(int line) const;
  void Log(const std::string& s) const;

  // runner_packets.cc: `<` and `>` lines.
  void Inbound(const Event& e, const PacketSpec& spec, const Timing& t);
  void Outbound(const Event& e, const PacketSpec& spec, const Timing& t);
  ScriptSocket* SocketForPacket(const PacketSpec& spec, int line);
  ScriptSocket* SocketForPorts(const PacketSpec& spec, int line);
  uint16_t NextRemotePort();
  // The stack's next packet for `s`, running the clock up to `horizon` for it. Packets for other
  // sockets the script knows wait in their `unread`; the rest are dropped, as packetdrill ignores
  // packets of other sockets.
  std::optional<std::pair<Instant, TcpPacket>> Sniff(ScriptSocket* s, Instant horizon);
  std::string Describe(const TcpPacket& p) const;

  std::string_view path_;
  std::vector<std::string_view> lines_;
  const Script& script_;
  Config config_;
  RunOptions options_;
  Harness harness_;
  Sockets sockets_;
  std::vector<std::string> notes_;
  Syscalls syscalls_;
  // A `...` call blocked in the "kernel" while the script goes on (packetdrill's syscall thread),
  // and a call without `...` holding the script (its main thread).
  std::optional<Pending> pending_;
  std::optional<Pending> holding_;
  bool checking_ = false;
  const Event* last_event_ = nullptr;
  Timing last_timing_;
  uint16_t next_remote_port_ = 40000;  // packetdrill picks a fresh ephemeral port per child
  uint16_t ip_id_ = 0;
  size_t events_run_ = 0;
  struct Failure {
    int line;
    std::string message;
    std::vector<std::string> details;
  };
  std::optional<Failure> failure_;
};

}  // namespace taptcp::pkt
