// The simulator's driver: a virtual clock, an event queue of frames in flight, and the hosts it
// drives. Run* jumps straight to the next event (a frame arriving or a host's timer), so an hour of
// virtual time with nothing happening costs nothing, and two runs with the same seed are identical
// to the byte and the nanosecond.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <vector>

#include "stack/link.h"
#include "stack/sim/sim_link.h"
#include "timers/time.h"

namespace taptcp::sim {

class Network {
 public:
  explicit Network(uint64_t seed, Instant start = kEpoch);
  ~Network();

  // A wire between hosts a and b (either may be null and attached later with SimLink::Attach).
  // The returned link lives as long as the Network.
  SimLink& Connect(Driveable* a, Driveable* b, const Impairments& imp = {});
  SimLink& Connect(Driveable* a, Driveable* b, const Impairments& ab, const Impairments& ba);
  // Hosts whose timers the driver must run (hosts attached by Connect are added automatically).
  void AddHost(Driveable* host);

  // Puts a frame on the event queue for `to` at `at` (tests inject crafted frames this way).
  // With `offload`, the receiver gets it through InputOffloaded (a super-segment, say).
  void Deliver(Driveable* to, std::span<const uint8_t> frame, Instant at,
               const wire::Offload& offload = {});

  Instant now() const { return now_; }
  std::mt19937_64& rng() { return rng_; }

  // Processes events until nothing is due before `until`; the clock then stands at `until`.
  // Returns the number of events processed.
  uint64_t RunUntil(Instant until);
  uint64_t RunFor(Duration d) { return RunUntil(now_ + d); }
  // Runs until `done()` holds (checked after every event) or `limit` passes; returns done().
  bool RunUntil(const std::function<bool()>& done, Instant limit);
  // The next event's time, if any.
  std::optional<Instant> NextEvent() const;
  size_t frames_in_flight() const { return queue_.size(); }

 private:
  struct InFlight {
    Instant at;
    uint64_t order;  // ties broken by insertion order: deterministic
    Driveable* to;
    std::vector<uint8_t> bytes;
    wire::Offload offload;
    bool operator>(const InFlight& o) const { return at != o.at ? at > o.at : order > o.order; }
  };
  bool Step(Instant limit);

  Instant now_;
  std::mt19937_64 rng_;
  uint64_t order_ = 0;
  std::vector<InFlight> queue_;  // a min-heap on (at, order), kept with std::push_heap/pop_heap
  std::vector<std::unique_ptr<SimLink>> links_;
  std::vector<Driveable*> hosts_;
  std::vector<std::vector<uint8_t>> pool_;  // recycled frame buffers: no allocation per frame
};

}  // namespace taptcp::sim
