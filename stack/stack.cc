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

// A frame that never crossed a wire: a super-segment goes up whole (GRO's result) and a partial
// checksum is trusted (link.h). A stack whose config turns offloads off sees it cut up instead, as
// Linux with GRO off would.
void Stack::InputOffloaded(std::span<const uint8_t> frame, const wire::Offload& offload,
                           Instant now) {
  if (offload.gso_size > 0 && !(config().offload_tso && config().offload_csum)) {
    Driveable::InputOffloaded(frame, offload, now);
    return;
  }
  ctx_.wheel.Advance(now);
  iface_.Input(frame, offload);
  tcp_.CollectGarbage();
}

void Stack::Advance(Instant now) {
  ctx_.wheel.Advance(now);
  tcp_.CollectGarbage();  // connections that timers closed (TIME_WAIT, timeouts) are freed now
}

std::optional<Instant> Stack::NextDeadline() const { return ctx_.wheel.next_expiry(); }

}  // namespace taptcp
