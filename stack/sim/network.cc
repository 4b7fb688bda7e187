#include "stack/sim/network.h"

#include <algorithm>

namespace taptcp::sim {

Network::Network(uint64_t seed, Instant start) : now_(start), rng_(seed) {}
Network::~Network() = default;

SimLink& Network::Connect(Driveable* a, Driveable* b, const Impairments& imp) {
  return Connect(a, b, imp, imp);
}

SimLink& Network::Connect(Driveable* a, Driveable* b, const Impairments& ab,
                          const Impairments& ba) {
  links_.push_back(std::make_unique<SimLink>(this, a, b, ab, ba));
  if (a != nullptr) AddHost(a);
  if (b != nullptr) AddHost(b);
  return *links_.back();
}

void Network::AddHost(Driveable* host) {
  if (std::find(hosts_.begin(), hosts_.end(), host) == hosts_.end()) hosts_.push_back(host);
}

void Network::Deliver(Driveable* to, std::span<const uint8_t> frame, Instant at,
                      const wire::Offload& offload) {
  std::vector<uint8_t> bytes;
  if (!pool_.empty()) {
    bytes = std::move(pool_.back());
    pool_.pop_back();
  }
  bytes.assign(frame.begin(), frame.end());
  queue_.push_back(InFlight{std::max(at, now_), order_++, to, std::move(bytes), offload});
  std::push_heap(queue_.begin(), queue_.end(), std::greater<>());
}

std::optional<Instant> Network::NextEvent() const {
  std::optional<Instant> next;
  if (!queue_.empty()) next = queue_.front().at;
  for (const Driveable* h : hosts_) {
    std::optional<Instant> d = h->NextDeadline();
    if (d && (!next || *d < *next)) next = d;
  }
  return next;
}

// One event: the earliest frame arrival or host timer at or before `limit`. Frames win ties with
// timers only by being processed in the same step order every run (frames first), which keeps the
// simulation deterministic.
bool Network::Step(Instant limit) {
  std::optional<Instant> next = NextEvent();
  if (!next || *next > limit) return false;
  now_ = std::max(now_, *next);
  if (!queue_.empty() && queue_.front().at <= now_) {
    std::pop_heap(queue_.begin(), queue_.end(), std::greater<>());
    InFlight f = std::move(queue_.back());
    queue_.pop_back();
    if (f.to != nullptr && f.offload.any()) {
      f.to->InputOffloaded(f.bytes, f.offload, now_);
    } else if (f.to != nullptr) {
      f.to->Input(f.bytes, now_);
    }
    if (pool_.size() < 1024) pool_.push_back(std::move(f.bytes));
    return true;
  }
  for (Driveable* h : hosts_) {
    std::optional<Instant> d = h->NextDeadline();
    if (d && *d <= now_) h->Advance(now_);
  }
  return true;
}

uint64_t Network::RunUntil(Instant until) {
  uint64_t events = 0;
  while (Step(until)) ++events;
  now_ = std::max(now_, until);
  for (Driveable* h : hosts_) h->Advance(now_);
  return events;
}

bool Network::RunUntil(const std::function<bool()>& done, Instant limit) {
  if (done()) return true;
  while (Step(limit)) {
    if (done()) return true;
  }
  now_ = std::max(now_, limit);
  for (Driveable* h : hosts_) h->Advance(now_);
  return done();
}

}  // namespace taptcp::sim
