// Implementation notes for the timer wheel; the design and its lateness bound are in wheel.h.
//
// What is reproduced from Linux's kernel/time/timer.c, and how it differs:
//  - calc_wheel_index()/calc_index(): pick the level from the distance to the wheel clock and round
//    the expiry up to the level's granularity, so a timer is placed once and never cascaded. Linux
//    rounds with (expires >> shift) + 1 and starts level n at LVL_START(n) = 63 << 3(n-1) so that
//    the rounded bucket can never wrap onto a slot due sooner. We round with ceil (no extra tick
//    when already aligned) and test the wrap condition exactly instead of with a fixed threshold,
//    which keeps more timers on the finer level; the guarantee is the same.
//  - __next_timer_interrupt()/next_pending_bucket(): one occupancy bitmap per level; searching from
//    the slot after the level's current position and converting the first hit back to an absolute
//    tick gives the next expiry in a few instructions per level.
//  - __run_timers()/collect_expired_timers(): the wheel jumps from occupied bucket to occupied
//    bucket (Linux forwards base->clk to base->next_expiry when idle), so hours of virtual time
//    cost nothing per empty tick.
//  - expire_timers(): the due lists are detached before any handler runs, and the timer is marked
//    unarmed before its handler is called, so handlers can re-arm or cancel any timer.
#include "timers/wheel.h"

#include <bit>
#include <cassert>
#include <limits>
#include <type_traits>

