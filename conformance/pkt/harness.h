// The world a script runs in: one taptcp Stack, its clock, and the scripted peer's end of the
// wire, all in memory and in virtual time (DESIGN.md: the script runner is a driver of the
// sans-I/O core). The peer answers the stack's ARP requests itself, at once, so scripts never
// mention ARP; every TCP/IPv4 frame the stack sends is queued, with its time, for the runner's
// `>` lines. A capture Link, if given, sees every frame in both directions.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "conformance/pkt/config.h"
#include "stack/link.h"
#include "stack/stack.h"

namespace taptcp::pkt {

inline const wire::MacAddress kStackMac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x01}};
inline const wire::MacAddress kPeerMac{{0x02, 0x00, 0x00, 0x00, 0x00, 0x02}};

struct SentFrame {
  Instant at;
  std::vector<uint8_t> bytes;
};

class Harness final : private Link {
 public:
  // `on_step` runs after every stack event (a timer or a frame in): the runner checks a blocked
  // system call there, so its return time is exact.
  Harness(const Config& config, Link* capture, std::function<void()> on_step);
  ~Harness() override;

  Stack& stack() { return *stack_; }
  Instant now() const { return now_; }

  // Fires the stack's timers in order up to `t`, then stands at `t` (never moves back).
  void AdvanceTo(Instant t);
  // Fires the stack's next timer if it is due by `limit`; false when none is.
  bool Step(Instant limit);
  // Hands the stack a frame from the peer now.
  void Inject(std::span<const uint8_t> frame);
  // Answers the ARP requests the stack sent since (after a socket call, say); each answer is a
  // stack event, so `on_step` runs after it.
  void Settle();
  // TCP/IPv4 frames the stack sent, oldest first; the runner takes them from the front.
  std::deque<SentFrame>& outbound() { return outbound_; }

 private:
  // Link: the stack's frames.
  void Transmit(std::span<const uint8_t> frame, Instant now) override;

  Config config_;
  Link* capture_;
  std::function<void()> on_step_;
  Instant now_ = kEpoch;
  std::unique_ptr<Stack> stack_;
  std::deque<SentFrame> outbound_;
  std::vector<std::vector<uint8_t>> arp_replies_;  // answered after the stack's call returns
  int stalled_steps_ = 0;
};

// The interface prefix that puts both addresses on one link (at most /24), so the stack reaches
// the peer without a gateway whatever addresses a script picks.
int OnLinkPrefix(wire::Ipv4Address a, wire::Ipv4Address b);

}  // namespace taptcp::pkt
