#include "stack/wire/arp.h"

#include <algorithm>

#include "stack/wire/bytes.h"
#include "stack/wire/ethernet.h"

namespace taptcp::wire {
namespace {

// RFC 826 packet layout for Ethernet/IPv4.
constexpr size_t kHrdOffset = 0;
constexpr size_t kProOffset = 2;
constexpr size_t kHlnOffset = 4;
constexpr size_t kPlnOffset = 5;
constexpr size_t kOpOffset = 6;
constexpr size_t kShaOffset = 8;
constexpr size_t kSpaOffset = 14;
constexpr size_t kThaOffset = 18;
constexpr size_t kTpaOffset = 24;

MacAddress LoadMac(const uint8_t* p) {
  MacAddress mac;
  std::copy_n(p, mac.bytes.size(), mac.bytes.begin());
  return mac;
}

}  // namespace

DropReason ArpView::Parse(std::span<const uint8_t> packet, ArpView* out) {
  // Linux arp_rcv pulls the whole packet (28 bytes for Ethernet/IPv4) and then checks hln/pln
  // against the device (6, 4); arp_process then wants hardware type Ethernet (1) or IEEE 802 (6,
  // which Linux accepts on Ethernet devices too) and protocol IPv4.
  if (packet.size() < kArpPacketSize) return DropReason::kArpTruncated;
  const uint8_t* p = packet.data();
  if (p[kHlnOffset] != 6 || p[kPlnOffset] != 4) return DropReason::kArpUnsupported;
  const uint16_t hrd = Load16(p + kHrdOffset);
  if ((hrd != kArpHardwareEthernet && hrd != kArpHardwareIeee802) ||
      Load16(p + kProOffset) != kIpv4) {
    return DropReason::kArpUnsupported;
  }
  const uint16_t op = Load16(p + kOpOffset);
  if (op != kArpOpRequest && op != kArpOpReply) return DropReason::kArpBadOp;
  out->packet_ = packet.first(kArpPacketSize);
  return DropReason::kNone;
}

uint16_t ArpView::hardware_type() const { return Load16(packet_.data() + kHrdOffset); }
uint16_t ArpView::op() const { return Load16(packet_.data() + kOpOffset); }
MacAddress ArpView::sender_mac() const { return LoadMac(packet_.data() + kShaOffset); }
Ipv4Address ArpView::sender_ip() const { return Ipv4Address{Load32(packet_.data() + kSpaOffset)}; }
MacAddress ArpView::target_mac() const { return LoadMac(packet_.data() + kThaOffset); }
Ipv4Address ArpView::target_ip() const { return Ipv4Address{Load32(packet_.data() + kTpaOffset)}; }

size_t WriteArp(std::span<uint8_t> out, uint16_t op, MacAddress sha, Ipv4Address spa,
                MacAddress tha, Ipv4Address tpa) {
  if (out.size() < kArpPacketSize) return 0;
  uint8_t* p = out.data();
  Store16(p + kHrdOffset, kArpHardwareEthernet);
  Store16(p + kProOffset, kIpv4);
  p[kHlnOffset] = 6;
  p[kPlnOffset] = 4;
  Store16(p + kOpOffset, op);
  std::copy(sha.bytes.begin(), sha.bytes.end(), p + kShaOffset);
  Store32(p + kSpaOffset, spa.value);
  std::copy(tha.bytes.begin(), tha.bytes.end(), p + kThaOffset);
  Store32(p + kTpaOffset, tpa.value);
  return kArpPacketSize;
}

}  // namespace taptcp::wire
