// An in-memory Ethernet wire between two hosts, with seeded impairments: loss, delay, jitter,
// reordering, duplication, corruption, a bandwidth and a drop-tail queue. Frames are scheduled on
// the Network's event queue; nothing here knows what the frames contain.
#pragma once

#include <array>
#include <cstdint>
#include <span>

#include "stack/link.h"
#include "timers/time.h"

namespace taptcp::sim {

class Network;

struct Impairments {
  Duration delay = milliseconds(1);  // one-way propagation delay
  Duration jitter{};                 // extra delay, uniform in [0, jitter]; may reorder frames
  double loss = 0;                   // probability a frame vanishes
  double duplicate = 0;              // probability a frame is delivered twice
  double corrupt = 0;                // probability one random bit of the frame is flipped
  double reorder = 0;                // probability a frame is held back by reorder_delay
  Duration reorder_delay = milliseconds(5);
  uint64_t bandwidth_bps = 0;    // 0: infinite (no serialisation delay)
  size_t queue_limit_bytes = 0;  // with a bandwidth: drop-tail queue size; 0: unbounded
};

struct LinkStats {
  uint64_t sent = 0;       // frames handed to the link by the sender
  uint64_t delivered = 0;  // frames handed to the receiver (duplicates included)
  uint64_t lost = 0;
  uint64_t duplicated = 0;
  uint64_t corrupted = 0;
  uint64_t reordered = 0;
  uint64_t queue_drops = 0;
};

// A full-duplex point-to-point wire. end(0) is the Link host 0 transmits into, and so on.
class SimLink {
 public:
  class End final : public Link {
   public:
    void Transmit(std::span<const uint8_t> frame, Instant now) override;
    void TransmitOffloaded(std::span<const uint8_t> frame, const wire::Offload& offload,
                           Instant now) override;
    wire::LinkOffloads offloads() const override { return link_->offloads_; }

   private:
    friend class SimLink;
    SimLink* link_ = nullptr;
    int side_ = 0;
  };

  SimLink(Network* net, Driveable* a, Driveable* b, const Impairments& ab, const Impairments& ba);
  SimLink(const SimLink&) = delete;
  SimLink& operator=(const SimLink&) = delete;

  Link* end(int side) { return &ends_[side]; }
  void Attach(int side, Driveable* host) { hosts_[side] = host; }
  // Every frame either side transmits is also given to `tap` as it enters the wire (a capture).
  void set_tap(Link* tap) { tap_ = tap; }
  Impairments& impairments(int from_side) { return imp_[from_side]; }
  // What both ends offer the stacks (ethtool -K; none by default, so tests see every segment).
  // A super-segment crosses a wire without impairments whole, as over veth (the receiver gets it
  // as GRO would hand it up); any loss, jitter, reordering, duplication, corruption or bandwidth
  // cuts it into ordinary frames first, so every impairment acts per wire frame.
  void set_offloads(const wire::LinkOffloads& o) { offloads_ = o; }
  const LinkStats& stats(int from_side) const { return stats_[from_side]; }

 private:
  void Send(int from, std::span<const uint8_t> frame, Instant now);
  bool Perfect(int from) const;

  Network* net_;
  std::array<End, 2> ends_;
  std::array<Driveable*, 2> hosts_;
  std::array<Impairments, 2> imp_;
  std::array<LinkStats, 2> stats_;
  std::array<Instant, 2> busy_until_{};  // when the sender's serialiser frees up
  Link* tap_ = nullptr;
  wire::LinkOffloads offloads_;
};

}  // namespace taptcp::sim
