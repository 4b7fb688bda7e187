// What every layer of one stack instance shares: its timer wheel (the only source of "now"), its
// knobs, its counters and its trace sink. One per Stack; passed by reference, never global, so many
// stacks can run side by side in one process (simulations, fuzzing).
#pragma once

#include <cstdint>
#include <span>

#include "stack/mib.h"
#include "stack/sysctl.h"
#include "stack/trace.h"
#include "stack/wire/addresses.h"
#include "stack/wire/drop_reason.h"
#include "timers/wheel.h"

namespace taptcp::net {

// Zero-copy receive (Interface::InputBuffer): a receiver that can have the text of the next
// in-order segment read straight to where it keeps it, like a driver reading into a socket's
// memory. A TCP connection offers itself after it took in-order data (NetContext::TookInOrder)
// and withdraws when it goes away (Forget). Plain function pointers rather than a virtual base:
// a second vtable pointer in every connection would cost memory issue 3 counts.
struct InPlaceReceiver {
  void* owner = nullptr;
  // Writable memory for the next in-order text with `headroom` bytes in front of it (for the
  // frame's headers), or empty when the receiver cannot take text in place now.
  std::span<uint8_t> (*room)(void* owner, size_t headroom) = nullptr;
  // Whether a segment `remote` -> `local` with sequence number `seq` is that next in-order text.
  bool (*expects)(const void* owner, wire::Ipv4Address local, uint16_t local_port,
                  wire::Ipv4Address remote, uint16_t remote_port, uint32_t seq) = nullptr;
};

struct NetContext {
  explicit NetContext(Instant start) : wheel(start) {}

  timers::Wheel wheel;
  Sysctl sysctl;
  Mib mib;
  TraceSink* trace = nullptr;
  // Zero-copy receive: the receiver that took the last in-order data, and how many segments in a
  // row it took. Only a stream (kInPlaceRun in a row) is worth reading in place: with connections
  // taking turns, a frame read into one's memory is often another's and must be copied out again.
  static constexpr uint8_t kInPlaceRun = 3;
  InPlaceReceiver in_place;
  uint8_t in_place_run = 0;

  // A receiver took in-order data (Linux's early demux guesses the same way: the flow that was
  // just here comes again).
  void TookInOrder(const InPlaceReceiver& r) {
    if (in_place.owner != r.owner) in_place_run = 0;
    if (in_place_run < kInPlaceRun) ++in_place_run;
    in_place = r;
  }
  bool InPlaceStream() const { return in_place.owner != nullptr && in_place_run >= kInPlaceRun; }
  // A receiver goes away.
  void Forget(const void* owner) {
    if (in_place.owner == owner) {
      in_place = {};
      in_place_run = 0;
    }
  }

  Instant now() const { return wheel.now(); }

  void Emit(TraceKind kind, std::string_view what, wire::Ipv4Address remote = {},
            std::string_view detail = {}) {
    if (trace == nullptr) return;
    TraceEvent e;
    e.time = now();
    e.kind = kind;
    e.what = what;
    e.detail = detail;
    e.remote_ip = remote;
    trace->OnEvent(e);
  }

  // A frame is dropped: counted under its reason and, when tracing, shown.
  void Drop(wire::DropReason reason, wire::Ipv4Address remote = {}) {
    mib.CountDrop(reason);
    Emit(TraceKind::kDrop, wire::DropReasonName(reason), remote);
  }
};

}  // namespace taptcp::net
