// Implementation notes for the timer wheel; the design and its lateness bound are in wheel.h.
//
// What is reproduced from Linux's kernel/time/timer.c, and how it differs:
//  - calc_wheel_index()/calc_index(): pick the level from the distance to the wheel clock and round
//    the expiry up to the level's granularity, so a timer is placed once and (almost) never
//    cascaded. Linux rounds with (expires >> shift) + 1 and starts level n at LVL_START(n) =
//    63 << 3(n-1) so that the rounded bucket can never wrap onto a slot due sooner, which makes its
//    worst-case lateness 8/63. We round with ceil (no extra tick when already aligned), test the
//    wrap exactly, and hold a would-wrap timer in the window's last bucket, from where it is
//    re-armed once: lateness stays within 1/8 of the delay.
//  - __next_timer_interrupt()/next_pending_bucket(): one occupancy bitmap per level; searching from
//    the slot after the level's current position and converting the first hit back to an absolute
//    tick gives the next expiry in a few instructions per level.
//  - __run_timers()/collect_expired_timers(): the wheel jumps from occupied bucket to occupied
//    bucket (Linux forwards base->clk to base->next_expiry when idle), so hours of virtual time
//    cost nothing per empty tick.
//  - expire_timers(): the due lists are detached before any handler runs, and the timer is marked
//    unarmed before its handler is called, so handlers can re-arm or cancel any timer.
//  - detach_if_pending(): a cancelled timer that was alone in its slot clears the slot's pending
//    bit. Linux reads the slot index from timer->flags; we have no room for it, but a sole node's
//    two neighbours are the same node, the slot's sentinel, whose address gives the index.
//  - timer->flags also names the timer's base (get_timer_base()). Our equivalent is the wheel id in
//    the top bits of expires_, so ~Timer cancels in O(1) without a wheel pointer.
//
// The pending bitmaps are kept exact (a bit is set iff its slot is non-empty): every unlink goes
// through Unlink(), including the destructor's, so no consumer has to tolerate stale bits and
// next_expiry() never reports an empty slot (except a parking slot, see wheel.h).
#include "timers/wheel.h"

#include <atomic>
#include <bit>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <mutex>
#include <type_traits>
#include <vector>

namespace taptcp::timers {
namespace {

constexpr int64_t kNsPerTick = std::chrono::nanoseconds(Wheel::kTick).count();
constexpr uint64_t kNoTick = std::numeric_limits<uint64_t>::max();
// Largest tick whose Instant is representable (about 292 years).
constexpr uint64_t kMaxTick = std::numeric_limits<int64_t>::max() / kNsPerTick;
// Every tick of the int64 nanosecond range fits below the wheel id in Timer::expires_.
static_assert(kMaxTick < (uint64_t{1} << 48));

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

// Live wheels by id, so that a Timer finds its wheel from 16 bits of expires_ (id 0 is never
// used). Ids are taken and returned under the mutex, at wheel construction and destruction only;
// lookups are lock-free. A timer is only destroyed where its wheel may be used, so the wheel's
// registration happens-before the lookup; the atomics keep unrelated registrations race-free.
class Registry {
 public:
  static constexpr uint64_t kCapacity = uint64_t{1} << (64 - 48);

  uint64_t Add(Wheel* wheel) {
    std::lock_guard<std::mutex> lock(mu_);
    uint64_t id;
    if (!free_.empty()) {
      id = free_.back();
      free_.pop_back();
    } else if (next_ < kCapacity) {
      id = next_++;
    } else {
      std::fprintf(stderr, "taptcp::timers::Wheel: more than %llu wheels alive at once\n",
                   static_cast<unsigned long long>(kCapacity - 1));
      std::abort();
    }
    wheels_[id].store(wheel, std::memory_order_release);
    return id;
  }

  void Remove(uint64_t id) {
    std::lock_guard<std::mutex> lock(mu_);
    wheels_[id].store(nullptr, std::memory_order_relaxed);
    free_.push_back(id);
  }

  Wheel* Get(uint64_t id) const { return wheels_[id].load(std::memory_order_acquire); }

