// Does the packet the stack sent match the script's `>` line? packetdrill's
// verify_outbound_live_packet (run_packet.c), check for check and in its order, with its messages:
//   IPv4: total length (so payload and option lengths), the ECN bits or TOS byte and the TTL when
//         the line names them;
//   TCP:  data offset, each flag (FIN SYN RST PSH ACK URG ECE CWR AE), the reserved bits, seq,
//         ack (always: 0 when the line has no ACK), the window when the line gives one, urgent
//         pointer;
//   options, kind by kind in order (NOPs included; lengths and values of every option but TS,
//         whose val is checked only with --tcp_ts_tick_usecs and whose ecr is never checked),
//         unless the line says <...>;
//   payload bytes (the script's are zeros, as are the bytes the runner writes).
// The packet must already be in script space (seq_map.h). Timing is the runner's (runner.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "conformance/pkt/ast.h"
#include "conformance/pkt/packet.h"

namespace taptcp::pkt {

struct MatchConfig {
  int64_t tolerance_usecs = 4000;
  int64_t ts_tick_usecs = 0;  // 0: outbound TS val not checked (packetdrill's default)
};

// nullopt when the packet matches; else packetdrill's one-line reason, e.g.
// "live packet field tcp_ack_seq: expected: 1001 (0x3e9) vs actual: 1 (0x1)".
std::optional<std::string> MatchOutbound(const TcpPacket& actual, const PacketSpec& script,
                                         const MatchConfig& config);

}  // namespace taptcp::pkt
