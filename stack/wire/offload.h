// Offloads: work a frame's sender leaves to the device, as Linux's skb and virtio_net_hdr describe
// it. TCP may hand a link one "super-segment" of many MSS-sized pieces (TSO; the receiver sees it
// whole, as after GRO) and may leave the TCP checksum partial (CHECKSUM_PARTIAL: the field holds
// only the pseudo-header sum). A link or receiver that cannot take that finishes the work in
// software here (Linux skb_gso_segment and skb_checksum_help), so what reaches a wire or a capture
// is always a set of ordinary, checksummed frames.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "absl/functional/function_ref.h"

namespace taptcp::wire {

struct Offload {
  // > 0: a TCP super-segment whose payload is cut into pieces of gso_size bytes (the last may be
  // shorter): virtio's gso_size, Linux's skb_shinfo(skb)->gso_size.
  uint16_t gso_size = 0;
  // The TCP checksum field holds the folded pseudo-header sum, not the checksum; the device
  // completes it (virtio VIRTIO_NET_HDR_F_NEEDS_CSUM). A receiver trusts such a frame, as Linux
  // trusts a CHECKSUM_PARTIAL skb from loopback or veth: it never crossed a wire.
  bool csum_partial = false;

  bool any() const { return gso_size != 0 || csum_partial; }
};

// What a device offers (ethtool -k): checksum offload, and segmentation offload up to a size.
struct LinkOffloads {
  bool tx_csum = false;
  bool tso = false;  // needs tx_csum, as in Linux (netdev_fix_features)
  uint32_t gso_max_size = 65536;
};

// Pieces a super-segment with this payload length is cut into (at least 1).
inline uint32_t GsoSegments(size_t payload_len, uint16_t gso_size) {
  if (gso_size == 0 || payload_len <= gso_size) return 1;
  return static_cast<uint32_t>((payload_len + gso_size - 1) / gso_size);
}

// Replaces the partial TCP checksum of the IPv4/TCP packet at `ip_packet` with the full one
// (skb_checksum_help). Returns false, touching nothing, if it is not a well-formed IPv4/TCP packet.
bool CompleteTcpChecksum(std::span<uint8_t> ip_packet);

// Cuts the Ethernet/IPv4/TCP frame into ordinary frames (tcp_gso_segment): each piece gets the
// headers with its own IPv4 total length, ID (incremented per piece) and header checksum, its own
// sequence number, FIN and PSH only on the last piece, CWR only on the first, and a full TCP
// checksum. Each piece is built in `scratch` (at least the largest piece's size) and handed to
// `emit`, which may modify it. A frame that is not IPv4/TCP, or is malformed, is emitted as it
// is (the receiver's checks will drop and count it): never a crash, never a loss here.
void SegmentFrame(std::span<const uint8_t> frame, const Offload& offload,
                  std::span<uint8_t> scratch, absl::FunctionRef<void(std::span<uint8_t>)> emit);

}  // namespace taptcp::wire
