// IPv4 for a host (RFC 791, RFC 1122 §3.2): validate and deliver inbound packets to the transport
// protocol, frame outbound ones. No forwarding, no reassembly (fragments are dropped and counted),
// no options on output.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "stack/net/context.h"
#include "stack/net/interface.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/offload.h"

namespace taptcp::net {

// A transport protocol (ICMP, TCP) receiving validated packets addressed to this host.
class IpProtocolHandler {
 public:
  // `local_broadcast`: the destination was a broadcast address, not our unicast one.
  // `offload`: how the link delivered it (a super-segment, a checksum to trust; link.h).
  virtual void OnIpv4(const wire::Ipv4View& ip, bool local_broadcast,
                      const wire::Offload& offload) = 0;

 protected:
  ~IpProtocolHandler() = default;
};

struct Ipv4SendOptions {
  // TCP sets DF (path MTU discovery, RFC 1191); ICMP replies do not (Linux's icmp socket uses
  // IP_PMTUDISC_DONT).
  bool dont_fragment = true;
  std::optional<uint16_t> id;  // the stack's counter when not given
  // Work left for the link (Interface::offloads() says what it takes). A super-segment may exceed
  // the MTU, up to the largest IPv4 packet, and uses one IPv4 ID per piece.
  wire::Offload offload;
  uint32_t segments = 1;  // the pieces a super-segment becomes
};

class Ipv4 {
 public:
  Ipv4(NetContext& ctx, Interface& iface);

  void Input(std::span<const uint8_t> packet, bool link_broadcast,
             const wire::Offload& offload = {});
  void Register(uint8_t protocol, IpProtocolHandler* handler) { handlers_[protocol] = handler; }

  // Transmit path, in place: a transport writes its header and data into PayloadBuffer() (at most
  // max_payload() bytes) and calls Send, which writes the IPv4 header in front and hands the frame
  // to the interface. No copy unless ARP has to queue the packet.
  std::span<uint8_t> PayloadBuffer() {
    return std::span<uint8_t>(tx_).subspan(kLinkHeadroom + wire::kIpv4MinHeaderSize, max_payload());
  }
  // The same buffer with room for a super-segment (Ipv4SendOptions::offload.gso_size).
  std::span<uint8_t> GsoPayloadBuffer() {
    return std::span<uint8_t>(tx_).subspan(kLinkHeadroom + wire::kIpv4MinHeaderSize,
                                           kMaxGsoPayload);
  }
  wire::LinkOffloads offloads() const { return iface_.offloads(); }
  size_t max_payload() const;
  // The largest payload of a super-segment (TSO), within the largest IPv4 packet.
  static constexpr size_t kMaxGsoPayload = 65535 - wire::kIpv4MinHeaderSize;
  // Returns false (and counts IpOutNoRoutes or IpOutDiscards) when the packet cannot go out.
  bool Send(wire::Ipv4Address dst, uint8_t protocol, size_t payload_length,
            const Ipv4SendOptions& options = {});

  wire::Ipv4Address address() const { return iface_.config().addr; }

 private:
  NetContext& ctx_;
  Interface& iface_;
  std::array<IpProtocolHandler*, 256> handlers_{};
  uint16_t next_id_ = 0;
  // Ethernet header room + the largest IPv4 packet. Interface::Transmit pads short frames in place,
  // so the buffer is always larger than the 60-byte minimum.
  std::array<uint8_t, kLinkHeadroom + 65535> tx_{};
};

}  // namespace taptcp::net
