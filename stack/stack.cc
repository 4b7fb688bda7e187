#include "stack/stack.h"

namespace taptcp {

Stack::Stack(const StackConfig& config, Link* link, Instant start, uint64_t seed)
    : ctx_(start),
      iface_(ctx_, config, link),
      ipv4_(ctx_, iface_),
      icmp_(ctx_, ipv4_),
      tcp_(ctx_, ipv4_, seed),
      sockets_(tcp_) {}

Stack::~Stack() = default;

void Stack::Input(std::span<const uint8_t> frame, Instant now) {
  // Timers due before this frame fire first, so it meets the state it would meet in real time.
  ctx_.wheel.Advance(now);
  iface_.Input(frame);
  tcp_.CollectGarbage();
}

void Stack::Advance(Instant now) {
  ctx_.wheel.Advance(now);
  tcp_.CollectGarbage();  // connections that timers closed (TIME_WAIT, timeouts) are freed now
}

std::optional<Instant> Stack::NextDeadline() const { return ctx_.wheel.next_expiry(); }

}  // namespace taptcp
