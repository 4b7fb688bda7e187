// The event stream a student or researcher watches: state changes, timer firings, drops with their
// reason, neighbour (ARP) changes. The core only builds events; a driver decides where they go
// (JSON lines on stdout for `--trace`, a test's vector, nowhere). With no sink set, tracing costs a
// pointer test.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "stack/wire/addresses.h"
#include "timers/time.h"

namespace taptcp {

enum class TraceKind : uint8_t {
  kDrop,   // an inbound frame was dropped; `what` is the DropReason name
  kArp,    // a neighbour entry changed; `what` is the new state
  kTimer,  // a timer fired; `what` names it ("arp_retransmit", "rto", "timewait")
  kState,  // a connection changed state; `what` is the new state, `detail` the old one
  kIcmp,   // an ICMP message handled; `what` says which
  // A listener's decision on a SYN or final ACK, or its request timer: `what` is one of
  // request, cookie, syn_dropped, ack_dropped, cookie_ok, cookie_failed, synack_retransmit,
  // request_expired; `detail` is the reason (the counter that moved).
  kListen,
};

std::string_view TraceKindName(TraceKind kind);

struct TraceEvent {
  Instant time;
  TraceKind kind = TraceKind::kDrop;
  std::string_view what;
  std::string_view detail;  // optional
  // The addresses involved, where there are any (0 when not).
  wire::Ipv4Address local_ip;
  uint16_t local_port = 0;
  wire::Ipv4Address remote_ip;
  uint16_t remote_port = 0;
};

// One JSON object per line, keys in a fixed order so traces diff cleanly:
// {"t":1.234567,"kind":"drop","what":"ip_bad_checksum","remote":"192.0.2.1"}
std::string FormatTraceJson(const TraceEvent& event);

class TraceSink {
 public:
  virtual ~TraceSink() = default;
  virtual void OnEvent(const TraceEvent& event) = 0;
};

}  // namespace taptcp
