// `taptcp replay`: puts a taptcp Stack where the Linux kernel was in a reference capture and
// plays the capture's peer into it in virtual time, then compares what taptcp sent with what
// Linux sent (the tcpliveplay idea, without a network: the stack is sans-I/O).
//
// The stack gets the DUT's address, MAC and MTU and the description's sysctls; the peer's MAC is
// in its neighbour table from the start (the kernel had a permanent entry), and any ARP request
// for the peer is answered at once. Each peer frame is re-based (rebase.h) and handed to the stack
// at its recorded time; each application call of the description is made at its time through the
// socket API and its result compared with the kernel's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "conformance/replay/description.h"
#include "conformance/replay/packets.h"
#include "conformance/replay/report.h"

namespace taptcp::replay {

struct ReplayOptions {
  std::optional<int> tolerance_ms;   // overrides the description's
  std::string pcap_out;              // write what taptcp received and sent here
  std::vector<std::string> sysctls;  // NAME=VALUE, applied after the description's
  uint64_t seed = 1;                 // the stack's (ISNs, timestamp offsets): re-basing hides it
};

struct ReplayOutcome {
  Description description;
  std::vector<Row> rows;
  Summary summary;
  // What was not compared and why (non-TCP frames, frames after the end, a deviation that names
  // no DUT segment).
  std::vector<std::string> notes;
  bool passed() const { return summary.failures() == 0; }
};

// Replays `pcap_path` with the description beside it (DescriptionPathFor). Errors (unreadable or
// malformed inputs, a sysctl taptcp refuses) are one line naming the file.
absl::StatusOr<ReplayOutcome> ReplayCapture(const std::string& pcap_path, const ReplayOptions& o);

// The same for inputs already loaded.
absl::StatusOr<ReplayOutcome> Replay(const Description& d, const Capture& c,
                                     const ReplayOptions& o);

}  // namespace taptcp::replay
