// Network namespaces and child processes for the demo and the interop tests: a namespace holds the
// kernel side of our TAP device (192.0.2.1/24) and the kernel programs we talk to (ping, curl, a
// socket server), isolated from the host's own interfaces and routes.
//
// Safety rule of the project: addresses configured here must lie in TEST-NET-1 (192.0.2.0/24) or
// TEST-NET-2 (198.51.100.0/24), which route nowhere; anything else is refused.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "timers/time.h"

namespace taptcp::tap {

struct ExecResult {
  // The exit status, 128 + signal if a signal ended the process, -1 if it could not be reaped.
  int exit_code = -1;
  // stdout and stderr interleaved, at most kMaxCapturedOutput bytes.
  std::string output;
  // The process outlived its timeout and was killed.
  bool timed_out = false;
};

inline constexpr size_t kMaxCapturedOutput = 1 << 20;
inline constexpr Duration kDefaultCommandTimeout = std::chrono::seconds(10);

// A process started by SpawnProcess, in its own process group. Its stdout and stderr go to a pipe
// that Wait drains (a child printing more than a pipe's 64 KiB blocks until someone waits).
// Destroying it kills the process group it leads (by its id) and reaps the process.
class ChildProcess {
 public:
  ChildProcess(pid_t pid, int output_fd) : pid_(pid), output_fd_(output_fd) {}
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const { return pid_; }
  // Waits for the process to exit, collecting its output; kills it after `timeout`.
  ExecResult Wait(Duration timeout);
  // Kills the process (SIGKILL to its process group) and reaps it.
  ExecResult Kill();

 private:
  void ReadAvailable(int poll_ms);
  void CloseOutput();

  pid_t pid_;
  int output_fd_;
  std::string output_;
  bool reaped_ = false;
  ExecResult result_;
};

// Starts argv[0] (looked up in PATH) without a shell; stdin is /dev/null. Fails (one line) when
// the program cannot be executed.
absl::StatusOr<std::unique_ptr<ChildProcess>> SpawnProcess(const std::vector<std::string>& argv);
// SpawnProcess + Wait.
absl::StatusOr<ExecResult> RunProcess(const std::vector<std::string>& argv,
                                      Duration timeout = kDefaultCommandTimeout);

// OK if `address` ("a.b.c.d" or "a.b.c.d/len", len >= 24) lies inside TEST-NET-1 or TEST-NET-2.
absl::Status CheckTestNetAddress(std::string_view address);

// The path of iproute2's `ip`, or a one-line error saying to install iproute2.
absl::StatusOr<std::string> FindIpCommand();

class Netns {
 public:
  // `ip netns add NAME`. NAME: 1..64 characters from [A-Za-z0-9._-], not starting with '.' or '-'.
  static absl::StatusOr<std::unique_ptr<Netns>> Create(std::string name);

  Netns(const Netns&) = delete;
  Netns& operator=(const Netns&) = delete;
  // Deletes the namespace by name (see Delete); failures are printed to stderr.
  ~Netns();

  // `ip netns del NAME`; idempotent. Interfaces of kinds that can be deleted (a TAP device among
  // them) are destroyed with the namespace, the others go back to the initial namespace.
  absl::Status Delete();

  const std::string& name() const { return name_; }

  // Moves interface `ifname` from the caller's namespace into this one (`ip link set .. netns`).
  absl::Status MoveLink(std::string_view ifname);
  // `ip addr add CIDR dev IFNAME` inside the namespace; refuses addresses outside TEST-NET-1/2.
  absl::Status AddAddress(std::string_view ifname, std::string_view cidr);
  // Brings `lo` and `ifname` up inside the namespace.
  absl::Status SetUp(std::string_view ifname);

  // Runs `ip netns exec NAME args...` and waits at most `timeout` (then kills it).
  absl::StatusOr<ExecResult> Exec(const std::vector<std::string>& args,
                                  Duration timeout = kDefaultCommandTimeout);
  // The same, in the background.
  absl::StatusOr<std::unique_ptr<ChildProcess>> Spawn(const std::vector<std::string>& args);

 private:
  Netns(std::string name, std::string ip) : name_(std::move(name)), ip_(std::move(ip)) {}
  // Runs `ip args...`; an error carrying ip's first output line when it fails.
  absl::Status Ip(const std::vector<std::string>& args);

  std::string name_;
  std::string ip_;
  bool deleted_ = false;
};

}  // namespace taptcp::tap
