// Time as the stack sees it: an Instant on a caller-supplied timeline.
//
// The core never reads a clock (DESIGN.md, "a sans-I/O core"): drivers pass the current Instant in.
// A VirtualClock makes 2 x MSL pass in a microsecond in tests; a MonotonicClock (CLOCK_MONOTONIC)
// drives the stack on a real TAP device.
#pragma once

#include <chrono>
#include <cstdint>

namespace taptcp {

// Nanosecond resolution so packetdrill-style scripts can check timing to the microsecond, while
// timers themselves tick at 1 ms like Linux with HZ=1000.
using Duration = std::chrono::nanoseconds;

// Tag clock for the stack's timeline. It has no now(): time only ever comes from a driver.
struct StackClock {
  using rep = int64_t;
  using period = std::nano;
  using duration = Duration;
  using time_point = std::chrono::time_point<StackClock, Duration>;
  static constexpr bool is_steady = true;
};

using Instant = StackClock::time_point;

constexpr Instant kEpoch{};

using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::nanoseconds;
using std::chrono::seconds;

// The 32-bit millisecond clock TCP's timestamps, RTT filters and `ss` ages run on (Linux's
// tcp_jiffies32 at HZ=1000): milliseconds since the epoch, wrapping every 49.7 days.
inline uint32_t Jiffies32(Instant t) {
  return static_cast<uint32_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count());
}

// Seconds since the timeline's epoch, for traces and reports.
inline double ToSeconds(Instant t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}
inline double ToSeconds(Duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace taptcp
