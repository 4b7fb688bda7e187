// The boundary between the sans-I/O core and the world (DESIGN.md): frames go out through a Link;
// frames and time come in through a Driveable. Drivers (the TAP loop, the simulator, the script
// runner, the fuzzer) own both ends.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "timers/time.h"

namespace taptcp {

// Where a stack's outbound Ethernet frames go: a TAP fd, an in-memory link, a capture, a probe.
// Transmit must not keep the span: the stack reuses its frame buffer right after the call.
class Link {
 public:
  virtual ~Link() = default;
  virtual void Transmit(std::span<const uint8_t> frame, Instant now) = 0;
};

// What a driver needs from anything it drives (a Stack, or a test peer).
class Driveable {
 public:
  virtual ~Driveable() = default;
  // One inbound Ethernet frame at `now`. Timers due by `now` fire first, so the frame sees the
  // state it would have seen in real time.
  virtual void Input(std::span<const uint8_t> frame, Instant now) = 0;
  // Fire every timer due by `now`.
  virtual void Advance(Instant now) = 0;
  // When the driver must call Advance next at the latest, or nullopt if nothing is pending.
  virtual std::optional<Instant> NextDeadline() const = 0;
};

// A Link that fans out to a primary link and an optional tap (for example a capture writer).
class TeeLink final : public Link {
 public:
  TeeLink(Link* primary, Link* copy) : primary_(primary), copy_(copy) {}
  void Transmit(std::span<const uint8_t> frame, Instant now) override {
    if (copy_ != nullptr) copy_->Transmit(frame, now);
    if (primary_ != nullptr) primary_->Transmit(frame, now);
  }

 private:
  Link* primary_;
  Link* copy_;
};

}  // namespace taptcp
