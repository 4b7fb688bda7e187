#include "tap/event_loop.h"

#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"

namespace taptcp::tap {
namespace {

// Reserved epoll ids; sources count up from 1 and never reach these.
constexpr uint64_t kStopId = UINT64_MAX;
constexpr uint64_t kSignalId = UINT64_MAX - 1;
constexpr int kMaxEvents = 32;

absl::Status Errno(const char* what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

// epoll_wait's timeout for sleeping until `wake`: whole milliseconds rounded UP, so we never wake
// before the deadline and spin on a sub-millisecond remainder. (epoll_pwait2 would take a
// timespec, but the wheel ticks in 1 ms anyway.)
int TimeoutMs(std::optional<Instant> wake, Instant now) {
  if (!wake.has_value()) return -1;  // nothing pending: sleep until an fd or a signal
  if (*wake <= now) return 0;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(*wake - now).count();
  return static_cast<int>(std::min<int64_t>(ms, INT_MAX));
}

std::optional<Instant> Earliest(std::optional<Instant> a, std::optional<Instant> b) {
  if (!a.has_value()) return b;
  if (!b.has_value()) return a;
  return std::min(*a, *b);
}

// Blocks SIGINT and SIGTERM in this thread and reads them from a signalfd for one Run; restores
// the previous mask when done.
class SignalCapture {
 public:
  absl::Status Start(int epoll_fd) {
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGTERM);
    if (const int err = pthread_sigmask(SIG_BLOCK, &mask, &old_mask_); err != 0) {
      return absl::InternalError(absl::StrCat("pthread_sigmask: ", std::strerror(err)));
    }
    blocked_ = true;
    fd_ = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd_ < 0) return Errno("signalfd");
    epoll_fd_ = epoll_fd;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kSignalId;
    if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd_, &ev) != 0) return Errno("epoll_ctl(signalfd)");
    registered_ = true;
    return absl::OkStatus();
  }
  ~SignalCapture() {
    if (registered_) epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd_, nullptr);
    if (fd_ >= 0) close(fd_);
    if (blocked_) pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
  }
  int fd() const { return fd_; }

 private:
  sigset_t old_mask_;
  bool blocked_ = false;
  bool registered_ = false;
  int fd_ = -1;
  int epoll_fd_ = -1;
};

}  // namespace

absl::StatusOr<std::unique_ptr<EventLoop>> EventLoop::Create(Driveable* driveable,
                                                             const timers::Clock* clock) {
  if (driveable == nullptr) return absl::InvalidArgumentError("EventLoop needs a Driveable");
  const int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd < 0) return Errno("epoll_create1");
  const int stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (stop_fd < 0) {
    absl::Status s = Errno("eventfd");
    close(epoll_fd);
    return s;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kStopId;
  if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, stop_fd, &ev) != 0) {
    absl::Status s = Errno("epoll_ctl(eventfd)");
    close(stop_fd);
    close(epoll_fd);
    return s;
  }
  return std::unique_ptr<EventLoop>(new EventLoop(driveable, clock, epoll_fd, stop_fd));
}

EventLoop::EventLoop(Driveable* driveable, const timers::Clock* clock, int epoll_fd, int stop_fd)
    : driveable_(driveable), epoll_fd_(epoll_fd), stop_fd_(stop_fd) {
  if (clock == nullptr) {
    own_clock_ = std::make_unique<timers::MonotonicClock>();
    clock = own_clock_.get();
  }
  clock_ = clock;
}

EventLoop::~EventLoop() {
  close(stop_fd_);
  close(epoll_fd_);
}

absl::Status EventLoop::AddSource(Source source) {
  if (source.fd < 0) return absl::InvalidArgumentError("EventLoop: invalid fd");
  if (ids_by_fd_.contains(source.fd)) {
    return absl::AlreadyExistsError(absl::StrCat("EventLoop: fd ", source.fd, " already added"));
  }
  const uint64_t id = next_id_++;
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = id;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, source.fd, &ev) != 0) return Errno("epoll_ctl(ADD)");
  ids_by_fd_[source.fd] = id;
  sources_[id] = std::move(source);
  return absl::OkStatus();
}

absl::Status EventLoop::AddTap(TapDevice* tap) {
  if (tap == nullptr) return absl::InvalidArgumentError("EventLoop: null TapDevice");
  return AddSource(Source{tap->fd(), tap, nullptr});
}

absl::Status EventLoop::AddFd(int fd, std::function<void()> on_readable) {
  return AddSource(
      Source{fd, nullptr, std::make_shared<std::function<void()>>(std::move(on_readable))});
}

absl::Status EventLoop::RemoveFd(int fd) {
  auto it = ids_by_fd_.find(fd);
  if (it == ids_by_fd_.end()) {
    return absl::NotFoundError(absl::StrCat("EventLoop: fd ", fd, " is not watched"));
  }
  sources_.erase(it->second);
  ids_by_fd_.erase(it);
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr) != 0) return Errno("epoll_ctl(DEL)");
  return absl::OkStatus();
}

