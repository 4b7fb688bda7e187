#include "conformance/pkt/runner.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "conformance/pkt/command.h"
#include "conformance/pkt/parser.h"
#include "conformance/pkt/symbols.h"
#include "stack/absl_sv.h"

namespace taptcp::pkt {
namespace {

// How long a call without `...` may keep the script waiting on a blocking socket before the run
// says it would hang (packetdrill would hang for real).
constexpr Duration kBlockHorizon = hours(4);
// packetdrill's await_idle_thread: a second of waiting for a blocked call to finish before the
// next system call, or before the script ends.
constexpr Duration kIdleWait = seconds(1);

double Secs(int64_t usecs) { return static_cast<double>(usecs) / 1e6; }
Instant AtUsecs(int64_t usecs) { return kEpoch + microseconds(usecs); }
bool IsRelative(TimeType t) {
  return t == TimeType::kRelative || t == TimeType::kRelativeRange || t == TimeType::kAny;
}
std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  for (size_t start = 0;;) {
    const size_t nl = text.find('\n', start);
    lines.push_back(text.substr(start, nl == std::string_view::npos ? nl : nl - start));
    if (nl == std::string_view::npos) return lines;
    start = nl + 1;
  }
}
bool IsInbound(const Event* e) {
  const auto* p = e != nullptr ? std::get_if<PacketSpec>(&e->action) : nullptr;
  return p != nullptr && p->direction == Direction::kInbound;
}

}  // namespace

RunResult RunScript(std::string_view path, std::string_view text, const RunOptions& options) {
  RunResult r;
  absl::StatusOr<Script> script = ParseScript(text);
  absl::StatusOr<Config> config =
      script.ok() ? ConfigFromOptions(script->options) : absl::StatusOr<Config>(script.status());
  if (!config.ok()) {
    const std::string msg(config.status().message());  // "LINE:COL: message"
    r.error = absl::StrCat(Sv(path), ":", msg);
    r.error_line = std::atoi(msg.c_str());
    const size_t colon = msg.find(": ");
    if (colon != std::string::npos) {
      r.error =
          absl::StrCat(Sv(path), ":", msg.substr(0, colon), ": error: ", msg.substr(colon + 2));
    }
    // The line, and a caret under the column.
    const std::vector<std::string_view> lines = SplitLines(text);
    const int col = std::atoi(msg.c_str() + std::min(msg.find(':') + 1, msg.size()));
    if (r.error_line >= 1 && static_cast<size_t>(r.error_line) <= lines.size() && col >= 1) {
      std::string_view line = lines[r.error_line - 1].substr(0, 200);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      std::string pad(line.substr(0, std::min<size_t>(col - 1, line.size())));
      for (char& c : pad) c = c == '\t' ? '\t' : ' ';  // keeps the caret under it with tabs
      absl::StrAppendFormat(&r.error, "\n  %5d | %s\n        | %s^", r.error_line, Sv(line), pad);
    }
    return r;
  }
  if (config->dry_run) {
    r.ok = true;
    return r;
  }
  Runner runner(path, text, *script, *config, options);
  return runner.Run();
}

Runner::Runner(std::string_view path, std::string_view text, const Script& script,
               const Config& config, const RunOptions& options)
    : path_(path),
      lines_(SplitLines(text)),
      script_(script),
      config_(config),
      options_(options),
      harness_(config, options.capture, [this] { CheckPending(); }),
      syscalls_(config_, harness_, sockets_, &notes_) {}

int64_t Runner::NowUsecs() const {
  return std::chrono::duration_cast<microseconds>(harness_.now() - kEpoch).count();
}

std::string Runner::LineText(int line) const {
  if (line < 1 || static_cast<size_t>(line) > lines_.size()) return "";
  std::string_view s = lines_[line - 1];
  if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
  return std::string(s.substr(0, 200));
}

void Runner::Log(const std::string& s) const {
  if (options_.verbose != nullptr) std::fprintf(options_.verbose, "%s\n", s.c_str());
}

void Runner::Fail(int line, std::string message, std::vector<std::string> details) {
  if (failure_) return;  // the first error is the one that matters
  failure_ = Failure{line, std::move(message), std::move(details)};
}

