#include "stack/net/interface.h"

#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

#include "stack/wire/arp.h"
#include "stack/wire/bytes.h"
#include "stack/wire/ipv4.h"

namespace taptcp::net {

using wire::DropReason;
using wire::Ipv4Address;
using wire::MacAddress;

Interface::Interface(NetContext& ctx, const InterfaceConfig& config, Link* link)
    : ctx_(ctx), config_(config), link_(link), arp_(ctx, *this) {}

bool Interface::IsBroadcast(Ipv4Address a) const {
  if (a == Ipv4Address::Broadcast()) return true;
  // The directed broadcast of our subnet (all host bits set); a /31 or /32 has none (RFC 3021).
  const uint32_t host_mask = ~wire::PrefixMask(config_.prefix_len);
  return config_.prefix_len < 31 && a.InSubnet(config_.addr, config_.prefix_len) &&
         (a.value & host_mask) == host_mask;
}

void Interface::Input(std::span<const uint8_t> frame, const wire::Offload& offload) {
  ctx_.mib.Inc(Counter::kTaptcpEthInFrames);
  wire::EthernetView eth;
  if (DropReason r = wire::EthernetView::Parse(frame, &eth); r != DropReason::kNone) {
    ctx_.mib.Inc(Counter::kTaptcpEthInDrops);
    ctx_.Drop(r);
    return;
  }
  // A TAP device hands us every frame on the segment: what is not ours (PACKET_OTHERHOST in
  // Linux) is dropped before any protocol sees it. Multicast is not joined, so only broadcast.
  const bool broadcast = eth.dst().IsBroadcast();
  if (!broadcast && eth.dst() != config_.mac) {
    ctx_.mib.Inc(Counter::kTaptcpEthInDrops);
    ctx_.Drop(DropReason::kEthNotForUs);
    return;
  }
  switch (eth.ethertype()) {
    case wire::kArp:
      OnArp(eth.payload());
      return;
    case wire::kIpv4:
      if (ipv4_receiver_) ipv4_receiver_(eth.payload(), broadcast, offload);
      return;
    default:
      ctx_.mib.Inc(Counter::kTaptcpEthInDrops);
      ctx_.Drop(DropReason::kEthUnsupportedType);
  }
}

std::span<uint8_t> Interface::InputBuffer(size_t prefix) {
  in_place_text_ = nullptr;
  const InPlaceReceiver& r = ctx_.in_place;
  if (!ctx_.InPlaceStream()) return {};
  const size_t headroom = prefix + in_place_headers_;
  std::span<uint8_t> room = r.room(r.owner, headroom);
  if (room.size() <= headroom) return {};
  in_place_text_ = room.data() + headroom;
  return room;
}

bool Interface::InputInPlace(std::span<const uint8_t> frame, const wire::Offload& offload) {
  const uint8_t* text = std::exchange(in_place_text_, nullptr);
  const InPlaceReceiver& r = ctx_.in_place;
  if (text == nullptr || r.owner == nullptr) return false;
  // A super-segment this interface would cut (offloads off) is taken apart, not taken whole.
  if (offload.gso_size > 0 && !(config_.offload_tso && config_.offload_csum)) return false;
  // Just enough parsing to name the segment; the full checks come with the input.
  constexpr size_t kEth = wire::kEthernetHeaderSize;
  if (frame.size() < kEth + 20 + 20 || wire::Load16(frame.data() + 12) != wire::kIpv4) {
    return false;
  }
  const uint8_t* ip = frame.data() + kEth;
  const size_t ihl = static_cast<size_t>(ip[0] & 0x0F) * 4;
  if ((ip[0] >> 4) != 4 || ihl < 20 || ip[9] != wire::kProtoTcp || frame.size() < kEth + ihl + 20) {
    return false;
  }
  const uint8_t* tcp = ip + ihl;
  const size_t doff = static_cast<size_t>(tcp[12] >> 4) * 4;
  const size_t headers = kEth + ihl + doff;
  if (doff < 20 || frame.size() < headers) return false;
  const Ipv4Address src{wire::Load32(ip + 12)};
  const Ipv4Address dst{wire::Load32(ip + 16)};
  if (!r.expects(r.owner, dst, wire::Load16(tcp + 2), src, wire::Load16(tcp),
                 wire::Load32(tcp + 4))) {
    return false;
  }
  if (frame.data() + headers == text) return true;
  // The expected segment behind other headers (IPv4 or TCP options changed): expect those next.
  in_place_headers_ = headers;
  return false;
}

// RFC 826 "Packet Reception", with Linux's choices from arp_process(): answer requests for our
// address (including RFC 5227 probes from 0.0.0.0, which must not create an entry), learn the
// sender of a request aimed at us, and accept replies only for addresses we asked about.
void Interface::OnArp(std::span<const uint8_t> payload) {
  wire::ArpView arp;
  if (DropReason r = wire::ArpView::Parse(payload, &arp); r != DropReason::kNone) {
    ctx_.Drop(r);
    return;
  }
  const bool for_us = arp.target_ip() == config_.addr;
  const Ipv4Address sender = arp.sender_ip();
  const bool sender_usable = sender != Ipv4Address::Any() && !IsBroadcast(sender) &&
                             !arp.sender_mac().IsMulticast() && sender != config_.addr;
  if (arp.op() == wire::kArpOpRequest) {
    ctx_.mib.Inc(Counter::kTaptcpArpInRequests);
    if (!for_us) {
      // Not ours to answer; an entry we already have may still be refreshed (arp_process updates
      // existing neighbours from any ARP it sees).
      if (sender_usable) arp_.Learn(sender, arp.sender_mac(), /*create=*/false, false);
      ctx_.Drop(DropReason::kArpNotForUs);
      return;
    }
    if (sender_usable) arp_.Learn(sender, arp.sender_mac(), /*create=*/true, false);
    ctx_.mib.Inc(Counter::kTaptcpArpOutReplies);
    SendArp(wire::kArpOpReply, arp.sender_mac(), arp.sender_mac(), sender);
    return;
  }
  if (arp.op() == wire::kArpOpReply) {
    ctx_.mib.Inc(Counter::kTaptcpArpInReplies);
    if (sender_usable) arp_.Learn(sender, arp.sender_mac(), /*create=*/false, /*confirmed=*/true);
    return;
  }
  ctx_.Drop(DropReason::kArpBadOp);  // unreachable: ArpView::Parse accepts only the two ops
}

void Interface::SendArp(uint16_t op, MacAddress eth_dst, MacAddress target_mac,
                        Ipv4Address target_ip) {
  std::span<uint8_t> frame(scratch_);
  size_t n = wire::WriteEthernetHeader(frame, eth_dst, config_.mac, wire::kArp);
  n += wire::WriteArp(frame.subspan(n), op, config_.mac, config_.addr, target_mac, target_ip);
  Transmit(frame.first(n));
}

void Interface::SendArpRequest(Ipv4Address target, std::optional<MacAddress> to) {
  // A unicast probe carries the MAC it expects as target hardware address; a broadcast request
  // leaves it zero (RFC 826 "don't care"), as Linux's arp_send does.
  SendArp(wire::kArpOpRequest, to.value_or(MacAddress::Broadcast()), to.value_or(MacAddress{}),
          target);
}

void Interface::SendQueued(MacAddress dst, std::span<const uint8_t> ip_packet) {
  std::span<uint8_t> frame(scratch_);
  size_t n = wire::WriteEthernetHeader(frame, dst, config_.mac, wire::kIpv4);
  std::memcpy(frame.data() + n, ip_packet.data(), ip_packet.size());
  Transmit(frame.first(n + ip_packet.size()));
}

std::optional<Ipv4Address> Interface::NextHop(Ipv4Address dst) const {
  if (dst.InSubnet(config_.addr, config_.prefix_len) || dst == Ipv4Address::Broadcast()) {
    return dst;
  }
  return config_.gateway;
}

wire::LinkOffloads Interface::offloads() const {
  wire::LinkOffloads o = link_ != nullptr ? link_->offloads() : wire::LinkOffloads{};
  o.tx_csum = o.tx_csum && config_.offload_csum;
  o.tso = o.tso && o.tx_csum && config_.offload_tso;
  return o;
}

bool Interface::OutputIpv4(std::span<uint8_t> frame, Ipv4Address dst,
                           const wire::Offload& offload) {
  std::optional<Ipv4Address> hop = NextHop(dst);
  if (!hop) return false;
  std::span<uint8_t> packet = frame.subspan(kLinkHeadroom);
  std::optional<MacAddress> mac;
  if (IsBroadcast(dst)) {
    mac = MacAddress::Broadcast();
  } else if (offload.any()) {
    // The ARP queue keeps plain packets (Linux keeps the skb, offload state and all): a packet
    // that must wait is finished in software first and queued piece by piece.
    mac = arp_.ResolveKnown(*hop);
    if (!mac) {
      // The segmenter reads an Ethernet frame; the destination is filled in per piece.
      wire::WriteEthernetHeader(frame, MacAddress{}, config_.mac, wire::kIpv4);
      std::vector<uint8_t> scratch(frame.size());
      wire::SegmentFrame(frame, offload, scratch,
                         [&](std::span<uint8_t> piece) { OutputIpv4(piece, dst); });
      return true;
    }
  } else {
    mac = arp_.Resolve(*hop, packet);
  }
  if (!mac) return true;  // queued until ARP answers
  wire::WriteEthernetHeader(frame, *mac, config_.mac, wire::kIpv4);
  Transmit(frame, offload);
  return true;
}

void Interface::Transmit(std::span<uint8_t> frame, const wire::Offload& offload) {
  if (offload.any()) {
    ctx_.mib.Inc(Counter::kTaptcpEthOutFrames);
    if (link_ != nullptr) link_->TransmitOffloaded(frame, offload, ctx_.now());
    return;
  }
  // Ethernet's 60-byte minimum (without FCS): pad with zeros, as a NIC would.
  if (frame.size() < wire::kMinEthernetFrame) {
    std::fill(frame.data() + frame.size(), frame.data() + wire::kMinEthernetFrame, 0);
    frame = std::span<uint8_t>(frame.data(), wire::kMinEthernetFrame);
  }
  ctx_.mib.Inc(Counter::kTaptcpEthOutFrames);
  if (link_ != nullptr) link_->Transmit(frame, ctx_.now());
}

}  // namespace taptcp::net
