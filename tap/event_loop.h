// The real-time driver: one thread, one epoll set, one Driveable (normally a Stack). Frames read
// from TAP devices go to Driveable::Input with the current time (InputOffloaded for a super-frame
// or a partial checksum from a device with offloads); between frames the loop sleeps in
// epoll_wait exactly until Driveable::NextDeadline() and then calls Advance (DESIGN.md: "the TAP
// loop (epoll + the wheel's next deadline)").
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "stack/link.h"
#include "tap/tap_device.h"
#include "timers/clock.h"
#include "timers/time.h"

namespace taptcp::tap {

class EventLoop {
 public:
  enum class StopReason {
    kStopped,    // Stop() was called
    kSignal,     // SIGINT or SIGTERM arrived (last_signal() says which)
    kTimeout,    // the RunFor / RunUntil time ran out
    kPredicate,  // RunUntil's predicate became true
  };

  struct Stats {
    uint64_t wakeups = 0;        // epoll_wait returns
    uint64_t timer_wakeups = 0;  // of which with no fd ready (woken by time)
    uint64_t advances = 0;       // Driveable::Advance calls
    uint64_t frames_in = 0;      // frames passed to Driveable::Input or InputOffloaded
    uint64_t offloaded_in = 0;   // of which with an offload (InputOffloaded)
    uint64_t periodic_runs = 0;
  };

  // `driveable` must outlive the loop. `clock` (may be null: the loop then owns a MonotonicClock)
  // must follow CLOCK_MONOTONIC, since the loop sleeps in real time; share it with everything that
  // stamps times for the same stack (a PcapWriter, the apps) so all Instants are on one timeline.
  static absl::StatusOr<std::unique_ptr<EventLoop>> Create(Driveable* driveable,
                                                           const timers::Clock* clock = nullptr);

  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;
  ~EventLoop();

  // Reads `tap` whenever it has frames, at most max_frames_per_read() per wakeup so one device
  // cannot starve timers and other fds. `tap` must outlive the loop or be removed first.
  absl::Status AddTap(TapDevice* tap);
  // Calls `on_readable` while `fd` is readable (level-triggered: the callback must read it), and
  // also on hangup or error (the callback should then RemoveFd it, or it keeps being called).
  absl::Status AddFd(int fd, std::function<void()> on_readable);
  // Stops watching `fd` (a tap's fd too); safe from inside a callback.
  absl::Status RemoveFd(int fd);
  // Calls `fn` every `period` (first call one period from now). Late runs are not caught up.
  void AddPeriodic(Duration period, std::function<void()> fn);

  // Runs until Stop(), SIGINT or SIGTERM. While running, SIGINT and SIGTERM are blocked in the
  // calling thread and read from a signalfd; the old mask is restored on return (a signal that
  // arrived but was not consumed is then delivered as usual). Other threads of the process must
  // block them too, or the kernel may deliver them there.
  absl::StatusOr<StopReason> Run();
  // Runs for `duration` of clock time at most.
  absl::StatusOr<StopReason> RunFor(Duration duration);
  // Runs until `done()` is true (checked after every wakeup) or `timeout` passes.
  absl::StatusOr<StopReason> RunUntil(const std::function<bool()>& done, Duration timeout);

  // Ends the current (or, if none, the next) Run. Thread-safe and async-signal-safe.
  void Stop();

  Instant Now() const { return clock_->Now(); }
  const timers::Clock& clock() const { return *clock_; }
  int last_signal() const { return last_signal_; }
  const Stats& stats() const { return stats_; }

  // Off for embedders that manage signals themselves.
  void set_handle_signals(bool on) { handle_signals_ = on; }
  void set_max_frames_per_read(size_t n) { max_frames_per_read_ = n == 0 ? 1 : n; }
  size_t max_frames_per_read() const { return max_frames_per_read_; }

 private:
  struct Source {
    int fd = -1;
    TapDevice* tap = nullptr;
    // shared_ptr so a callback that removes its own fd does not destroy itself mid-call.
    std::shared_ptr<std::function<void()>> on_readable;
  };
  struct Periodic {
    Duration period;
    Instant next;
    std::shared_ptr<std::function<void()>> fn;
  };

  EventLoop(Driveable* driveable, const timers::Clock* clock, int epoll_fd, int stop_fd);
  absl::Status AddSource(Source source);
  absl::StatusOr<StopReason> RunInternal(std::optional<Instant> until,
                                         const std::function<bool()>* done);
  absl::StatusOr<StopReason> Loop(std::optional<Instant> until, const std::function<bool()>* done,
                                  int signal_fd);
  // Runs the periodic callbacks due by `now`; returns the earliest next one.
  std::optional<Instant> RunPeriodics(Instant now);

  Driveable* driveable_;
  std::unique_ptr<timers::MonotonicClock> own_clock_;
  const timers::Clock* clock_;
  int epoll_fd_;
  int stop_fd_;  // eventfd written by Stop()
  bool running_ = false;
  bool handle_signals_ = true;
  size_t max_frames_per_read_ = 64;
  int last_signal_ = 0;
  uint64_t next_id_ = 1;
  absl::flat_hash_map<uint64_t, Source> sources_;  // by epoll data id
  absl::flat_hash_map<int, uint64_t> ids_by_fd_;
  std::vector<Periodic> periodics_;
  Stats stats_;
};

}  // namespace taptcp::tap
