// Hierarchical, non-cascading timer wheel in the style of Linux's kernel/time/timer.c.
//
// Why this shape: a TCP stack arms and cancels far more timers than it lets fire (every ACK
// re-arms the retransmission timer, every close arms TIME_WAIT), so arm/re-arm/cancel must be O(1)
// and allocation-free, while expiry may be a little late but never early. Linux gets this by
// rounding a timer's expiry up to the granularity of the level it lands in, so timers never move
// between levels ("non-cascading"); the price is bounded lateness.
//
// Geometry: 1 ms tick, 64 slots per level, level n has granularity g_n = 8^n ticks. A timer's
// expiry is rounded up (never down) to a tick e, then to a multiple of g_n for the level n it lands
// in; that multiple, divided by g_n, is its bucket, and bucket mod 64 its slot. A timer due
// d = e - clk ticks after the wheel's clock goes to level 0 when d < 64, else to the level n where
// 8^(n+1) <= d < 8^(n+2), except that a bucket must lie within the 64 buckets after the level's
// current one or it would share a slot with a bucket due sooner and fire early. When rounding up
// would cross that line (possible when clk is not a multiple of g_n) the timer is held in the
// window's last bucket, which comes due less than g_n before e, and is re-armed from there on a
// finer level. (Linux avoids the wrap instead by starting each level at LVL_START(n) =
// 63 * g_(n-1), kernel/time/timer.c calc_wheel_index, which costs 8/63 = 12.7% lateness.)
// Lateness past e is at most g_n - 1 ticks and d >= 8 * g_n, so a timer fires less than 1 tick
// (ns -> ms round-up) + 12.5% (1/8) of its delay late, and never early. Nine levels reach about 12
// days; a timer beyond that parks in the last level's farthest slot and is re-armed when that slot
// comes round. In both re-arm cases next_expiry() reports a slot where nothing fires: the driver
// wakes once early, Advance() re-arms, and next_expiry() moves on.
//
// Each level keeps a 64-bit occupancy bitmap, so next_expiry() is a handful of ctz instructions
// and a driver can sleep exactly until then.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "timers/time.h"

namespace taptcp::timers {

class Timer;

// Whoever owns timers implements this. The fired Timer is passed so one owner (a TCB, say) can
// hold several timers as members and tell them apart by address; no std::function, no allocation.
class TimerHandler {
 public:
  virtual void OnTimer(Timer& timer, Instant now) = 0;

 protected:
  ~TimerHandler() = default;
};

// Circular doubly-linked list node; each wheel slot has a sentinel head.
struct ListHead {
  ListHead* next = nullptr;
  ListHead* prev = nullptr;
};

// An intrusive timer node, embedded in its owner. Exactly 32 bytes: the wheel stores nothing else
// per timer. Not copyable or movable while armed (the wheel points at it).
//
// Destroying an armed Timer cancels it, in O(1). There is no room for a wheel pointer, so while
// armed the top bits of expires_ hold the arming wheel's id in a small process-wide registry, the
// way Linux keeps its timer base's CPU number in timer->flags (kernel/time/timer.c,
// get_timer_base()). Ticks need 44 bits for the whole int64 nanosecond range; the 16-bit id allows
// 65535 wheels alive at once.
class Timer {
 public:
  explicit Timer(TimerHandler* handler = nullptr) : handler_(handler) {}
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  void set_handler(TimerHandler* handler) { handler_ = handler; }
  bool armed() const { return link_.next != nullptr; }
  // The requested expiry in ticks (ms since kEpoch), valid while armed.
  uint64_t expiry_tick() const { return expires_ & kTickMask; }
  // The same as an Instant (what `ss -o` counts down to).
  Instant expiry() const { return kEpoch + std::chrono::milliseconds(expiry_tick()); }

 private:
  friend class Wheel;
  static constexpr int kWheelIdShift = 48;
  static constexpr uint64_t kTickMask = (uint64_t{1} << kWheelIdShift) - 1;

  ListHead link_;
  // Low 48 bits: requested expiry, in ticks, rounded up from the Instant given to Arm.
  // High 16 bits: the id of the wheel it is armed in (see above).
  uint64_t expires_ = 0;
  TimerHandler* handler_;
};
static_assert(sizeof(Timer) == 32, "a timer costs 32 bytes, see the issue's memory target");

class Wheel {
 public:
  static constexpr int kLevels = 9;
  static constexpr int kSlotBits = 6;
  static constexpr int kSlots = 1 << kSlotBits;  // 64
  static constexpr int kLevelShift = 3;          // each level 8x coarser
  static constexpr Duration kTick = std::chrono::milliseconds(1);

  explicit Wheel(Instant start = kEpoch);
  ~Wheel();
  Wheel(const Wheel&) = delete;
  Wheel& operator=(const Wheel&) = delete;

  // Arms (or re-arms) `timer` to fire at `when` or later (never earlier). O(1), no allocation.
  // `when` in the past fires at the next tick. A timer armed in another wheel moves to this one.
  void Arm(Timer& timer, Instant when);
  void ArmAfter(Timer& timer, Duration delay) { Arm(timer, now_ + delay); }
  // Cancels if armed. O(1). Returns whether it was armed.
  bool Cancel(Timer& timer);

  // Fires, in expiry order of their slots, every timer due at or before `now`; each handler sees
  // the Instant of its own slot (not `now`), so a long jump in virtual time replays timers at the
  // times they were due. Handlers may arm and cancel any timer, including the one firing.
  // Returns the number of timers fired. Time never goes backwards: an earlier `now` is ignored.
  // Not re-entrant: a handler must not call Advance.
  size_t Advance(Instant now);

  // The Instant the earliest armed timer's slot comes due (>= its requested expiry, except for a
  // timer parked beyond ~12 days: then its parking slot), or nullopt when nothing is armed. A
  // driver may sleep until then. O(levels): one rotate and count-trailing-zeros per level.
  std::optional<Instant> next_expiry() const;

  // The wheel's current time: the last Advance target, or while firing, the firing slot's time.
  Instant now() const { return now_; }
  size_t armed_count() const { return armed_; }

 private:
  friend class Timer;  // ~Timer looks its wheel up by id
  static constexpr int kSentinels = kLevels * kSlots;

  static Wheel* FromId(uint64_t id);
  // Unlinks an armed timer from whichever list holds it; clears the slot's bit when it was the
  // slot's last timer. Does not touch armed_.
  void Unlink(Timer& timer);
  // Links an unarmed timer whose expires_ is set into the slot for its expiry (or parks it).
  void Enqueue(Timer& timer);
  // Earliest tick at which an occupied slot comes due; UINT64_MAX when none.
  uint64_t NextTick() const;
  // Fires every timer in the slots due at `tick`; returns how many fired.
  size_t Expire(uint64_t tick);

  // One sentinel per slot, level-major: heads_[level * 64 + slot].
  std::array<ListHead, kSentinels> heads_;
  // The timers of the slots being fired, detached from their slots (see Expire).
  ListHead expiring_;
  // Bit s of pending_[n] is set iff slot s of level n is non-empty (kept exact).
  std::array<uint64_t, kLevels> pending_{};
  // The last tick processed: every occupied bucket of level n lies in
  // (clk_ / g_n, clk_ / g_n + 64], so each slot holds exactly one bucket.
  uint64_t clk_ = 0;
  Instant now_;
  size_t armed_ = 0;
  uint64_t id_;  // in the registry, shifted into place for Timer::expires_
};

}  // namespace taptcp::timers
