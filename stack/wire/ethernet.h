// Ethernet II framing (RFC 894): dst MAC, src MAC, EtherType, payload. No FCS: a TAP device
// neither delivers nor expects one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "stack/wire/addresses.h"
#include "stack/wire/drop_reason.h"

namespace taptcp::wire {

constexpr size_t kEthernetHeaderSize = 14;
// The 802.3 minimum frame without FCS: senders zero-pad shorter frames (an ARP frame is 14 + 28)
// up to this, as Linux does (eth_skb_pad / the driver). Receivers must accept and ignore padding.
constexpr size_t kMinEthernetFrame = 60;
// 1500-byte MTU plus the header, no VLAN tag, no FCS.
constexpr size_t kMaxEthernetFrame = 1514;

enum EtherType : uint16_t {
  kIpv4 = 0x0800,
  kArp = 0x0806,
};

// A view of an Ethernet II frame. Accessors read the caller's buffer through a span: valid only
// after Parse returned kNone and while that buffer lives. A default-constructed view must not be
// read.
class EthernetView {
 public:
  // Accepts frames of at least 14 bytes carrying IPv4 or ARP. Everything else is
  // kEthUnsupportedType, including 802.1Q/802.1ad VLAN tags (0x8100, 0x88A8): we do not
  // support VLANs, so a tagged frame is dropped rather than mis-parsed. Destination filtering
  // (kEthNotForUs) is the interface's job, not the parser's.
  static DropReason Parse(std::span<const uint8_t> frame, EthernetView* out);

  MacAddress dst() const;
  MacAddress src() const;
  uint16_t ethertype() const;
  // Everything after the header, including any padding up to 60 bytes: the IPv4 parser trims
  // padding using its total length.
  std::span<const uint8_t> payload() const { return frame_.subspan(kEthernetHeaderSize); }
  std::span<const uint8_t> frame() const { return frame_; }

 private:
  std::span<const uint8_t> frame_;
};

// Writes the 14-byte header at the start of `out`. Returns 14, or 0 if `out` is too small.
size_t WriteEthernetHeader(std::span<uint8_t> out, MacAddress dst, MacAddress src,
                           uint16_t ethertype);

}  // namespace taptcp::wire
