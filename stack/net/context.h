// What every layer of one stack instance shares: its timer wheel (the only source of "now"), its
// knobs, its counters and its trace sink. One per Stack; passed by reference, never global, so many
// stacks can run side by side in one process (simulations, fuzzing).
#pragma once

#include "stack/mib.h"
#include "stack/sysctl.h"
#include "stack/trace.h"
#include "stack/wire/drop_reason.h"
#include "timers/wheel.h"

namespace taptcp::net {

struct NetContext {
  explicit NetContext(Instant start) : wheel(start) {}

  timers::Wheel wheel;
  Sysctl sysctl;
  Mib mib;
  TraceSink* trace = nullptr;

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