RunResult Runner::Run() {
  RunResult r;
  Sysctl& sysctl = harness_.stack().sysctl();
  for (const std::string& s : options_.sysctls) {
    if (absl::Status st = sysctl.SetAssignment(s); !st.ok()) {
      Fail(0, absl::StrCat("--sysctl ", s, ": ", st.message()));
    }
  }
  if (!failed() && script_.init_command) Command(*script_.init_command, script_.init_line);
  for (size_t i = 0; i < script_.events.size() && !failed(); ++i) {
    const Event& e = script_.events[i];
    if (i == 0 && e.time.usecs != 0) {
      Fail(e.line, "first event should be at time 0");
      break;
    }
    // get_next_event: absolute times may not go backwards.
    if (last_event_ != nullptr && !IsRelative(last_event_->time.type) && !IsRelative(e.time.type) &&
        e.time.usecs < last_event_->time.usecs) {
      Fail(e.line, absl::StrCat("time goes backward in script from ", last_event_->time.usecs,
                                " usec to ", e.time.usecs, " usec"));
      break;
    }
    const Timing t = Anchor(e);
    Dispatch(e, t);
    if (failed()) break;
    last_event_ = &e;
    last_timing_ = t;
    ++events_run_;
  }
  // syscalls_free: a blocked call gets a second to finish before the script may end.
  if (!failed() && pending_ && !AwaitIdle(kIdleWait)) {
    Fail(pending_->event->line,
         "runtime error: exiting while a blocking system call is in progress");
  }
  if (!failed() && script_.cleanup_command) {
    Command(*script_.cleanup_command, script_.cleanup_line);
  }
  r.events = events_run_;
  r.virtual_time = harness_.now() - kEpoch;
  r.notes = notes_;
  if (!failure_) {
    r.ok = true;
    return r;
  }
  r.error_line = failure_->line;
  r.error = failure_->line > 0
                ? absl::StrCat(Sv(path_), ":", failure_->line, ": error: ", failure_->message)
                : absl::StrCat(Sv(path_), ": error: ", failure_->message);
  if (failure_->line > 0) {
    absl::StrAppendFormat(&r.error, "\n  %5d | %s", failure_->line, LineText(failure_->line));
  }
  for (const std::string& d : failure_->details) absl::StrAppend(&r.error, "\n  ", d);
  return r;
}

// adjust_relative_event_times: a relative time counts from when the previous event actually
// happened (now), except between two inbound packets, which count from each other's script time
// so injected trains keep their spacing.
Runner::Timing Runner::Anchor(const Event& e) const {
  Timing t{e.time.type, e.time.usecs, e.time.end_usecs, 0};
  if (!IsRelative(e.time.type)) return t;
  const bool anchored = IsInbound(last_event_) && IsInbound(&e);
  t.offset = anchored ? last_timing_.usecs : NowUsecs();
  t.usecs += t.offset;
  t.end_usecs += t.offset;
  return t;
}

void Runner::Dispatch(const Event& e, const Timing& t) {
  if (const auto* p = std::get_if<PacketSpec>(&e.action)) {
    if (p->direction == Direction::kInbound) {
      Inbound(e, *p, t);
    } else {
      Outbound(e, *p, t);
    }
  } else if (const auto* sc = std::get_if<SyscallSpec>(&e.action)) {
    Syscall(e, *sc, t);
  } else if (const auto* c = std::get_if<CommandSpec>(&e.action)) {
    if (WaitForEvent(e, t, "command")) Command(*c, e.line);
  }
}

bool Runner::VerifyTime(int line, const Timing& t, int64_t script_usecs, int64_t actual_usecs,
                        std::optional<int64_t> last_usecs, const char* what,
                        std::vector<std::string> details) {
  if (t.type == TimeType::kAny) return true;
  int64_t tolerance = config_.tolerance_usecs;
  if (last_usecs) {
    const auto dynamic = static_cast<int64_t>(config_.tolerance_percent / 100.0 *
                                              static_cast<double>(script_usecs - *last_usecs));
    tolerance = std::max(tolerance, dynamic);
  }
  const bool range = t.type == TimeType::kAbsoluteRange || t.type == TimeType::kRelativeRange;
  const int64_t end = range ? t.end_usecs : script_usecs;
  if (actual_usecs >= script_usecs - tolerance && actual_usecs <= end + tolerance) return true;
  std::string msg;
  if (t.type == TimeType::kAbsoluteRange) {
    msg = absl::StrFormat(
        "timing error: expected %s in time range %.6f~%.6f sec but happened at "
        "%.6f sec",
        what, Secs(script_usecs), Secs(end), Secs(actual_usecs));
  } else if (t.type == TimeType::kRelativeRange) {
    msg = absl::StrFormat(
        "timing error: expected %s in relative time range +%.6f~+%.6f sec but "
        "happened at %+.6f sec",
        what, Secs(script_usecs - t.offset), Secs(end - t.offset), Secs(actual_usecs - t.offset));
  } else {
    msg = absl::StrFormat(
        "timing error: expected %s at %.6f sec but happened at %.6f sec; "
        "tolerance %.6f sec",
        what, Secs(script_usecs), Secs(actual_usecs), Secs(tolerance));
  }
  Fail(line, std::move(msg), std::move(details));
  return false;
}

bool Runner::WaitForEvent(const Event& e, const Timing& t, const char* what) {
  const Instant target = AtUsecs(t.usecs);
  if (harness_.now() < target) AdvanceTo(target);
  if (failed()) return false;
  std::optional<int64_t> last;
  if (last_event_ != nullptr) last = last_timing_.usecs;
  return VerifyTime(e.line, t, t.usecs, NowUsecs(), last, what);
}

