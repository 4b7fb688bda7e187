// One Ethernet interface: its MAC and IPv4 address/prefix, ARP (RFC 826) on the link, and the
// choice of next hop for outbound IPv4 (on-link, or the gateway). It is the only layer that knows
// about Ethernet; above it everything is IPv4.
#pragma once

#include <array>
#include <functional>
#include <optional>
#include <span>

#include "stack/link.h"
#include "stack/net/arp_cache.h"
#include "stack/net/context.h"
#include "stack/wire/addresses.h"
#include "stack/wire/ethernet.h"

namespace taptcp::net {

struct InterfaceConfig {
  wire::MacAddress mac;
  wire::Ipv4Address addr;
  int prefix_len = 24;
  std::optional<wire::Ipv4Address> gateway;
  int mtu = 1500;  // IPv4 bytes per frame, as the TAP device's MTU
  // Use the link's offloads when it has them (ethtool -K tx-checksumming / tso): off gives the
  // packet-by-packet view on any link.
  bool offload_csum = true;
  bool offload_tso = true;
};

// Ethernet header room callers leave in front of an IPv4 packet so it can be framed in place.
inline constexpr size_t kLinkHeadroom = wire::kEthernetHeaderSize;

class Interface final : private ArpCache::Output {
 public:
  // Where inbound IPv4 packets go (the Ipv4 layer).
  using Ipv4Receiver = std::function<void(std::span<const uint8_t> packet, bool link_broadcast,
                                          const wire::Offload& offload)>;

  Interface(NetContext& ctx, const InterfaceConfig& config, Link* link);

  void set_ipv4_receiver(Ipv4Receiver r) { ipv4_receiver_ = std::move(r); }

  // One inbound Ethernet frame; `offload` as the link delivered it (link.h InputOffloaded).
  void Input(std::span<const uint8_t> frame, const wire::Offload& offload = {});

  // Zero-copy receive, for drivers that choose where a frame is read (the TAP loop): memory to
  // read the next frame into, `prefix` bytes of the driver's own header first, such that if the
  // frame is the next in-order segment of the stream that just took data (NetContext::in_place)
  // its text lands where that connection keeps it. Empty when there is no such stream or it
  // cannot take text in place now; the driver then reads wherever it likes.
  std::span<uint8_t> InputBuffer(size_t prefix);
  // After reading `frame` (the Ethernet frame, behind the prefix) into InputBuffer's memory:
  // whether it is that segment, so Input(frame, offload) may run on it where it lies. If not, the
  // driver must copy it to memory of its own before the input (the receiver's free space is no
  // place to process a frame from).
  bool InputInPlace(std::span<const uint8_t> frame, const wire::Offload& offload);

  // Sends the IPv4 packet that starts kLinkHeadroom bytes into `frame` (the headroom is written
  // here) towards `dst`. Returns false when there is no route. An unresolved next hop queues a
  // copy. `offload` describes work left for the link (only what offloads() allows).
  bool OutputIpv4(std::span<uint8_t> frame, wire::Ipv4Address dst,
                  const wire::Offload& offload = {});
  // The offloads the link offers and this interface's config allows.
  wire::LinkOffloads offloads() const;

  // The address the packet for `dst` is handed to on the link: dst itself when on-link, else the
  // gateway; nullopt without a route.
  std::optional<wire::Ipv4Address> NextHop(wire::Ipv4Address dst) const;
  bool IsLocal(wire::Ipv4Address a) const { return a == config_.addr; }
  bool IsBroadcast(wire::Ipv4Address a) const;

  const InterfaceConfig& config() const { return config_; }
  ArpCache& arp() { return arp_; }
  const ArpCache& arp() const { return arp_; }

 private:
  void OnArp(std::span<const uint8_t> payload);
  void SendArp(uint16_t op, wire::MacAddress eth_dst, wire::MacAddress target_mac,
               wire::Ipv4Address target_ip);
  void Transmit(std::span<uint8_t> frame, const wire::Offload& offload = {});
  // ArpCache::Output
  void SendArpRequest(wire::Ipv4Address target, std::optional<wire::MacAddress> to) override;
  void SendQueued(wire::MacAddress dst, std::span<const uint8_t> ip_packet) override;

  NetContext& ctx_;
  InterfaceConfig config_;
  Link* link_;
  ArpCache arp_;
  Ipv4Receiver ipv4_receiver_;
  // Zero-copy receive: where InputBuffer expects the next text, and the header bytes (Ethernet,
  // IPv4, TCP) it expects before it: 66 with TCP timestamps, relearned from the stream's frames.
  const uint8_t* in_place_text_ = nullptr;
  size_t in_place_headers_ = wire::kEthernetHeaderSize + 20 + 32;
  // For frames not built in place by the layers above (ARP, packets that waited for ARP).
  std::array<uint8_t, wire::kEthernetHeaderSize + 65535> scratch_{};
};

}  // namespace taptcp::net
