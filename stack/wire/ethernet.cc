#include "stack/wire/ethernet.h"

#include <algorithm>

#include "stack/wire/bytes.h"

namespace taptcp::wire {
namespace {

MacAddress LoadMac(const uint8_t* p) {
  MacAddress mac;
  std::copy_n(p, mac.bytes.size(), mac.bytes.begin());
  return mac;
}

}  // namespace

DropReason EthernetView::Parse(std::span<const uint8_t> frame, EthernetView* out) {
  if (frame.size() < kEthernetHeaderSize) return DropReason::kEthTruncated;
  const uint16_t type = Load16(frame.data() + 12);
  // Only the two types we implement. 0x8100/0x88A8 (802.1Q/802.1ad tags) land here too: the
  // real EtherType sits 4 bytes further and we do not do VLANs. Values < 0x0600 are 802.3
  // lengths (LLC frames, e.g. STP), not Ethernet II types.
  if (type != kIpv4 && type != kArp) return DropReason::kEthUnsupportedType;
  out->frame_ = frame;
  return DropReason::kNone;
}

MacAddress EthernetView::dst() const { return LoadMac(frame_.data()); }
MacAddress EthernetView::src() const { return LoadMac(frame_.data() + 6); }
uint16_t EthernetView::ethertype() const { return Load16(frame_.data() + 12); }

size_t WriteEthernetHeader(std::span<uint8_t> out, MacAddress dst, MacAddress src,
                           uint16_t ethertype) {
  if (out.size() < kEthernetHeaderSize) return 0;
  std::copy(dst.bytes.begin(), dst.bytes.end(), out.data());
  std::copy(src.bytes.begin(), src.bytes.end(), out.data() + 6);
  Store16(out.data() + 12, ethertype);
  return kEthernetHeaderSize;
}

}  // namespace taptcp::wire
