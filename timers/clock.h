// Clocks for drivers. The stack core never reads a clock (DESIGN.md, "a sans-I/O core"): a driver
// reads one of these and passes the Instant in, to the stack and to Wheel::Advance.
#pragma once

#include "timers/time.h"

namespace taptcp::timers {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual Instant Now() const = 0;
};

// Time that moves only when told to: tests and simulations make 2 x MSL pass in a microsecond and
// replay a run exactly. It may be set backwards (to test that consumers ignore that; the Wheel
// does).
class VirtualClock final : public Clock {
 public:
  explicit VirtualClock(Instant start = kEpoch) : now_(start) {}

  Instant Now() const override { return now_; }
  void Set(Instant t) { now_ = t; }
  void Advance(Duration d) { now_ += d; }

 private:
  Instant now_;
};

// CLOCK_MONOTONIC, the clock Linux's own timers follow: unaffected by settimeofday or NTP steps,
// so timeouts do not jump. The timeline's epoch is the moment of construction, so Instants start
// near zero and traces read as time since start.
class MonotonicClock final : public Clock {
 public:
  MonotonicClock();

  Instant Now() const override;

 private:
  Duration origin_;  // CLOCK_MONOTONIC at construction
};

}  // namespace taptcp::timers
