// Comparing what taptcp sent with what Linux sent: each DUT segment made relative to the ISNs
// (so the two stacks' random ISNs and timestamp offsets drop out), field by field differences,
// and the pairing of Linux's segments with taptcp's.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "conformance/replay/description.h"
#include "conformance/replay/packets.h"
#include "conformance/replay/rebase.h"

namespace taptcp::replay {

// A segment as the comparison sees it.
struct RelPacket {
  Duration t{0};
  ConnKey conn;
  uint8_t flags = 0;
  uint32_t seq = 0;  // relative to the sender's ISN when it is known
  bool seq_relative = false;
  uint32_t ack = 0;  // relative to the other side's ISN when it is known
  bool ack_relative = false;
  uint32_t payload = 0;
  uint16_t window = 0;
  std::vector<uint8_t> option_kinds;
  std::optional<uint16_t> mss;
  std::optional<uint8_t> wscale;
  std::vector<std::pair<uint32_t, uint32_t>> sack;  // relative like ack
  std::optional<uint32_t> ts_val;                   // shown for the peer, never compared
  std::optional<uint32_t> ts_ecr;
};

// A DUT segment of `side`: seq relative to that side's ISN, ack and SACK to the peer's.
RelPacket RelativeDut(const TcpPacket& p, Side side, Duration t, const Rebaser& r);
// A peer segment as captured: seq relative to the peer's ISN, ack and SACK to Linux's.
RelPacket RelativePeer(const TcpPacket& p, Duration t, const Rebaser& r);

// "S. 0 ack 1 win 65160 <mss 1460,sackOK,TS ecr 700020,ws 10>", in tcpdump's words; the TSval
// only where the packet has one worth reading (`show_tsval`).
std::string Describe(const RelPacket& p, bool show_tsval);

struct CompareOptions {
  Duration tolerance{std::chrono::milliseconds(10)};
  WindowCompare window = WindowCompare::kSyn;
};

// What differs between Linux's and taptcp's segment ("ack 201 vs 101", "time +40.2 ms"); empty
// when they match. Compared: the connection, flags, relative seq and ack, payload length, the
// window where `o.window` says so, option kinds in order, MSS and window-scale values, SACK
// blocks, TSecr, and the time within the tolerance.
std::vector<std::string> Differences(const RelPacket& linux_p, const RelPacket& taptcp_p,
                                     const CompareOptions& o, bool with_time = true);

// A Linux segment and the taptcp segment it is compared with (-1 for none on that side).
struct Pairing {
  int linux_index = -1;
  int taptcp_index = -1;
};

// Pairs the two sequences keeping their order: identical segments first, then segments with the
// same flags, then (within half a second) any two, the pairs closest in time winning; what is
// left is missing (Linux only) or extra (taptcp only). The result is in sequence order.
std::vector<Pairing> Align(const std::vector<RelPacket>& linux_p,
                           const std::vector<RelPacket>& taptcp_p, const CompareOptions& o);

// Above this many cells (Linux segments x taptcp segments) Align pairs greedily instead.
inline constexpr size_t kMaxAlignCells = 1'000'000;

}  // namespace taptcp::replay
