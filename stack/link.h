// The boundary between the sans-I/O core and the world (DESIGN.md): frames go out through a Link;
// frames and time come in through a Driveable. Drivers (the TAP loop, the simulator, the script
// runner, the fuzzer) own both ends.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "stack/wire/offload.h"
#include "timers/time.h"

namespace taptcp {

// Where a stack's outbound Ethernet frames go: a TAP fd, an in-memory link, a capture, a probe.
// Transmit must not keep the span: the stack reuses its frame buffer right after the call.
class Link {
 public:
  virtual ~Link() = default;
  virtual void Transmit(std::span<const uint8_t> frame, Instant now) = 0;
  // A frame with work left for the device (a TSO super-segment, a partial checksum). The stack
  // sends these only when offloads() promises them; the default finishes the work in software and
  // transmits ordinary frames, so a capture or a plain wire always sees what a real wire would.
  virtual void TransmitOffloaded(std::span<const uint8_t> frame, const wire::Offload& offload,
                                 Instant now);
  // What this link takes (ethtool -k). None by default.
  virtual wire::LinkOffloads offloads() const { return {}; }
};

// What a driver needs from anything it drives (a Stack, or a test peer).
class Driveable {
 public:
  virtual ~Driveable() = default;
  // One inbound Ethernet frame at `now`. Timers due by `now` fire first, so the frame sees the
  // state it would have seen in real time.
  virtual void Input(std::span<const uint8_t> frame, Instant now) = 0;
  // A frame that never crossed a wire (veth, loopback, TAP with a virtio header): possibly a
  // super-segment (as after GRO) with a partial checksum. The default cuts it into ordinary frames.
  virtual void InputOffloaded(std::span<const uint8_t> frame, const wire::Offload& offload,
                              Instant now);
  // Zero-copy receive, for drivers that choose where they read a frame (the TAP loop): memory to
  // read the next frame into, behind `prefix` bytes of the driver's own header, where its payload
  // may already be where the receiver keeps it (for a stack, net::Interface::InputBuffer says
  // where; apps::TapHost passes it on). Empty (the default) for "read it anywhere".
  virtual std::span<uint8_t> InputBuffer(size_t /*prefix*/) { return {}; }
  // Whether `frame`, just read into InputBuffer's memory, may be input from there; if not, the
  // driver copies it to its own memory first.
  virtual bool InputInPlace(std::span<const uint8_t> /*frame*/, const wire::Offload& /*offload*/) {
    return false;
  }
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
  void TransmitOffloaded(std::span<const uint8_t> frame, const wire::Offload& offload,
                         Instant now) override {
    if (copy_ != nullptr) copy_->TransmitOffloaded(frame, offload, now);
    if (primary_ != nullptr) primary_->TransmitOffloaded(frame, offload, now);
  }
  wire::LinkOffloads offloads() const override {
    return primary_ != nullptr ? primary_->offloads() : wire::LinkOffloads{};
  }

 private:
  Link* primary_;
  Link* copy_;
};

}  // namespace taptcp
