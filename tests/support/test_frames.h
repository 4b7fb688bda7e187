// Frames a test peer sends to a stack, built with the wire builders, and a Link that records
// what the stack sends. Shared by unit and scenario tests.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "stack/link.h"
#include "stack/wire/addresses.h"
#include "stack/wire/arp.h"
#include "stack/wire/ethernet.h"
#include "stack/wire/icmp.h"
#include "stack/wire/ipv4.h"

namespace taptcp::testing {

struct SentFrame {
  Instant at;
  std::vector<uint8_t> bytes;
};

class RecordingLink final : public Link {
 public:
  void Transmit(std::span<const uint8_t> frame, Instant now) override {
    frames.push_back({now, std::vector<uint8_t>(frame.begin(), frame.end())});
  }
  std::vector<SentFrame> frames;
};

inline const wire::MacAddress kStackMac = *wire::MacAddress::Parse("02:00:00:00:00:02");
inline const wire::MacAddress kPeerMac = *wire::MacAddress::Parse("02:00:00:00:00:01");
inline const wire::Ipv4Address kStackIp = *wire::Ipv4Address::Parse("192.0.2.2");
inline const wire::Ipv4Address kPeerIp = *wire::Ipv4Address::Parse("192.0.2.1");

inline std::vector<uint8_t> ArpFrame(uint16_t op, wire::MacAddress eth_dst, wire::MacAddress sha,
                                     wire::Ipv4Address spa, wire::MacAddress tha,
                                     wire::Ipv4Address tpa) {
  std::vector<uint8_t> f(wire::kMinEthernetFrame, 0);
  size_t n = wire::WriteEthernetHeader(f, eth_dst, sha, wire::kArp);
  wire::WriteArp(std::span<uint8_t>(f).subspan(n), op, sha, spa, tha, tpa);
  return f;
}

// If `frame` is an ARP request for `ip`, the reply a host with `mac` sends (RFC 826); else nullopt.
// Scripted peers use it to be reachable without a stack of their own.
inline std::optional<std::vector<uint8_t>> ArpReplyFor(std::span<const uint8_t> frame,
                                                       wire::MacAddress mac, wire::Ipv4Address ip) {
  wire::EthernetView eth;
  wire::ArpView arp;
  if (wire::EthernetView::Parse(frame, &eth) != wire::DropReason::kNone ||
      eth.ethertype() != wire::kArp ||
      wire::ArpView::Parse(eth.payload(), &arp) != wire::DropReason::kNone ||
      arp.op() != wire::kArpOpRequest || arp.target_ip() != ip) {
    return std::nullopt;
  }
  return ArpFrame(wire::kArpOpReply, arp.sender_mac(), mac, ip, arp.sender_mac(), arp.sender_ip());
}

// An Ethernet + IPv4 frame around `l4` (ICMP, TCP...), checksummed.
inline std::vector<uint8_t> Ipv4Frame(wire::MacAddress eth_dst, wire::MacAddress eth_src,
                                      wire::Ipv4Address src, wire::Ipv4Address dst, uint8_t proto,
                                      std::span<const uint8_t> l4, uint16_t id = 1) {
  std::vector<uint8_t> f(wire::kEthernetHeaderSize + wire::kIpv4MinHeaderSize + l4.size());
  size_t n = wire::WriteEthernetHeader(f, eth_dst, eth_src, wire::kIpv4);
  wire::Ipv4HeaderFields h;
  h.src = src;
  h.dst = dst;
  h.protocol = proto;
  h.id = id;
  n += wire::WriteIpv4Header(std::span<uint8_t>(f).subspan(n), h, l4.size());
  std::copy(l4.begin(), l4.end(), f.begin() + n);
  if (f.size() < wire::kMinEthernetFrame) f.resize(wire::kMinEthernetFrame, 0);
  return f;
}

inline std::vector<uint8_t> EchoRequestFrame(uint16_t id, uint16_t seq,
                                             std::span<const uint8_t> payload,
                                             wire::Ipv4Address dst = kStackIp) {
  std::vector<uint8_t> icmp(wire::kIcmpHeaderSize + payload.size());
  wire::WriteIcmpEcho(icmp, wire::kEchoRequest, id, seq, payload);
  return Ipv4Frame(kStackMac, kPeerMac, kPeerIp, dst, wire::kProtoIcmp, icmp);
}

}  // namespace taptcp::testing
