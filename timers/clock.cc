#include "timers/clock.h"

#include <time.h>

namespace taptcp::timers {
namespace {

Duration ReadMonotonic() {
  timespec ts;
  // CLOCK_MONOTONIC cannot fail with a valid timespec pointer on Linux (clock_gettime(2): EINVAL
  // only for an unknown clock id).
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

}  // namespace

MonotonicClock::MonotonicClock() : origin_(ReadMonotonic()) {}

Instant MonotonicClock::Now() const { return kEpoch + (ReadMonotonic() - origin_); }

}  // namespace taptcp::timers
