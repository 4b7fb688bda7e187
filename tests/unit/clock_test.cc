// Tests for timers/clock.h.
#include "timers/clock.h"

#include <gtest/gtest.h>

#include <memory>

namespace taptcp::timers {
namespace {

TEST(Clock, VirtualClockStartsWhereTold) {
  VirtualClock zero;
  EXPECT_EQ(zero.Now(), kEpoch);
  VirtualClock later(kEpoch + seconds(5));
  EXPECT_EQ(later.Now(), kEpoch + seconds(5));
}

TEST(Clock, VirtualClockArithmetic) {
  VirtualClock clock(kEpoch + milliseconds(1));
  clock.Advance(microseconds(250));
  EXPECT_EQ(clock.Now(), kEpoch + microseconds(1250));
  clock.Advance(nanoseconds(1));
  EXPECT_EQ(clock.Now().time_since_epoch().count(), 1'250'001);
  clock.Advance(minutes(2));  // 2 x MSL passes in no time
  EXPECT_EQ(clock.Now(), kEpoch + minutes(2) + microseconds(1250) + nanoseconds(1));
  clock.Set(kEpoch + hours(24));
  EXPECT_DOUBLE_EQ(ToSeconds(clock.Now()), 86400.0);
  clock.Set(kEpoch + seconds(1));  // may go back: consumers (the Wheel) ignore that
  EXPECT_EQ(clock.Now(), kEpoch + seconds(1));
  clock.Advance(Duration(0));
  EXPECT_EQ(clock.Now(), kEpoch + seconds(1));
}

TEST(Clock, UsableThroughTheInterface) {
  std::unique_ptr<Clock> clock = std::make_unique<VirtualClock>(kEpoch + seconds(3));
  EXPECT_EQ(clock->Now(), kEpoch + seconds(3));
}

TEST(Clock, MonotonicClockStartsNearZeroAndNeverGoesBackwards) {
  MonotonicClock clock;
  Instant last = clock.Now();
  EXPECT_GE(last, kEpoch);
  EXPECT_LT(last, kEpoch + seconds(1));  // epoch is the moment of construction
  const auto wall_start = std::chrono::steady_clock::now();
  int steps = 0;
  while (std::chrono::steady_clock::now() - wall_start < std::chrono::milliseconds(20)) {
    const Instant now = clock.Now();
    ASSERT_GE(now, last);
    last = now;
    ++steps;
  }
  EXPECT_GT(steps, 100);
  // Constructed before wall_start, so at least the 20 ms waited have passed on it.
  EXPECT_GE(clock.Now() - kEpoch, milliseconds(20));
}

TEST(Clock, MonotonicClocksHaveTheirOwnEpoch) {
  MonotonicClock first;
  const auto wall_start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - wall_start < std::chrono::milliseconds(5)) {
  }
  MonotonicClock second;
  EXPECT_GT(first.Now(), second.Now());
}

}  // namespace
}  // namespace taptcp::timers
