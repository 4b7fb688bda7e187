// Unit and property tests for timers::Wheel (timers/wheel.h).
#include "timers/wheel.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <unordered_map>
#include <utility>
#include <vector>

namespace taptcp::timers {
namespace {

using std::chrono::days;

Instant Ms(int64_t ms) { return kEpoch + milliseconds(ms); }

// The documented bound (wheel.h): a timer requested at `req`, armed when the wheel's time was
// `armed_at`, fires in [req, req + 1 tick + 1/8 of (req - armed_at)). When req is at or before
// the next tick, it fires exactly at the next tick.
bool WithinBound(Instant fired, Instant req, Instant armed_at) {
  if (fired < req) return false;
  const int64_t delay = (req - armed_at).count();
  const int64_t late = (fired - req).count();
  return 8 * (late - nanoseconds(Wheel::kTick).count()) < std::max<int64_t>(delay, 0);
}

// Records every firing; optionally runs an action inside the handler.
class Recorder final : public TimerHandler {
 public:
  struct Fired {
    Timer* timer;
    Instant now;
  };

  void OnTimer(Timer& timer, Instant now) override {
    fired.push_back({&timer, now});
    if (action) action(timer, now);
  }

  size_t CountFor(const Timer& t) const {
    size_t n = 0;
    for (const Fired& f : fired) n += f.timer == &t;
    return n;
  }

