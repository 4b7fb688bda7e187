#include "stack/net/ipv4.h"

#include <algorithm>

#include "stack/wire/bytes.h"

namespace taptcp::net {

using wire::DropReason;
using wire::Ipv4Address;

Ipv4::Ipv4(NetContext& ctx, Interface& iface) : ctx_(ctx), iface_(iface) {
  iface_.set_ipv4_receiver(
      [this](std::span<const uint8_t> packet, bool broadcast, const wire::Offload& offload) {
        Input(packet, broadcast, offload);
      });
}

size_t Ipv4::max_payload() const {
  return static_cast<size_t>(std::max(iface_.config().mtu, 68)) - wire::kIpv4MinHeaderSize;
}

// ip_rcv_core's checks (via Ipv4View::Parse), then ip_route_input's "is this for us", then
// ip_local_deliver. The counters are the ones Linux bumps for the same decision.
void Ipv4::Input(std::span<const uint8_t> packet, bool /*link_broadcast*/,
                 const wire::Offload& offload) {
  ctx_.mib.Inc(Counter::kIpInReceives);
  wire::Ipv4View ip;
  const DropReason r = wire::Ipv4View::Parse(packet, &ip);
  switch (r) {
    case DropReason::kNone:
      break;
    case DropReason::kIpBadChecksum:
      ctx_.mib.Inc(Counter::kIpExtInCsumErrors);
      ctx_.mib.Inc(Counter::kIpInHdrErrors);
      ctx_.Drop(r);
      return;
    case DropReason::kIpBadTotalLength: {
      // ip_rcv_core tells "fewer bytes than the total length" (InTruncatedPkts) from "total
      // length below the header length" (InHdrErrors); the parser folds both into one reason and
      // has already checked that the header itself is present.
      const size_t total = wire::Load16(packet.data() + 2);
      const size_t ihl = static_cast<size_t>(packet[0] & 0x0F) * 4;
      ctx_.mib.Inc(total < ihl ? Counter::kIpInHdrErrors : Counter::kIpExtInTruncatedPkts);
      ctx_.Drop(r);
      return;
    }
    case DropReason::kIpFragment:
      // Linux would reassemble (ip_defrag); we do not, so the datagram fails reassembly.
      ctx_.mib.Inc(Counter::kIpReasmReqds);
      ctx_.mib.Inc(Counter::kIpReasmFails);
      ctx_.Drop(r);
      return;
    default:
      ctx_.mib.Inc(Counter::kIpInHdrErrors);
      ctx_.Drop(r);
      return;
  }
  const Ipv4Address src = ip.src();
  const Ipv4Address dst = ip.dst();
  // Martian sources (ip_route_input_slow): nobody may claim these as a sender.
  if (src.IsMulticast() || src.IsLimitedBroadcast() || src.IsLoopback() || src.IsAny() ||
      iface_.IsBroadcast(src) || iface_.IsLocal(src)) {
    ctx_.Drop(DropReason::kIpMartianSource, src);
    return;
  }
  const bool broadcast = iface_.IsBroadcast(dst);
  if (!iface_.IsLocal(dst) && !broadcast) {
    // We are a host: not ours means not forwarded (ip_forward is off).
    ctx_.mib.Inc(Counter::kIpInAddrErrors);
    ctx_.Drop(DropReason::kIpNotForUs, src);
    return;
  }
  IpProtocolHandler* handler = handlers_[ip.protocol()];
  if (handler == nullptr) {
    ctx_.mib.Inc(Counter::kIpInUnknownProtos);
    ctx_.Drop(DropReason::kIpUnsupportedProtocol, src);
    return;
  }
  ctx_.mib.Inc(Counter::kIpInDelivers);
  handler->OnIpv4(ip, broadcast, offload);
}

bool Ipv4::Send(Ipv4Address dst, uint8_t protocol, size_t payload_length,
                const Ipv4SendOptions& options) {
  ctx_.mib.Inc(Counter::kIpOutRequests);
  const size_t limit = options.offload.gso_size > 0 ? kMaxGsoPayload : max_payload();
  if (payload_length > limit) {
    // We never fragment on output; transports size their segments to the MTU.
    ctx_.mib.Inc(Counter::kIpOutDiscards);
    return false;
  }
  if (!iface_.NextHop(dst)) {
    ctx_.mib.Inc(Counter::kIpOutNoRoutes);
    return false;
  }
  wire::Ipv4HeaderFields f;
  f.src = iface_.config().addr;
  f.dst = dst;
  f.protocol = protocol;
  f.ttl = static_cast<uint8_t>(ctx_.sysctl.ip_default_ttl);
  f.dont_fragment = options.dont_fragment;
  f.id = options.id ? *options.id : next_id_;
  // A super-segment's pieces take consecutive IDs (tcp_gso_segment increments them).
  if (!options.id) next_id_ += static_cast<uint16_t>(std::max<uint32_t>(options.segments, 1));
  std::span<uint8_t> frame(tx_);
  wire::WriteIpv4Header(frame.subspan(kLinkHeadroom), f, static_cast<uint16_t>(payload_length));
  return iface_.OutputIpv4(frame.first(kLinkHeadroom + wire::kIpv4MinHeaderSize + payload_length),
                           dst, options.offload);
}

}  // namespace taptcp::net
