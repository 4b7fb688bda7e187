// ARP for IPv4 over Ethernet (RFC 826): the only hardware/protocol pair we speak.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "stack/wire/addresses.h"
#include "stack/wire/drop_reason.h"

namespace taptcp::wire {

// 8 bytes of fixed header plus 2 * (6-byte MAC + 4-byte IPv4).
constexpr size_t kArpPacketSize = 28;
constexpr uint16_t kArpHardwareEthernet = 1;
constexpr uint16_t kArpHardwareIeee802 = 6;
constexpr uint16_t kArpOpRequest = 1;
constexpr uint16_t kArpOpReply = 2;

// Accessors read the caller's buffer through a span: valid only after Parse returned kNone and
// while that buffer lives. A default-constructed view must not be read.
class ArpView {
 public:
  // Needs 28 bytes (kArpTruncated); hlen 6, plen 4, hardware type 1 (or 6, IEEE 802, which Linux
  // also accepts on Ethernet), protocol 0x0800 (kArpUnsupported, as Linux arp_rcv/arp_process
  // check); op request or reply (kArpBadOp: arp_process ignores other ops, e.g. RARP's).
  // Trailing bytes (Ethernet padding) are ignored.
  static DropReason Parse(std::span<const uint8_t> packet, ArpView* out);

  uint16_t hardware_type() const;
  uint16_t op() const;  // 1 request, 2 reply
  MacAddress sender_mac() const;
  Ipv4Address sender_ip() const;
  MacAddress target_mac() const;
  Ipv4Address target_ip() const;
  // A request whose sender and target IP are equal: an announcement / gratuitous ARP (RFC 5227).
  bool IsGratuitous() const { return sender_ip() == target_ip(); }

 private:
  std::span<const uint8_t> packet_;  // exactly 28 bytes once parsed
};

// Writes a 28-byte ARP packet (Ethernet/IPv4). Returns 28, or 0 if `out` is too small. The
// caller zero-pads the frame to kMinEthernetFrame.
size_t WriteArp(std::span<uint8_t> out, uint16_t op, MacAddress sha, Ipv4Address spa,
                MacAddress tha, Ipv4Address tpa);

}  // namespace taptcp::wire