  std::vector<Fired> fired;
  std::function<void(Timer&, Instant)> action;
};

TEST(Wheel, EmptyWheel) {
  Wheel wheel(Ms(3));
  EXPECT_EQ(wheel.now(), Ms(3));
  EXPECT_EQ(wheel.armed_count(), 0u);
  EXPECT_FALSE(wheel.next_expiry().has_value());
  EXPECT_EQ(wheel.Advance(Ms(1'000'000)), 0u);
  EXPECT_EQ(wheel.now(), Ms(1'000'000));
}

TEST(Wheel, FiresAtExactTickOnLevel0) {
  for (int64_t d = 1; d < 64; ++d) {
    Wheel wheel;
    Recorder rec;
    Timer timer(&rec);
    wheel.Arm(timer, Ms(d));
    EXPECT_TRUE(timer.armed());
    EXPECT_EQ(timer.expiry_tick(), static_cast<uint64_t>(d));
    EXPECT_EQ(wheel.next_expiry(), Ms(d));
    EXPECT_EQ(wheel.Advance(Ms(d) - nanoseconds(1)), 0u) << d;
    EXPECT_EQ(wheel.Advance(Ms(d)), 1u) << d;
    ASSERT_EQ(rec.fired.size(), 1u);
    EXPECT_EQ(rec.fired[0].now, Ms(d));
    EXPECT_FALSE(timer.armed());
    EXPECT_EQ(wheel.armed_count(), 0u);
  }
}

TEST(Wheel, RoundsNanosecondsUpToTheNextTick) {
  Wheel wheel;
  Recorder rec;
  Timer timer(&rec);
  wheel.Arm(timer, Ms(5) + nanoseconds(1));
  EXPECT_EQ(timer.expiry_tick(), 6u);
  EXPECT_EQ(wheel.next_expiry(), Ms(6));
  EXPECT_EQ(wheel.Advance(Ms(6) - nanoseconds(1)), 0u);
  EXPECT_EQ(wheel.Advance(Ms(6)), 1u);
  EXPECT_EQ(rec.fired.at(0).now, Ms(6));
}

TEST(Wheel, PastOrCurrentExpiryFiresAtTheNextTick) {
  Wheel wheel(Ms(10) + microseconds(300));
  Recorder rec;
  Timer past(&rec), now(&rec), in_tick(&rec);
  wheel.Arm(past, Ms(3));
  wheel.Arm(now, wheel.now());
  wheel.Arm(in_tick, Ms(11));
  EXPECT_EQ(wheel.next_expiry(), Ms(11));
  EXPECT_EQ(wheel.Advance(Ms(11)), 3u);
  for (const auto& f : rec.fired) EXPECT_EQ(f.now, Ms(11));
}

TEST(Wheel, SubTickNowIsKeptAndArmAfterUsesIt) {
  Wheel wheel;
  Recorder rec;
  Timer timer(&rec);
  wheel.Advance(Ms(1) + microseconds(500));
  EXPECT_EQ(wheel.now(), Ms(1) + microseconds(500));
  wheel.ArmAfter(timer, milliseconds(1));  // due at 2.5 ms: rounds up to tick 3
  EXPECT_EQ(wheel.next_expiry(), Ms(3));
  EXPECT_EQ(wheel.Advance(Ms(2) + microseconds(999)), 0u);
  EXPECT_EQ(wheel.Advance(Ms(3)), 1u);
}

// Exact slot times, worked by hand from the geometry in wheel.h.
TEST(Wheel, NextExpiryExactValues) {
  struct Case {
    int64_t start_ms;
    int64_t request_ms;
    int64_t expect_ms;
    int64_t wake_ms = -1;  // where next_expiry() first points, when that is before expect_ms
  };
  const Case cases[] = {
      {0, 5, 5},
      {0, 63, 63},  // level 0: exact
      {0, 64, 64},
      {0, 65, 72},  // level 1, granularity 8
      {0, 100, 104},
      {0, 511, 512},  //
      {0, 512, 512},
      {0, 1000, 1024},  // level 2, granularity 64
      {0, 4095, 4096},
      {0, 4096, 4096},  // level 3, granularity 512
      {0, 5000, 5120},
      {1, 64, 64},  // d = 63 from clk 1: level 0
      {3, 67, 72},  // d = 64: level 1
      // clk 7, d = 511: ceil(518 / 8) = 65 would share slot 1 with bucket 1 (due at 8 ms) and fire
      // 510 ms early. It is held in the window's last bucket (64, due at 512 ms), re-armed there on
      // level 0, and fires exactly at 518 (Linux would move it a level up: 576, 11% late).
      {7, 518, 518, 512},
      // Same on level 2: clk 63, d = 4095 -> ceil(4158/64) = 65 > 0 + 64: held at bucket 64
      // (4096 ms), then exact (Linux: level 3, 4608).
      {63, 4158, 4158, 4096},
  };
  for (const Case& c : cases) {
    Wheel wheel(Ms(c.start_ms));
    Recorder rec;
    Timer timer(&rec);
    wheel.Arm(timer, Ms(c.request_ms));
    if (c.wake_ms >= 0) {
      // An early wake-up re-arms the timer without firing it.
      EXPECT_EQ(wheel.next_expiry(), Ms(c.wake_ms)) << c.start_ms << " " << c.request_ms;
      EXPECT_EQ(wheel.Advance(Ms(c.wake_ms)), 0u);
      EXPECT_TRUE(timer.armed());
      EXPECT_EQ(wheel.armed_count(), 1u);
    }
    EXPECT_EQ(wheel.next_expiry(), Ms(c.expect_ms)) << c.start_ms << " " << c.request_ms;
    EXPECT_EQ(wheel.Advance(Ms(c.expect_ms) - nanoseconds(1)), 0u) << c.request_ms;
    EXPECT_EQ(wheel.Advance(Ms(c.expect_ms)), 1u) << c.request_ms;
    EXPECT_EQ(rec.fired.at(0).now, Ms(c.expect_ms));
  }
}

TEST(Wheel, NextExpiryIsTheMinimumOverLevelsAndSurvivesPartialAdvance) {
  Wheel wheel;
  Recorder rec;
  Timer far(&rec), near(&rec);
  wheel.Arm(far, Ms(1000));  // level 2 -> 1024
  wheel.Arm(near, Ms(10));
  EXPECT_EQ(wheel.next_expiry(), Ms(10));
  wheel.Cancel(near);
  EXPECT_EQ(wheel.next_expiry(), Ms(1024));
  EXPECT_EQ(wheel.Advance(Ms(900)), 0u);
  // Non-cascading: the timer stays in its slot; the answer does not change as the clock moves.
  EXPECT_EQ(wheel.next_expiry(), Ms(1024));
  wheel.Arm(near, Ms(950));
  EXPECT_EQ(wheel.next_expiry(), Ms(950));
}

// Never early and within the bound at every level boundary, from aligned and unaligned clocks,
// with requests on and just off tick boundaries.
TEST(Wheel, NeverEarlyAtLevelBoundaries) {
  std::vector<int64_t> delays;
  for (int64_t g = 1, n = 0; n <= 10; ++n, g *= 8) {
    for (int64_t base : {64 * g, 63 * g}) {
      for (int64_t delta : {-2, -1, 0, 1, 2}) {
        if (base + delta > 0) delays.push_back(base + delta);
      }
    }
  }
  delays.push_back(int64_t{30} * 24 * 3600 * 1000);  // 30 days: parked past the last level
  const Duration starts[] = {Duration(0),         milliseconds(1),   milliseconds(7),
                             milliseconds(8),     milliseconds(63),  milliseconds(511),
                             milliseconds(12345), microseconds(500), milliseconds(4095)};
  const Duration fractions[] = {Duration(0), nanoseconds(1), nanoseconds(999'999)};
  int cases = 0;
  for (Duration start : starts) {
    for (int64_t d : delays) {
      for (Duration frac : fractions) {
        Wheel wheel(kEpoch + start);
        Recorder rec;
        Timer timer(&rec);
        const Instant req = wheel.now() + milliseconds(d) + frac;
        wheel.Arm(timer, req);
        const Instant latest = req + Wheel::kTick + (req - wheel.now()) / 8;
        ASSERT_EQ(wheel.Advance(req - nanoseconds(1)), 0u)
            << "early: start " << start.count() << " d " << d << " frac " << frac.count();
        ASSERT_TRUE(timer.armed());
        // A timer held back from a wrapping bucket was re-armed on the way; from here on a sole
        // timer's slot is its firing time, not before req (unless it is parked past ~12 days).
        const Instant slot = wheel.next_expiry().value();
        if (req - (kEpoch + start) < days(12)) {
          ASSERT_GE(slot, req) << "start " << start.count() << " d " << d;
        }
        ASSERT_EQ(wheel.Advance(latest), 1u) << "start " << start.count() << " d " << d;
        if (req - (kEpoch + start) < days(12)) {
          EXPECT_EQ(rec.fired.at(0).now, slot);
        }
        ASSERT_TRUE(WithinBound(rec.fired.at(0).now, req, kEpoch + start))
            << "start " << start.count() << " d " << d << " fired "
            << (rec.fired[0].now - req).count();
        ++cases;
      }
    }
  }
  EXPECT_GT(cases, 1000);
}

// Every delay from 1 to 5000 ticks, plus a geometric sweep to 12 days, from several clock phases,
// stepping through next_expiry(): each fires once, never early, within the bound, in order.
TEST(Wheel, DenseSweepLatenessBound) {
  for (int64_t start : {0, 1, 3, 7, 9, 62, 63, 65, 500, 511, 4097}) {
    Wheel wheel(Ms(start));
    Recorder rec;
    std::vector<std::unique_ptr<Timer>> timers;
    std::unordered_map<const Timer*, size_t> index;
    std::vector<Instant> req;
    for (int64_t d = 1; d <= 5000; ++d) req.push_back(Ms(start + d));
    // Up to 12 days: nothing parks, so every wake-up at next_expiry() must fire something.
    for (double d = 5000; d < 12.0 * 86'400'000; d *= 1.01) {
      req.push_back(Ms(start) + nanoseconds(static_cast<int64_t>(d * 1e6)));
    }
    for (Instant r : req) {
      timers.push_back(std::make_unique<Timer>(&rec));
      index[timers.back().get()] = timers.size() - 1;
      wheel.Arm(*timers.back(), r);
    }
    EXPECT_EQ(wheel.armed_count(), req.size());
    size_t fired = 0;
    while (std::optional<Instant> next = wheel.next_expiry()) {
      const size_t n = wheel.Advance(*next);
      ASSERT_GT(n, 0u) << "woken for nothing at " << next->time_since_epoch().count();
      fired += n;
    }
    EXPECT_EQ(fired, req.size());
    ASSERT_EQ(rec.fired.size(), req.size());
    Instant last = kEpoch;
    for (const auto& f : rec.fired) {
      const size_t i = index.at(f.timer);
      EXPECT_TRUE(WithinBound(f.now, req[i], Ms(start)))
          << "start " << start << " req " << req[i].time_since_epoch().count() << " fired "
          << f.now.time_since_epoch().count();
      EXPECT_GE(f.now, last);
      last = f.now;
    }
    EXPECT_EQ(wheel.armed_count(), 0u);
  }
}

TEST(Wheel, Cancel) {
  Wheel wheel;
  Recorder rec;
  Timer a(&rec), b(&rec);
  EXPECT_FALSE(wheel.Cancel(a));
  wheel.Arm(a, Ms(20));
  wheel.Arm(b, Ms(20));
  EXPECT_EQ(wheel.armed_count(), 2u);
  EXPECT_TRUE(wheel.Cancel(a));
  EXPECT_FALSE(a.armed());
  EXPECT_FALSE(wheel.Cancel(a));
  EXPECT_EQ(wheel.armed_count(), 1u);
  EXPECT_EQ(wheel.next_expiry(), Ms(20));  // b still there
  EXPECT_TRUE(wheel.Cancel(b));
  EXPECT_EQ(wheel.armed_count(), 0u);
  EXPECT_FALSE(wheel.next_expiry().has_value());  // slot bit cleared with its last timer
  EXPECT_EQ(wheel.Advance(Ms(100)), 0u);
  EXPECT_TRUE(rec.fired.empty());
}

TEST(Wheel, ReArmMovesTheTimer) {
  Wheel wheel;
  Recorder rec;
  Timer timer(&rec);
  wheel.Arm(timer, Ms(10));
  wheel.Arm(timer, Ms(20));  // later
  EXPECT_EQ(wheel.armed_count(), 1u);
  EXPECT_EQ(wheel.next_expiry(), Ms(20));
  EXPECT_EQ(wheel.Advance(Ms(15)), 0u);
  wheel.Arm(timer, Ms(17));  // earlier
  EXPECT_EQ(wheel.Advance(Ms(100)), 1u);
  ASSERT_EQ(rec.fired.size(), 1u);
  EXPECT_EQ(rec.fired[0].now, Ms(17));
  // Re-arm across levels and back.
  wheel.Arm(timer, Ms(100'000));
  wheel.Arm(timer, Ms(101));
  EXPECT_EQ(wheel.next_expiry(), Ms(101));
  EXPECT_EQ(wheel.Advance(Ms(200'000)), 1u);
  EXPECT_EQ(rec.fired.at(1).now, Ms(101));
}

TEST(Wheel, ReArmFromInsideTheHandler) {
  Wheel wheel;
  Recorder rec;
  Timer timer(&rec);
  rec.action = [&](Timer& t, Instant now) {
    EXPECT_FALSE(t.armed());  // disarmed before the handler runs
    EXPECT_EQ(wheel.now(), now);
    EXPECT_FALSE(wheel.Cancel(t));
    wheel.ArmAfter(t, milliseconds(10));
  };
  wheel.Arm(timer, Ms(10));
  EXPECT_EQ(wheel.Advance(Ms(100)), 10u);
  for (size_t i = 0; i < rec.fired.size(); ++i) {
    EXPECT_EQ(rec.fired[i].now, Ms(10 * static_cast<int64_t>(i + 1)));
  }
  EXPECT_TRUE(timer.armed());
  EXPECT_EQ(wheel.next_expiry(), Ms(110));
}

TEST(Wheel, ReArmForNowFromTheHandlerFiresNextTickNotInALoop) {
  Wheel wheel;
  Recorder rec;
  Timer timer(&rec);
  rec.action = [&](Timer& t, Instant now) { wheel.Arm(t, now); };
  wheel.Arm(timer, Ms(5));
  EXPECT_EQ(wheel.Advance(Ms(10)), 6u);  // 5, 6, 7, 8, 9, 10
  EXPECT_EQ(rec.fired.back().now, Ms(10));
}

TEST(Wheel, CancelAnotherTimerOfTheSameBatch) {
  Wheel wheel;
  Recorder rec;
  Timer a(&rec), b(&rec), c(&rec);
  rec.action = [&](Timer& t, Instant) {
    if (&t == &a) {
      EXPECT_TRUE(b.armed());
      EXPECT_TRUE(wheel.Cancel(b));
      EXPECT_FALSE(b.armed());
    }
    if (&t == &b) {
      EXPECT_TRUE(wheel.Cancel(a));  // b fired first: same test, other way round
    }
  };
  wheel.Arm(a, Ms(10));
  wheel.Arm(b, Ms(10));
  wheel.Arm(c, Ms(10));
  EXPECT_EQ(wheel.Advance(Ms(10)), 2u);
  EXPECT_EQ(rec.CountFor(a) + rec.CountFor(b), 1u);
  EXPECT_EQ(rec.CountFor(c), 1u);
  EXPECT_EQ(wheel.armed_count(), 0u);
  EXPECT_FALSE(wheel.next_expiry().has_value());
}

TEST(Wheel, CancelAcrossLevelsInTheSameBatch) {
  // a is armed from clk 0 for 104 ms (level 1, bucket 13); b from clk 100 for 104 ms (level 0).
  // Both come due at tick 104, from different levels, in one batch.
  Wheel wheel;
  Recorder rec;
  Timer a(&rec), b(&rec);
  wheel.Arm(a, Ms(104));
  wheel.Advance(Ms(100));
  wheel.Arm(b, Ms(104));
  rec.action = [&](Timer& t, Instant) {
    Timer& other = &t == &a ? b : a;
    EXPECT_TRUE(wheel.Cancel(other));
  };
  EXPECT_EQ(wheel.Advance(Ms(104)), 1u);
  EXPECT_EQ(rec.fired.size(), 1u);
  EXPECT_EQ(wheel.armed_count(), 0u);
}

TEST(Wheel, ReArmAnotherTimerOfTheSameBatch) {
  Wheel wheel;
  Recorder rec;
  Timer a(&rec), b(&rec), c(&rec);
  rec.action = [&](Timer& t, Instant) {
    if (&t == &a) wheel.Arm(c, Ms(20));
  };
  wheel.Arm(a, Ms(10));
  wheel.Arm(b, Ms(10));
  wheel.Arm(c, Ms(10));
  EXPECT_EQ(wheel.Advance(Ms(10)), 2u);
  EXPECT_TRUE(c.armed());
  EXPECT_EQ(wheel.armed_count(), 1u);
  EXPECT_EQ(wheel.next_expiry(), Ms(20));
  EXPECT_EQ(wheel.Advance(Ms(30)), 1u);
  EXPECT_EQ(rec.CountFor(c), 1u);
  EXPECT_EQ(rec.fired.back().now, Ms(20));
}

TEST(Wheel, DestroyAnotherTimerOfTheSameBatch) {
  Wheel wheel;
  Recorder rec;
  Timer a(&rec);
  auto b = std::make_unique<Timer>(&rec);
  Timer c(&rec);
  Timer* b_addr = b.get();
  rec.action = [&](Timer& t, Instant) {
    if (&t == &a) b.reset();
  };
  wheel.Arm(a, Ms(10));
  wheel.Arm(*b, Ms(10));
  wheel.Arm(c, Ms(10));
  EXPECT_EQ(wheel.Advance(Ms(10)), 2u);
  EXPECT_EQ(rec.CountFor(*b_addr), 0u);
  EXPECT_EQ(rec.CountFor(c), 1u);
  EXPECT_EQ(wheel.armed_count(), 0u);
}

TEST(Wheel, DestroyingAnArmedTimerCancelsIt) {
  Wheel wheel;
  Recorder rec;
  {
    Timer sole(&rec);
    wheel.Arm(sole, Ms(50));
    EXPECT_EQ(wheel.armed_count(), 1u);
  }
  EXPECT_EQ(wheel.armed_count(), 0u);
  EXPECT_FALSE(wheel.next_expiry().has_value());  // its slot's bit went with it

  // First, middle and last of one slot, and a timer on another level.
  auto first = std::make_unique<Timer>(&rec);
  auto middle = std::make_unique<Timer>(&rec);
  auto last = std::make_unique<Timer>(&rec);
  Timer other(&rec);
  wheel.Arm(*first, Ms(30));
  wheel.Arm(*middle, Ms(30));
  wheel.Arm(*last, Ms(30));
  wheel.Arm(other, Ms(3000));
  middle.reset();
  EXPECT_EQ(wheel.armed_count(), 3u);
  first.reset();
  EXPECT_EQ(wheel.armed_count(), 2u);
  EXPECT_EQ(wheel.next_expiry(), Ms(30));
  last.reset();
  EXPECT_EQ(wheel.armed_count(), 1u);
  EXPECT_EQ(wheel.next_expiry(), Ms(3008));  // level 2, granularity 64: ceil(3000 / 64) * 64
  EXPECT_EQ(wheel.Advance(Ms(10'000)), 1u);
  ASSERT_EQ(rec.fired.size(), 1u);
  EXPECT_EQ(rec.fired[0].timer, &other);
}

// ~Timer must be O(1) even in a crowded slot: tearing down many owners in any order (a hash map
// of connections, say) must not walk slot lists.
TEST(Wheel, DestroyingManyArmedTimersInRandomOrderIsCheap) {
  Wheel wheel;
  Recorder rec;
  std::vector<std::unique_ptr<Timer>> timers;
  for (int i = 0; i < 200'000; ++i) {
    timers.push_back(std::make_unique<Timer>(&rec));
    wheel.Arm(*timers.back(), Ms(60'000 + i % 3));  // three slots, ~67k timers each
  }
  std::shuffle(timers.begin(), timers.end(), std::mt19937_64(7));
  const auto t0 = std::chrono::steady_clock::now();
  timers.clear();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(500));
  EXPECT_EQ(wheel.armed_count(), 0u);
  EXPECT_FALSE(wheel.next_expiry().has_value());
  EXPECT_EQ(wheel.Advance(Ms(100'000)), 0u);
}

TEST(Wheel, SeveralWheelsKeepTheirOwnTimers) {
  Recorder rec;
  auto a = std::make_unique<Wheel>();
  Wheel b;
  auto t1 = std::make_unique<Timer>(&rec);
  auto t2 = std::make_unique<Timer>(&rec);
  a->Arm(*t1, Ms(5));
  b.Arm(*t2, Ms(5));
  t2.reset();  // must find wheel b, not a
  EXPECT_EQ(a->armed_count(), 1u);
  EXPECT_EQ(b.armed_count(), 0u);
  EXPECT_FALSE(b.next_expiry().has_value());
  // Arming in another wheel moves the timer.
  b.Arm(*t1, Ms(7));
  EXPECT_EQ(a->armed_count(), 0u);
  EXPECT_FALSE(a->next_expiry().has_value());
  EXPECT_EQ(b.armed_count(), 1u);
  EXPECT_EQ(b.next_expiry(), Ms(7));
  // A wheel destroyed and another created (its id may be reused) does not confuse old timers.
  a.reset();
  Wheel c;
  t1.reset();
  EXPECT_EQ(b.armed_count(), 0u);
  EXPECT_EQ(c.armed_count(), 0u);
  EXPECT_TRUE(rec.fired.empty());
}

TEST(Wheel, TimerMayOutliveTheWheel) {
  Recorder rec;
  Timer survivor(&rec);
  {
    Wheel wheel;
    wheel.Arm(survivor, Ms(10));
    Timer other(&rec);
    wheel.Arm(other, Ms(10));
  }
  EXPECT_FALSE(survivor.armed());  // its destructor must not touch the dead wheel (ASan checks)
}

TEST(Wheel, HandlersSeeTheirSlotTimeDuringALongJump) {
  Wheel wheel;
  Recorder rec;
  Timer t[5] = {Timer(&rec), Timer(&rec), Timer(&rec), Timer(&rec), Timer(&rec)};
  const int64_t due[5] = {5120, 10, 1024, 30, 20};  // all on their level's granularity
  for (int i = 0; i < 5; ++i) wheel.Arm(t[i], Ms(due[i]));
  rec.action = [&](Timer&, Instant now) { EXPECT_EQ(wheel.now(), now); };
  EXPECT_EQ(wheel.Advance(Ms(10'000)), 5u);
  ASSERT_EQ(rec.fired.size(), 5u);
  const int64_t order[5] = {10, 20, 30, 1024, 5120};
  for (int i = 0; i < 5; ++i) EXPECT_EQ(rec.fired[i].now, Ms(order[i]));
  EXPECT_EQ(wheel.now(), Ms(10'000));
}

TEST(Wheel, TimersPastTheLastLevelAreNeverEarly) {
  Wheel wheel(Ms(123));
  Recorder rec;
  Timer timer(&rec);
  const Instant req = Ms(123) + days(30) + nanoseconds(7);
  wheel.Arm(timer, req);
  ASSERT_TRUE(wheel.next_expiry().has_value());
  EXPECT_LT(*wheel.next_expiry(), req);  // the parking slot, where it is re-armed
  EXPECT_EQ(wheel.Advance(req - nanoseconds(1)), 0u);
  EXPECT_TRUE(timer.armed());
  EXPECT_EQ(wheel.armed_count(), 1u);
  EXPECT_EQ(wheel.Advance(req + days(5)), 1u);
  ASSERT_EQ(rec.fired.size(), 1u);
  EXPECT_TRUE(WithinBound(rec.fired[0].now, req, Ms(123)))
      << (rec.fired[0].now - req).count() << " ns late";
}

TEST(Wheel, FarFutureExtremesDoNotOverflow) {
  Wheel wheel;
  Recorder rec;
  Timer timer(&rec);
  wheel.Arm(timer, Instant::max());
  EXPECT_TRUE(wheel.next_expiry().has_value());
  // ~292 years of virtual time: re-parked every ~12 days, never fired (it is never due: its tick
  // rounds up past the last representable one).
  EXPECT_EQ(wheel.Advance(Instant::max()), 0u);
  EXPECT_TRUE(timer.armed());
  EXPECT_TRUE(wheel.Cancel(timer));
  EXPECT_FALSE(wheel.next_expiry().has_value());
}

TEST(Wheel, HugeJumpDoesNotIteratePerTick) {
  Wheel wheel;
  Recorder rec;
  Timer a(&rec), b(&rec), c(&rec), periodic(&rec);
  wheel.Arm(a, kEpoch + days(1));
  wheel.Arm(b, kEpoch + days(10));
  wheel.Arm(c, kEpoch + days(29));
  // 2^22 ms (~70 min) is a multiple of its level's granularity (2^18 ticks), so it fires exactly.
  const Duration period = milliseconds(1 << 22);
  size_t periodic_calls = 0;
  rec.action = [&](Timer& t, Instant now) {
    if (&t != &periodic) return;
    ++periodic_calls;
    EXPECT_EQ(now, kEpoch + period * periodic_calls);
    wheel.Arm(t, now + period);
  };
  wheel.Arm(periodic, kEpoch + period);
  const size_t expected_periodic = days(30) / period;  // 617
  const auto t0 = std::chrono::steady_clock::now();
  // 30 days is 2.6e9 ticks: a per-tick loop would take seconds; bucket-to-bucket takes
  // microseconds.
  EXPECT_EQ(wheel.Advance(kEpoch + days(30)), 3u + expected_periodic);
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(elapsed, std::chrono::milliseconds(500));
  EXPECT_EQ(periodic_calls, expected_periodic);
  EXPECT_EQ(rec.CountFor(a) + rec.CountFor(b) + rec.CountFor(c), 3u);
  EXPECT_TRUE(periodic.armed());
  EXPECT_EQ(wheel.armed_count(), 1u);
}

TEST(Wheel, TimeGoingBackwardsIsIgnored) {
  Wheel wheel;
  Recorder rec;
  Timer timer(&rec);
  wheel.Advance(Ms(100));
  wheel.Arm(timer, Ms(120));
  EXPECT_EQ(wheel.Advance(Ms(50)), 0u);
  EXPECT_EQ(wheel.now(), Ms(100));
  EXPECT_EQ(wheel.Advance(Ms(100)), 0u);
  EXPECT_EQ(wheel.Advance(Ms(119)), 0u);
  EXPECT_EQ(wheel.Advance(Ms(120)), 1u);
  EXPECT_EQ(rec.fired.at(0).now, Ms(120));
}

TEST(Wheel, TimerWithoutHandlerStillExpires) {
  Wheel wheel;
  Timer timer;
  wheel.Arm(timer, Ms(3));
  EXPECT_EQ(wheel.Advance(Ms(3)), 1u);
  EXPECT_FALSE(timer.armed());
  EXPECT_EQ(wheel.armed_count(), 0u);
}

}  // namespace
}  // namespace taptcp::timers
