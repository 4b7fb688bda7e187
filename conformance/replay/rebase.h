// Re-basing between the Linux capture's sequence spaces and taptcp's, the way tcpliveplay does
// it: the peer's segments were written for Linux's ISN and TSval clock, so before one is played
// into taptcp its acknowledgment number and SACK blocks (which count the DUT's bytes) move from
// Linux's ISN to taptcp's, and its TSecr moves from the Linux TSval it echoed to the TSval taptcp
// sent at the corresponding moment. The peer's own sequence numbers and TSval stay as captured.
//
// The same bases make the DUT's packets comparable: sequence numbers relative to each side's ISN,
// acknowledgment numbers and SACK blocks relative to the peer's ISN (equal on both sides).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "conformance/replay/packets.h"

namespace taptcp::replay {

// One TCP connection, seen from the device under test.
struct ConnKey {
  uint16_t dut_port = 0, peer_port = 0;
  friend auto operator<=>(const ConnKey&, const ConnKey&) = default;
};

enum class Side { kLinux, kTaptcp };

class Rebaser {
 public:
  // A segment the DUT sent: Linux's (from the capture, before the replay starts) or taptcp's (as
  // it sends them). A SYN teaches that side's ISN; a timestamp is remembered with its time.
  void OnDut(Side side, const TcpPacket& p, Duration t);
  // A segment the peer sent (as it is played): a SYN teaches the peer's ISN.
  void OnPeer(const TcpPacket& p);

  // Rewrites a peer frame for taptcp: ACK number and SACK blocks from Linux's ISN to taptcp's,
  // TSecr from the Linux TSval it echoes to taptcp's, then the TCP checksum. `p` is the frame
  // decoded; `t` when it is played. Only what both bases are known for changes. Returns a short
  // note of what changed ("ack, tsecr"), empty when nothing did.
  std::string RebasePeerFrame(std::span<uint8_t> frame, const TcpPacket& p, Duration t) const;

  std::optional<uint32_t> dut_isn(Side side, const ConnKey& k) const;
  std::optional<uint32_t> peer_isn(const ConnKey& k) const;

  // The TSecr taptcp should see for a peer segment at `t` that echoed Linux's TSval `ecr`: the
  // TSval of taptcp's segment sent closest to the Linux segment that carried `ecr` (or the Linux
  // TSval nearest to it), shifted by the same amount. nullopt when there is nothing to map from.
  std::optional<uint32_t> MapEcr(const ConnKey& k, uint32_t ecr, Duration t) const;
  // How many of Linux's latest segments MapEcr searches for the echoed TSval.
  static constexpr size_t kEcrSearch = 4096;

  static ConnKey KeyOfDut(const TcpPacket& p) { return {p.src_port, p.dst_port}; }
  static ConnKey KeyOfPeer(const TcpPacket& p) { return {p.dst_port, p.src_port}; }

 private:
  struct Stamp {
    Duration t;
    uint32_t tsval;
  };
  struct Conn {
    std::optional<uint32_t> isn[2];  // indexed by Side
    std::optional<uint32_t> peer_isn;
    std::vector<Stamp> stamps[2];  // the DUT's TSvals, in the order sent
  };
  const Conn* Find(const ConnKey& k) const;

  std::map<ConnKey, Conn> conns_;
};

}  // namespace taptcp::replay
