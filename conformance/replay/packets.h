// The frames a replay works with: a reference capture's, sorted into the peer's (played into
// taptcp) and the device under test's (compared), and taptcp's own; each with its TCP header
// decoded into the fields the comparison reads.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "conformance/replay/description.h"
#include "stack/wire/addresses.h"
#include "stack/wire/tcp.h"
#include "timers/time.h"

namespace taptcp::replay {

// The TCP fields of one segment.
struct TcpPacket {
  wire::Ipv4Address src, dst;
  uint16_t src_port = 0, dst_port = 0;
  uint8_t flags = 0;
  uint32_t seq = 0, ack = 0;
  uint16_t window = 0;  // as on the wire, unscaled
  uint32_t payload = 0;
  // Option kinds in wire order, without NOP and EOL (their padding is layout, not meaning).
  std::vector<uint8_t> option_kinds;
  wire::TcpOptions options;

  bool has(uint8_t flag) const { return (flags & flag) != 0; }
  // Sequence space the segment occupies (RFC 9293 §3.4).
  uint32_t seg_len() const {
    return payload + (has(wire::kSyn) ? 1 : 0) + (has(wire::kFin) ? 1 : 0);
  }
};

// Decodes an Ethernet/IPv4/TCP frame. nullopt for anything else; `problem` then says why when
// the frame was IPv4 TCP but malformed (empty for ARP and other protocols).
std::optional<TcpPacket> DecodeTcpFrame(std::span<const uint8_t> frame, bool verify_checksum,
                                        std::string* problem);

// Who sent a captured frame.
enum class Origin { kPeer, kDut, kOther };

struct Packet {
  int number = 0;  // 1-based frame number in its capture, as Wireshark counts
  Duration t{0};   // relative to the capture's first frame
  Origin origin = Origin::kOther;
  std::vector<uint8_t> frame;
  std::optional<TcpPacket> tcp;
  std::string problem;  // why tcp is nullopt for an IPv4 TCP frame
};

struct Capture {
  std::vector<Packet> packets;
  Instant first_wall_time{};  // the first frame's timestamp (time since 1970 for real captures)
};

// A replay is for test-sized captures; more frames than this is refused.
inline constexpr size_t kMaxCaptureFrames = 100000;

// A capture's frames with their timestamps (time since 1970 for real captures).
struct CaptureFrames {
  std::vector<std::pair<Duration, std::vector<uint8_t>>> frames;
  Instant first_wall_time{};
};

// Reads a capture (at most kMaxCaptureFrames frames, none truncated). Errors are one line naming
// the file.
absl::StatusOr<CaptureFrames> ReadCaptureFrames(const std::string& path);

// Sorts frames by sender: the DUT's (its MAC or IPv4 address as source), the peer's (likewise),
// others; times become relative to the first frame.
Capture ClassifyFrames(std::vector<std::pair<Duration, std::vector<uint8_t>>> frames,
                       const Description& d);

// tcpdump's flag letters: "S", "S.", "P.", "F.", "R", "R."...
std::string FlagsText(uint8_t flags);

}  // namespace taptcp::replay
