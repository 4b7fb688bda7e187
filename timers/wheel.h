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
// current one or it would share a slot with a bucket due sooner and fire early; when rounding up
// would cross that line (possible when clk is not a multiple of g_n) the timer goes one level up.
// Linux avoids the same wrap by starting each level at LVL_START(n) = 63 * g_(n-1) instead of
// 64 * g_(n-1) (kernel/time/timer.c, calc_wheel_index). Lateness past e is at most g_n - 1 ticks,
// and g_n <= 8d/63, so a timer fires at most 1 tick (ns -> ms round-up) + 12.7% (8/63) of its
// delay late; 12.5% (1/8) except in the level-up case. Nine levels reach about 12 days; a timer
// beyond that parks in the last level's farthest slot and is re-armed when that slot comes round,
// so it is still never early (next_expiry() may then report the parking slot, where nothing
// fires).
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
// Destroying an armed Timer cancels it. It holds no wheel pointer, so the destructor walks its slot
// list to the slot's sentinel (itself a Timer, marked in expires_, whose handler_ field points back
// at the wheel): O(timers in that slot), against O(1) for Wheel::Cancel, which owners should call
// on their normal path. In exchange the wheel's bitmap and armed_count() stay exact.
class Timer {
 public:
  explicit Timer(TimerHandler* handler = nullptr) : handler_(handler) {}
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  void set_handler(TimerHandler* handler) { handler_ = handler; }
  bool armed() const { return link_.next != nullptr; }
  // The requested expiry in ticks (ms), valid while armed.
  uint64_t expiry_tick() const { return expires_; }

 private:
  friend class Wheel;
  // expires_ of a list sentinel: this bit plus the sentinel's index (level * 64 + slot, or
  // Wheel::kBatchIndex for the list of timers being fired). Real expiries are below 2^44 ticks.
  static constexpr uint64_t kSentinelMark = uint64_t{1} << 63;
  bool is_sentinel() const { return (expires_ & kSentinelMark) != 0; }

  ListHead link_;
  uint64_t expires_ = 0;  // requested expiry, in ticks, rounded up from the Instant given to Arm
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
  // `when` in the past fires at the next tick.
  void Arm(Timer& timer, Instant when);
  void ArmAfter(Timer& timer, Duration delay) { Arm(timer, now_ + delay); }
  // Cancels if armed. O(1). Returns whether it was armed.
  bool Cancel(Timer& timer);

  // Fires, in expiry order of their slots, every timer due at or before `now`; each handler sees
  // the Instant of its own slot (not `now`), so a long jump in virtual time replays timers at the
  // times they were due. Handlers may arm and cancel any timer, including the one firing.
  // Returns the number of timers fired. Time never goes backwards: an earlier `now` is ignored.
  size_t Advance(Instant now);

  // The Instant the earliest armed timer's slot comes due (>= its requested expiry), or nullopt
  // when nothing is armed. A driver may sleep until then.
  std::optional<Instant> next_expiry() const;

  // The wheel's current time: the last Advance target, or while firing, the firing slot's time.
  Instant now() const { return now_; }
  size_t armed_count() const { return armed_; }

 private:
  static constexpr uint64_t kSentinels = kLevels * kSlots;
  static constexpr uint64_t kBatchIndex = kSentinels;  // see Timer::kSentinelMark

  // Unlinks an armed timer from whichever list holds it; clears the slot's bit when it was the
  // slot's last timer. Does not touch armed_.
  void Unlink(Timer& timer);
  // Links an unarmed timer with expires_ set into the slot for its expiry (or parks it).
  void Enqueue(Timer& timer);
  // Earliest tick at which an occupied slot comes due; UINT64_MAX when none.
  uint64_t NextTick() const;
  // Fires every timer in the slots due at `tick`; returns how many fired.
  size_t Expire(uint64_t tick);
  void InitSentinel(Timer& sentinel, uint64_t index);

  // One sentinel per slot, level-major: heads_[level * 64 + slot]. Timers rather than bare
  // ListHeads so a node can recognise its slot's head (see Timer's comment).
  std::array<Timer, kSentinels> heads_;
  // Bit s of pending_[n] is set iff slot s of level n is non-empty (kept exact).
  std::array<uint64_t, kLevels> pending_{};
  // The last tick processed: every occupied bucket of level n lies in
  // (clk_ / g_n, clk_ / g_n + 64], so each slot holds exactly one bucket.
  uint64_t clk_ = 0;
  Instant now_;
  size_t armed_ = 0;
};

}  // namespace taptcp::timers