void EventLoop::AddPeriodic(Duration period, std::function<void()> fn) {
  // A zero period would make the loop spin.
  period = std::max(period, Duration(std::chrono::milliseconds(1)));
  periodics_.push_back(
      Periodic{period, Now() + period, std::make_shared<std::function<void()>>(std::move(fn))});
}

void EventLoop::Stop() {
  const uint64_t one = 1;
  // Only fails if the counter would overflow, i.e. a stop is already pending.
  (void)!write(stop_fd_, &one, sizeof(one));
}

absl::StatusOr<EventLoop::StopReason> EventLoop::Run() {
  return RunInternal(std::nullopt, nullptr);
}

absl::StatusOr<EventLoop::StopReason> EventLoop::RunFor(Duration duration) {
  return RunInternal(Now() + duration, nullptr);
}

absl::StatusOr<EventLoop::StopReason> EventLoop::RunUntil(const std::function<bool()>& done,
                                                          Duration timeout) {
  return RunInternal(Now() + timeout, &done);
}

absl::StatusOr<EventLoop::StopReason> EventLoop::RunInternal(std::optional<Instant> until,
                                                             const std::function<bool()>* done) {
  if (running_) return absl::FailedPreconditionError("EventLoop is already running");
  running_ = true;
  absl::StatusOr<StopReason> result;
  {
    SignalCapture signals;
    absl::Status started = handle_signals_ ? signals.Start(epoll_fd_) : absl::OkStatus();
    result = started.ok() ? Loop(until, done, signals.fd()) : started;
  }
  running_ = false;
  return result;
}

std::optional<Instant> EventLoop::RunPeriodics(Instant now) {
  std::optional<Instant> earliest;
  // By index: a callback may add periodics (push_back can reallocate).
  for (size_t i = 0; i < periodics_.size(); ++i) {
    if (periodics_[i].next <= now) {
      // Skip missed periods instead of running a burst to catch up.
      periodics_[i].next = std::max(periodics_[i].next + periodics_[i].period, now);
      if (periodics_[i].next == now) periodics_[i].next += periodics_[i].period;
      std::shared_ptr<std::function<void()>> fn = periodics_[i].fn;
      ++stats_.periodic_runs;
      (*fn)();
    }
    earliest = Earliest(earliest, periodics_[i].next);
  }
  return earliest;
}

absl::StatusOr<EventLoop::StopReason> EventLoop::Loop(std::optional<Instant> until,
                                                      const std::function<bool()>* done,
                                                      int signal_fd) {
  epoll_event events[kMaxEvents];
  while (true) {
    Instant now = Now();
    std::optional<Instant> deadline = driveable_->NextDeadline();
    if (deadline.has_value() && *deadline <= now) {
      driveable_->Advance(now);
      ++stats_.advances;
      deadline = driveable_->NextDeadline();
    }
    const std::optional<Instant> next_periodic = RunPeriodics(now);
    if (done != nullptr && (*done)()) return StopReason::kPredicate;
    if (until.has_value() && now >= *until) return StopReason::kTimeout;

    const int timeout_ms = TimeoutMs(Earliest(Earliest(deadline, next_periodic), until), now);
    const int n = epoll_wait(epoll_fd_, events, kMaxEvents, timeout_ms);
    if (n < 0) {
      if (errno == EINTR) continue;  // a signal we do not capture (SIGCHLD, a debugger)
      return Errno("epoll_wait");
    }
    ++stats_.wakeups;
    if (n == 0) ++stats_.timer_wakeups;
    bool stop = false;
    for (int i = 0; i < n; ++i) {
      const uint64_t id = events[i].data.u64;
      if (id == kStopId) {
        uint64_t count;
        (void)!read(stop_fd_, &count, sizeof(count));
        stop = true;
        continue;
      }
      if (id == kSignalId) {
        signalfd_siginfo info{};
        if (read(signal_fd, &info, sizeof(info)) == sizeof(info)) {
          last_signal_ = static_cast<int>(info.ssi_signo);
          return StopReason::kSignal;
        }
        continue;
      }
      auto it = sources_.find(id);
      if (it == sources_.end()) continue;  // removed by an earlier callback in this batch
      if (it->second.tap != nullptr) {
        absl::StatusOr<size_t> read = it->second.tap->ReadBatch(
            [this](std::span<const uint8_t> frame, const wire::Offload& offload) {
              // Each frame gets its own time: a batch can span a while on a busy machine.
              if (offload.any()) {
                // A super-frame or partial checksum from a device with offloads: the Driveable
                // takes it whole (a Stack, as after GRO) or cuts it (Driveable's default).
                driveable_->InputOffloaded(frame, offload, Now());
                ++stats_.offloaded_in;
              } else {
                driveable_->Input(frame, Now());
              }
              ++stats_.frames_in;
            },
            max_frames_per_read_, driveable_);
        if (!read.ok()) return read.status();
      } else {
        std::shared_ptr<std::function<void()>> callback = it->second.on_readable;
        (*callback)();
      }
    }
    if (stop) return StopReason::kStopped;
  }
}

}  // namespace taptcp::tap