namespace taptcp::timers {
namespace {

constexpr int64_t kNsPerTick = std::chrono::nanoseconds(Wheel::kTick).count();
constexpr uint64_t kNoTick = std::numeric_limits<uint64_t>::max();
// Largest tick whose Instant is representable (about 292 years).
constexpr uint64_t kMaxTick = std::numeric_limits<int64_t>::max() / kNsPerTick;

// The lists hold ListHead pointers to Timer::link_; link_ is the first member of a standard-layout
// class, so the two addresses are interconvertible (C++ [basic.compound]).
static_assert(std::is_standard_layout_v<Timer>);

Timer* FromLink(ListHead* link) { return reinterpret_cast<Timer*>(link); }

constexpr int Shift(int level) { return level * Wheel::kLevelShift; }

// Rounds up: a timer may fire late but never early. Instants before the epoch count as tick 0.
uint64_t TickCeil(Instant t) {
  const int64_t ns = t.time_since_epoch().count();
  if (ns <= 0) return 0;
  return (static_cast<uint64_t>(ns) + (kNsPerTick - 1)) / kNsPerTick;
}

uint64_t TickFloor(Instant t) {
  const int64_t ns = t.time_since_epoch().count();
  if (ns <= 0) return 0;
  return static_cast<uint64_t>(ns) / kNsPerTick;
}

Instant TickToInstant(uint64_t tick) {
  if (tick > kMaxTick) return Instant::max();
  return kEpoch + Duration(static_cast<int64_t>(tick) * kNsPerTick);
}

// Moves every node of the list headed by `from` to the tail of the list headed by `to`; O(1).
void SpliceTail(ListHead& from, ListHead& to) {
  if (from.next == &from) return;
  ListHead* first = from.next;
  ListHead* last = from.prev;
  first->prev = to.prev;
  to.prev->next = first;
  last->next = &to;
  to.prev = last;
  from.next = from.prev = &from;
}

}  // namespace

Timer::~Timer() {
  if (!armed() || is_sentinel()) return;
  // No wheel pointer in the node: find the list's sentinel, which knows its wheel. This is the only
  // non-O(1) path; Wheel::Cancel before destruction avoids it.
  ListHead* p = link_.next;
  while (!FromLink(p)->is_sentinel()) p = p->next;
  reinterpret_cast<Wheel*>(FromLink(p)->handler_)->Cancel(*this);
}

void Wheel::InitSentinel(Timer& sentinel, uint64_t index) {
  sentinel.link_.next = sentinel.link_.prev = &sentinel.link_;
  sentinel.expires_ = Timer::kSentinelMark | index;
  // Round-trips through TimerHandler* ([expr.reinterpret.cast]); never called through.
  sentinel.handler_ = reinterpret_cast<TimerHandler*>(this);
}

Wheel::Wheel(Instant start) : clk_(TickFloor(start)), now_(start) {
  for (uint64_t i = 0; i < kSentinels; ++i) InitSentinel(heads_[i], i);
}

Wheel::~Wheel() {
  // Timers may outlive the wheel: leave them unarmed so their destructors do nothing, and the
  // sentinels unlinked so theirs do nothing either.
  for (Timer& head : heads_) {
    ListHead* p = head.link_.next;
    while (p != &head.link_) {
      ListHead* next = p->next;
      p->next = p->prev = nullptr;
      p = next;
    }
    head.link_.next = head.link_.prev = nullptr;
  }
}

void Wheel::Unlink(Timer& timer) {
  ListHead* next = timer.link_.next;
  ListHead* prev = timer.link_.prev;
  // Sole element: both neighbours are the list's sentinel, whose index names the slot whose bit
  // must now be cleared; the node itself stores no slot number (Timer is 32 bytes). A timer in the
  // batch being fired has the batch sentinel as neighbour and no bit to clear.
  if (next == prev) {
    const uint64_t index = FromLink(next)->expires_ & ~Timer::kSentinelMark;
    if (index < kSentinels) {
      pending_[index / kSlots] &= ~(uint64_t{1} << (index % kSlots));
    }
  }
  prev->next = next;
  next->prev = prev;
  timer.link_.next = timer.link_.prev = nullptr;
}

void Wheel::Enqueue(Timer& timer) {
  // Never into the current or a past tick: those are processed; the next tick is the earliest.
  const uint64_t e = timer.expires_ > clk_ ? timer.expires_ : clk_ + 1;
  const uint64_t d = e - clk_;
  // Smallest level whose 64 slots span d: d < 64 * 8^n, i.e. bit length of d <= 6 + 3n.
  const int bits = std::bit_width(d);
  int level = bits <= kSlotBits ? 0 : (bits - kSlotBits + kLevelShift - 1) / kLevelShift;
  uint64_t bucket = 0;
  if (level < kLevels) {
    bucket = (e + (uint64_t{1} << Shift(level)) - 1) >> Shift(level);
    // Rounding up may land one bucket past the level's window when clk_ is not aligned to the
    // level's granularity (the case LVL_START guards against in Linux); the next level up always
    // fits, since d < 64 * g_n <= 63 * g_(n+1).
    if (bucket > (clk_ >> Shift(level)) + kSlots) {
      ++level;
      if (level < kLevels) bucket = (e + (uint64_t{1} << Shift(level)) - 1) >> Shift(level);
    }
  }
  if (level >= kLevels) {
    // Beyond ~12 days: park in the last level's farthest bucket, which is due before e; Expire()
    // re-arms it from there instead of firing it.
    level = kLevels - 1;
    bucket = (clk_ >> Shift(level)) + kSlots;
  }
  const int slot = static_cast<int>(bucket & (kSlots - 1));
  Timer& head = heads_[level * kSlots + slot];
  timer.link_.next = &head.link_;
  timer.link_.prev = head.link_.prev;
  head.link_.prev->next = &timer.link_;
  head.link_.prev = &timer.link_;
  pending_[level] |= uint64_t{1} << slot;
}

void Wheel::Arm(Timer& timer, Instant when) {
  if (timer.armed()) {
    Unlink(timer);
  } else {
    ++armed_;
  }
  timer.expires_ = TickCeil(when);
  Enqueue(timer);
}

bool Wheel::Cancel(Timer& timer) {
  if (!timer.armed()) return false;
  Unlink(timer);
  --armed_;
  return true;
}

uint64_t Wheel::NextTick() const {
  uint64_t best = kNoTick;
  for (int level = 0; level < kLevels; ++level) {
    const uint64_t map = pending_[level];
    if (map == 0) continue;
    // Buckets of this level lie in (clk_ >> shift, (clk_ >> shift) + 64]; start the search at the
    // first of them, so the first set bit after rotation is the earliest bucket.
    const uint64_t first = (clk_ >> Shift(level)) + 1;
    const int start = static_cast<int>(first & (kSlots - 1));
    const uint64_t bucket = first + std::countr_zero(std::rotr(map, start));
    const uint64_t tick = bucket << Shift(level);
    if (tick < best) best = tick;
  }
  return best;
}

std::optional<Instant> Wheel::next_expiry() const {
  const uint64_t tick = NextTick();
  if (tick == kNoTick) return std::nullopt;
  return TickToInstant(tick);
}

size_t Wheel::Expire(uint64_t tick) {
  // Detach every due list onto a local batch first, clearing the bits, so that handlers arming
  // timers (which go to tick + 1 or later) or cancelling them never see a half-processed slot.
  // Higher levels first: their timers were requested earlier than this tick, level 0's exactly at
  // it, so the batch is roughly in requested-expiry order.
  Timer batch;
  InitSentinel(batch, kBatchIndex);
  int top = 0;
  while (top + 1 < kLevels && (tick & ((uint64_t{1} << Shift(top + 1)) - 1)) == 0) ++top;
  for (int level = top; level >= 0; --level) {
    const int slot = static_cast<int>((tick >> Shift(level)) & (kSlots - 1));
    const uint64_t bit = uint64_t{1} << slot;
    if ((pending_[level] & bit) == 0) continue;
    // By the invariant on clk_, this slot holds exactly bucket tick >> shift, which is due now.
    SpliceTail(heads_[level * kSlots + slot].link_, batch.link_);
    pending_[level] &= ~bit;
  }
  size_t fired = 0;
  // One node at a time: a handler may cancel, re-arm or destroy any other timer still in the
  // batch; that unlinks it from the batch (Unlink sees the batch sentinel and leaves bits alone).
  while (batch.link_.next != &batch.link_) {
    Timer& timer = *FromLink(batch.link_.next);
    batch.link_.next = timer.link_.next;
    timer.link_.next->prev = &batch.link_;
    timer.link_.next = timer.link_.prev = nullptr;
    if (timer.expires_ > tick) {
      Enqueue(timer);  // was parked beyond the last level: not due yet, still armed
      continue;
    }
    --armed_;
    ++fired;
    if (timer.handler_ != nullptr) timer.handler_->OnTimer(timer, now_);
  }
  batch.link_.next = batch.link_.prev = nullptr;
  return fired;
}

size_t Wheel::Advance(Instant now) {
  if (now <= now_) return 0;  // time never goes backwards
  const uint64_t target = TickFloor(now);
  size_t fired = 0;
  if (target > clk_) {
    // Jump from occupied bucket to occupied bucket, never tick by tick.
    for (uint64_t tick = NextTick(); tick <= target; tick = NextTick()) {
      clk_ = tick;
      now_ = TickToInstant(tick);
      fired += Expire(tick);
    }
    clk_ = target;
  }
  now_ = now;
  return fired;
}

}  // namespace taptcp::timers