 private:
  std::mutex mu_;
  std::vector<uint64_t> free_;
  uint64_t next_ = 1;
  // 512 KiB of bss, but only pages holding ids in use are touched: freed ids are reused first.
  std::atomic<Wheel*> wheels_[kCapacity] = {};
};

Registry& Wheels() {
  static Registry* registry = new Registry;  // never destroyed: timers may die after main
  return *registry;
}

}  // namespace

Timer::~Timer() {
  if (armed()) Wheel::FromId(expires_ >> kWheelIdShift)->Cancel(*this);
}

Wheel* Wheel::FromId(uint64_t id) { return Wheels().Get(id); }

Wheel::Wheel(Instant start)
    : clk_(TickFloor(start)), now_(start), id_(Wheels().Add(this) << Timer::kWheelIdShift) {
  for (ListHead& head : heads_) head.next = head.prev = &head;
  expiring_.next = expiring_.prev = &expiring_;
}

Wheel::~Wheel() {
  // Timers may outlive the wheel: leave them unarmed so their destructors do nothing.
  for (ListHead& head : heads_) {
    ListHead* p = head.next;
    while (p != &head) {
      ListHead* next = p->next;
      p->next = p->prev = nullptr;
      p = next;
    }
  }
  Wheels().Remove(id_ >> Timer::kWheelIdShift);
}

void Wheel::Unlink(Timer& timer) {
  ListHead* next = timer.link_.next;
  ListHead* prev = timer.link_.prev;
  // Sole element: both neighbours are the list's sentinel, whose index names the slot whose bit
  // must now be cleared; the node itself stores no slot number. A timer in the batch being fired
  // (expiring_) has no bit: Expire cleared it when it detached the slot.
  if (next == prev && next != &expiring_) {
    const ptrdiff_t index = next - heads_.data();
    pending_[index / kSlots] &= ~(uint64_t{1} << (index % kSlots));
  }
  prev->next = next;
  next->prev = prev;
  timer.link_.next = timer.link_.prev = nullptr;
}

void Wheel::Enqueue(Timer& timer) {
  // Never into the current or a past tick: those are processed; the next tick is the earliest.
  const uint64_t requested = timer.expires_ & Timer::kTickMask;
  const uint64_t e = requested > clk_ ? requested : clk_ + 1;
  const uint64_t d = e - clk_;
  // Smallest level whose 64 slots span d: d < 64 * 8^n, i.e. bit length of d <= 6 + 3n.
  const int bits = std::bit_width(d);
  int level = bits <= kSlotBits ? 0 : (bits - kSlotBits + kLevelShift - 1) / kLevelShift;
  uint64_t bucket = 0;
  if (level < kLevels) {
    bucket = (e + (uint64_t{1} << Shift(level)) - 1) >> Shift(level);
    // Rounding up may land one bucket past the level's window when clk_ is not aligned to the
    // level's granularity, sharing a slot with a bucket due sooner (the case LVL_START guards
    // against in Linux by moving such timers a level up, at the price of 8/63 = 12.7% lateness).
    // We keep the timer on its level in the window's last bucket instead: it comes due less than
    // g_n before e, Expire() finds it early and re-arms it on a finer level, and the 1/8 bound
    // holds. The price is one early wake-up for a driver sleeping on next_expiry().
    const uint64_t last = (clk_ >> Shift(level)) + kSlots;
    if (bucket > last) bucket = last;
  }
  if (level >= kLevels) {
    // Beyond ~12 days: park in the last level's farthest bucket, which is due before e; Expire()
    // re-arms it from there instead of firing it.
    level = kLevels - 1;
    bucket = (clk_ >> Shift(level)) + kSlots;
  }
  const int slot = static_cast<int>(bucket & (kSlots - 1));
  ListHead& head = heads_[level * kSlots + slot];
  timer.link_.next = &head;
  timer.link_.prev = head.prev;
  head.prev->next = &timer.link_;
  head.prev = &timer.link_;
  pending_[level] |= uint64_t{1} << slot;
}

void Wheel::Arm(Timer& timer, Instant when) {
  if (!timer.armed()) {
    ++armed_;
  } else if ((timer.expires_ & ~Timer::kTickMask) == id_) {
    Unlink(timer);
  } else {
    FromId(timer.expires_ >> Timer::kWheelIdShift)->Cancel(timer);  // moving between wheels
    ++armed_;
  }
  timer.expires_ = id_ | TickCeil(when);
  Enqueue(timer);
}

bool Wheel::Cancel(Timer& timer) {
  if (!timer.armed()) return false;
  if ((timer.expires_ & ~Timer::kTickMask) != id_) {
    return FromId(timer.expires_ >> Timer::kWheelIdShift)->Cancel(timer);  // not ours
  }
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
  // Detach every due list onto expiring_ first, clearing the bits, so that handlers arming timers
  // (which go to tick + 1 or later) or cancelling them never see a half-processed slot.
  // Higher levels first: their timers were requested before this tick, level 0's exactly at it,
  // so the batch is roughly in requested-expiry order.
  int top = 0;
  while (top + 1 < kLevels && (tick & ((uint64_t{1} << Shift(top + 1)) - 1)) == 0) ++top;
  for (int level = top; level >= 0; --level) {
    const int slot = static_cast<int>((tick >> Shift(level)) & (kSlots - 1));
    const uint64_t bit = uint64_t{1} << slot;
    if ((pending_[level] & bit) == 0) continue;
    // By the invariant on clk_, this slot holds exactly bucket tick >> shift, which is due now.
    SpliceTail(heads_[level * kSlots + slot], expiring_);
    pending_[level] &= ~bit;
  }
  size_t fired = 0;
  // One node at a time: a handler may cancel, re-arm or destroy any other timer still in the
  // batch, which unlinks it from expiring_ (and Unlink leaves the bits alone for those).
  while (expiring_.next != &expiring_) {
    Timer& timer = *FromLink(expiring_.next);
    expiring_.next = timer.link_.next;
    timer.link_.next->prev = &expiring_;
    // Timers of one slot are scattered in memory (each lives in its owner): start loading the next
    // one while this one's handler runs.
    __builtin_prefetch(expiring_.next);
    timer.link_.next = timer.link_.prev = nullptr;
    // A timer parked beyond the last level, or one held in a level's last bucket because its
    // rounded bucket would have wrapped (see Enqueue), is collected before its tick: it is
    // re-armed from here and stays armed. The check makes firing early impossible by construction.
    if ((timer.expires_ & Timer::kTickMask) > tick) {
      Enqueue(timer);
      continue;
    }
    --armed_;
    ++fired;
    if (timer.handler_ != nullptr) timer.handler_->OnTimer(timer, now_);
  }
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