// One step of virtual time no later than `limit`: the stack's next timer, or a waiting call's
// own deadline (poll's timeout) if that comes first.
bool Runner::StepOnce(Instant limit) {
  std::optional<Instant> wake;
  for (const std::optional<Pending>* slot : {&pending_, &holding_}) {
    if (*slot && (*slot)->call.wake_at && (!wake || *(*slot)->call.wake_at < *wake)) {
      wake = (*slot)->call.wake_at;
    }
  }
  if (wake && *wake <= limit) {
    const std::optional<Instant> next = harness_.stack().NextDeadline();
    if (!next || *wake < *next) {
      harness_.AdvanceTo(std::max(*wake, harness_.now()));
      CheckPending();
      return true;
    }
  }
  return harness_.Step(limit);
}

void Runner::AdvanceTo(Instant t) {
  while (!failed() && StepOnce(t)) {
  }
  if (!failed()) harness_.AdvanceTo(t);
}

// Runs after every stack event: a waiting call that can finish now returns at this instant.
void Runner::CheckPending() {
  if (checking_) return;  // a call's own packets (and their ARP) come back here
  checking_ = true;
  for (std::optional<Pending>* slot : {&pending_, &holding_}) {
    if (!*slot || failed()) continue;
    const std::optional<int64_t> r = (*slot)->call.attempt();
    if (!r) continue;
    Pending p = std::move(**slot);
    slot->reset();
    Finish(std::move(p), *r);
  }
  checking_ = false;
  harness_.Settle();  // answers the ARP requests the call's packets need
}

void Runner::Finish(Pending p, int64_t r) {
  const std::string& name = std::get<SyscallSpec>(p.event->action).name;
  const int64_t now = NowUsecs();
  const std::string result =
      r >= 0 ? absl::StrCat(r) : absl::StrCat("-1 ", ErrnoName(static_cast<int>(-r)));
  Log(absl::StrFormat(
      "%10.6f %s returns %s%s", Secs(now), name, result,
      now > p.timing.usecs ? absl::StrFormat(" (called at %.6f)", Secs(p.timing.usecs)) : ""));
  if (absl::Status st = p.call.finish(r); !st.ok()) {
    Fail(p.event->line, absl::StrCat("runtime error in ", name, " call: ", st.message()));
    return;
  }
  if (p.end_usecs) {
    // The end time's tolerance grows with the time the call was expected to block.
    VerifyTime(p.event->line, p.timing, *p.end_usecs, now, p.timing.usecs, "system call return");
  }
}

bool Runner::AwaitIdle(Duration max) {
  const Instant limit = harness_.now() + max;
  while (pending_ && !failed() && StepOnce(limit)) {
  }
  if (pending_ && !failed()) harness_.AdvanceTo(limit);
  return !pending_;
}

void Runner::Syscall(const Event& e, const SyscallSpec& sc, const Timing& t) {
  const bool blocking = sc.end_usecs.has_value();
  if (pending_) {
    // run_system_call_event / enqueue_system_call: wait (a second at most) for the blocked call.
    AwaitIdle(kIdleWait);
    if (failed()) return;
    if (pending_ && blocking) {
      Fail(e.line, absl::StrCat("runtime error in ", sc.name,
                                " call: blocking system call while another blocking system call "
                                "is already in progress (line ",
                                pending_->event->line, ")"));
      return;
    }
  }
  if (!WaitForEvent(e, t, "system call start")) return;
  absl::StatusOr<Call> call = syscalls_.Prepare(sc, e.line);
  if (!call.ok()) {
    Fail(e.line, absl::StrCat("runtime error in ", sc.name, " call: ", call.status().message()));
    return;
  }
  std::optional<int64_t> end;
  if (blocking) end = *sc.end_usecs + (t.type == TimeType::kRelative ? t.offset : 0);
  Pending p{*std::move(call), &e, t, end};
  checking_ = true;  // the attempt's own stack events must not re-enter it
  const std::optional<int64_t> r = p.call.attempt();
  checking_ = false;
  if (r) {
    Finish(std::move(p), *r);
  } else if (blocking) {
    pending_ = std::move(p);
  } else {
    holding_ = std::move(p);
  }
  CheckPending();  // this call may have unblocked another; answers the ARP it caused
  if (!holding_ || failed()) return;
  // No `...`: the script waits here for the call, as packetdrill's main thread is stuck in it,
  // and only the stack's timers can wake it.
  const Instant limit = harness_.now() + kBlockHorizon;
  while (holding_ && !failed() && StepOnce(limit)) {
  }
  if (holding_ && !failed()) {
    Fail(e.line, absl::StrCat("runtime error in ", sc.name,
                              " call: it blocks and nothing the "
                              "stack has scheduled completes it (packetdrill would hang here); "
                              "give it a `...` end time or use O_NONBLOCK"));
  }
}

void Runner::Command(const CommandSpec& c, int line) {
  Log(absl::StrFormat("%10.6f `%s`", Secs(NowUsecs()), c.command_line));
  if (absl::Status st = RunCommand(c.command_line, harness_.stack().sysctl()); !st.ok()) {
    Fail(line, std::string(st.message()));
  }
}

}  // namespace taptcp::pkt
