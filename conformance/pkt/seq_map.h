// Script sequence numbers to live ones and back, exactly as packetdrill maps them (socket.h and
// run_packet.c): like tcpdump's relative numbers. A SYN's numbers are absolute; every other
// segment's are relative to its sender's ISN.
//   - Inbound: the script chooses the peer's ISN (the SYN or SYN-ACK it injects), so inbound seq
//     is used as written on SYNs and offset by that ISN otherwise. Inbound ACK and SACK blocks
//     are offset by the stack's live ISN (minus the ISN the script wrote on the stack's SYN or
//     SYN-ACK, for SYN packets).
//   - Outbound: the inverse, so the script compares in its own space.
//   - TS: every outbound TS val is remembered against the val the script wrote on that line, so an
//     inbound TS ecr naming a script val becomes the live val the stack sent; an ecr that names no
//     such val is interpolated with --tcp_ts_ecr_scaled, and is an error otherwise. Outbound TS
//     vals are shifted into script space from the first one seen (checked only with
//     --tcp_ts_tick_usecs, as packetdrill does by default); outbound TS ecr is not checked.
#pragma once

#include <cstdint>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "conformance/pkt/packet.h"

namespace taptcp::pkt {

struct SocketSide {
  uint32_t local_isn = 0;   // the stack's ISN
  uint32_t remote_isn = 0;  // the scripted peer's ISN
};

class SeqMap {
 public:
  SocketSide script;
  SocketSide live;

  // Offsets added to script values to get live ones (socket.h *_script_to_live_offset).
  uint32_t RemoteOffset(bool syn) const { return syn ? 0 : live.remote_isn; }
  uint32_t LocalOffset(bool syn) const {
    return syn ? live.local_isn - script.local_isn : live.local_isn;
  }

  // A script packet about to be injected: seq, ack, SACK blocks and TS ecr to live values
  // (map_inbound_packet). Fails when the TS ecr cannot be mapped.
  absl::Status MapInbound(TcpPacket* p, bool ts_ecr_scaled) const;
  // A packet the stack sent, into script space (tcp_convert_seq_number and
  // map_outbound_live_packet): seq, ack and SACK blocks shifted; TS val remembered against the
  // script's val on this line (`script_ts_val`, when the line has a TS option) and rewritten
  // relative to the first TS val seen.
  void MapOutbound(TcpPacket* p, const std::optional<uint32_t>& script_ts_val);
  // Only the seq, ack and SACK part of MapOutbound, which changes nothing (for messages).
  TcpPacket ToScriptSpace(TcpPacket p) const;

 private:
  absl::flat_hash_map<uint32_t, uint32_t> ts_val_map_;  // script TS val -> live TS val
  bool found_first_ts_ = false;
  uint32_t first_script_ts_val_ = 0;
  uint32_t first_actual_ts_val_ = 0;
};

}  // namespace taptcp::pkt
