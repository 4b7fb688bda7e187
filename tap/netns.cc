#include "tap/netns.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "stack/absl_sv.h"

namespace taptcp::tap {
namespace {

using Clock = std::chrono::steady_clock;

// Wait polls the child this often while its pipe is quiet (no pidfd: keeps this portable).
constexpr int kPollSliceMs = 10;
// Reads per ReadAvailable call, so a chatty grandchild holding the pipe cannot keep us reading.
constexpr int kMaxReadsPerCall = 64;

int ExitCode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// The first non-empty line of a command's output, for one-line errors.
std::string FirstLine(absl::string_view output) {
  for (absl::string_view line : absl::StrSplit(output, '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (!line.empty()) return std::string(line);
  }
  return "no output";
}

bool ValidNetnsName(std::string_view name) {
  if (name.empty() || name.size() > 64 || name[0] == '.' || name[0] == '-') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

}  // namespace

ChildProcess::~ChildProcess() {
  if (!reaped_) Kill();
  CloseOutput();
}

void ChildProcess::CloseOutput() {
  if (output_fd_ >= 0) close(output_fd_);
  output_fd_ = -1;
}

void ChildProcess::ReadAvailable(int poll_ms) {
  if (output_fd_ < 0) {
    if (poll_ms > 0) poll(nullptr, 0, poll_ms);  // nothing to read: just let time pass
    return;
  }
  pollfd p{output_fd_, POLLIN, 0};
  if (poll(&p, 1, poll_ms) <= 0) return;
  char buf[4096];
  for (int i = 0; i < kMaxReadsPerCall; ++i) {
    const ssize_t n = read(output_fd_, buf, sizeof(buf));
    if (n > 0) {
      const size_t room = kMaxCapturedOutput - std::min(output_.size(), kMaxCapturedOutput);
      output_.append(buf, std::min(static_cast<size_t>(n), room));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) CloseOutput();  // every writer is gone
    return;                     // EOF or EAGAIN
  }
}

ExecResult ChildProcess::Wait(Duration timeout) {
  if (reaped_) return result_;
  const auto deadline = Clock::now() + timeout;
  while (true) {
    int status = 0;
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_ || (r < 0 && errno != EINTR)) {
      reaped_ = true;
      result_.exit_code = r == pid_ ? ExitCode(status) : -1;
      ReadAvailable(0);  // what it printed just before exiting
      CloseOutput();
      result_.output = std::move(output_);
      return result_;
    }
    const auto left = deadline - Clock::now();
    if (left <= Duration::zero()) {
      Kill();
      result_.timed_out = true;
      return result_;
    }
    const auto left_ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
    ReadAvailable(static_cast<int>(std::min<int64_t>(left_ms, kPollSliceMs)));
  }
}

ExecResult ChildProcess::Kill() {
  if (reaped_) return result_;
  // The child leads its own process group (SpawnProcess), so this also ends what it started.
  if (kill(-pid_, SIGKILL) != 0) kill(pid_, SIGKILL);
  int status = 0;
  pid_t r;
  do {
    r = waitpid(pid_, &status, 0);
  } while (r < 0 && errno == EINTR);
  reaped_ = true;
  result_.exit_code = r == pid_ ? ExitCode(status) : -1;
  ReadAvailable(0);
  CloseOutput();
  result_.output = std::move(output_);
  return result_;
}

absl::StatusOr<std::unique_ptr<ChildProcess>> SpawnProcess(const std::vector<std::string>& argv) {
  if (argv.empty()) return absl::InvalidArgumentError("SpawnProcess: empty command");
  int out[2];
  int exec_error[2];  // reports execvp's errno; CLOEXEC closes it when exec succeeds
  if (pipe2(out, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  if (pipe2(exec_error, O_CLOEXEC) != 0) {
    const int err = errno;
    close(out[0]);
    close(out[1]);
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(err)));
  }
  const int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
  // Everything the child needs is built before fork: after it, only async-signal-safe calls.
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  sigset_t no_signals;
  sigemptyset(&no_signals);

  const pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    // An EventLoop blocks SIGINT/SIGTERM in its thread; the child must not inherit that.
    sigprocmask(SIG_SETMASK, &no_signals, nullptr);
    if (devnull >= 0) dup2(devnull, STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    dup2(out[1], STDERR_FILENO);
    execvp(args[0], args.data());
    const int err = errno;
    (void)!write(exec_error[1], &err, sizeof(err));
    _exit(127);
  }
  const int fork_errno = errno;
  if (devnull >= 0) close(devnull);
  close(out[1]);
  close(exec_error[1]);
  if (pid < 0) {
    close(out[0]);
    close(exec_error[0]);
    return absl::InternalError(absl::StrCat("fork: ", std::strerror(fork_errno)));
  }
  setpgid(pid, pid);  // also here, so Kill works even if the child has not run yet
  int child_errno = 0;
  ssize_t n;
  do {
    n = read(exec_error[0], &child_errno, sizeof(child_errno));
  } while (n < 0 && errno == EINTR);
  close(exec_error[0]);
  if (n == sizeof(child_errno)) {
    int status;
    waitpid(pid, &status, 0);
    close(out[0]);
    std::string hint;
    if (argv[0] == "ip" || absl::EndsWith(argv[0], "/ip")) hint = "; install iproute2";
    return absl::NotFoundError(
        absl::StrCat("cannot run ", argv[0], ": ", std::strerror(child_errno), hint));
  }
  fcntl(out[0], F_SETFL, fcntl(out[0], F_GETFL) | O_NONBLOCK);
  return std::make_unique<ChildProcess>(pid, out[0]);
}

absl::StatusOr<ExecResult> RunProcess(const std::vector<std::string>& argv, Duration timeout) {
  absl::StatusOr<std::unique_ptr<ChildProcess>> child = SpawnProcess(argv);
  if (!child.ok()) return child.status();
  return (*child)->Wait(timeout);
}

absl::Status CheckTestNetAddress(std::string_view address) {
  const auto refuse = [&](const char* why) {
    return absl::InvalidArgumentError(absl::StrCat(
        "address ", Sv(address), " ", why,
        "; taptcp only configures TEST-NET-1 (192.0.2.0/24) and TEST-NET-2 (198.51.100.0/24)"));
  };
  std::vector<std::string> parts = absl::StrSplit(Sv(address), absl::MaxSplits('/', 1));
  in_addr addr{};
  if (inet_pton(AF_INET, parts[0].c_str(), &addr) != 1) return refuse("is not an IPv4 address");
  if (parts.size() == 2) {
    int prefix = -1;
    if (!absl::SimpleAtoi(parts[1], &prefix) || prefix < 0 || prefix > 32) {
      return refuse("has an invalid prefix length");
    }
    // A shorter prefix would add a route covering real addresses.
    if (prefix < 24) return refuse("has a prefix shorter than /24");
  }
  const uint32_t host = ntohl(addr.s_addr);
  if ((host & 0xffffff00u) != 0xc0000200u && (host & 0xffffff00u) != 0xc6336400u) {
    return refuse("is outside the test networks");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> FindIpCommand() {
  std::vector<std::string> dirs;
  if (const char* path = std::getenv("PATH"); path != nullptr) {
    dirs = absl::StrSplit(path, ':', absl::SkipEmpty());
  }
  // Non-root users often lack the sbin directories in PATH.
  for (const char* d : {"/usr/sbin", "/sbin", "/usr/bin", "/bin"}) dirs.emplace_back(d);
  for (const std::string& dir : dirs) {
    std::string candidate = absl::StrCat(dir, "/ip");
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return absl::NotFoundError("the `ip` command was not found: install iproute2");
}

absl::StatusOr<std::unique_ptr<Netns>> Netns::Create(std::string name) {
  if (!ValidNetnsName(name)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "network namespace name \"", name,
        "\" is invalid: use 1..64 characters from A-Z a-z 0-9 . _ -, not starting with . or -"));
  }
  absl::StatusOr<std::string> ip = FindIpCommand();
  if (!ip.ok()) return ip.status();
  auto netns = std::unique_ptr<Netns>(new Netns(std::move(name), *std::move(ip)));
  if (absl::Status s = netns->Ip({"netns", "add", netns->name_}); !s.ok()) {
    netns->deleted_ = true;  // not ours: never delete a namespace we did not create
    return s;
  }
  return netns;
}

Netns::~Netns() {
  if (absl::Status s = Delete(); !s.ok()) {
    std::fprintf(stderr, "taptcp: %s\n", std::string(s.message()).c_str());
  }
}

absl::Status Netns::Delete() {
  if (deleted_) return absl::OkStatus();
  deleted_ = true;
  return Ip({"netns", "del", name_});
}

absl::Status Netns::Ip(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {ip_};
  argv.insert(argv.end(), args.begin(), args.end());
  absl::StatusOr<ExecResult> r = RunProcess(argv, kDefaultCommandTimeout);
  if (!r.ok()) return r.status();
  const std::string command = absl::StrCat("ip ", absl::StrJoin(args, " "));
  if (r->timed_out) {
    return absl::DeadlineExceededError(absl::StrCat(command, " timed out"));
  }
  if (r->exit_code != 0) {
    return absl::InternalError(
        absl::StrCat(command, " failed (exit ", r->exit_code, "): ", FirstLine(r->output)));
  }
  return absl::OkStatus();
}

absl::Status Netns::MoveLink(std::string_view ifname) {
  return Ip({"link", "set", "dev", std::string(ifname), "netns", name_});
}

absl::Status Netns::AddAddress(std::string_view ifname, std::string_view cidr) {
  if (absl::Status s = CheckTestNetAddress(cidr); !s.ok()) return s;
  return Ip({"-n", name_, "addr", "add", std::string(cidr), "dev", std::string(ifname)});
}

absl::Status Netns::SetUp(std::string_view ifname) {
  if (absl::Status s = Ip({"-n", name_, "link", "set", "dev", "lo", "up"}); !s.ok()) return s;
  return Ip({"-n", name_, "link", "set", "dev", std::string(ifname), "up"});
}

absl::StatusOr<ExecResult> Netns::Exec(const std::vector<std::string>& args, Duration timeout) {
  absl::StatusOr<std::unique_ptr<ChildProcess>> child = Spawn(args);
  if (!child.ok()) return child.status();
  return (*child)->Wait(timeout);
}

absl::StatusOr<std::unique_ptr<ChildProcess>> Netns::Spawn(const std::vector<std::string>& args) {
  if (deleted_) {
    return absl::FailedPreconditionError(absl::StrCat("network namespace ", name_, " is deleted"));
  }
  std::vector<std::string> argv = {ip_, "netns", "exec", name_};
  argv.insert(argv.end(), args.begin(), args.end());
  return SpawnProcess(argv);
}

}  // namespace taptcp::tap
