#include "stack/net/icmp.h"

#include "stack/wire/icmp.h"

namespace taptcp::net {

using wire::DropReason;

Icmp::Icmp(NetContext& ctx, Ipv4& ip) : ctx_(ctx), ip_(ip) { ip_.Register(wire::kProtoIcmp, this); }

// icmp_rcv: InMsgs first, then the checksum (InCsumErrors + InErrors), then by type.
void Icmp::OnIpv4(const wire::Ipv4View& ip, bool local_broadcast,
                  const wire::Offload& /*offload: TCP's only*/) {
  ctx_.mib.Inc(Counter::kIcmpInMsgs);
  wire::IcmpView icmp;
  if (DropReason r = wire::IcmpView::Parse(ip.payload(), &icmp); r != DropReason::kNone) {
    if (r == DropReason::kIcmpBadChecksum) ctx_.mib.Inc(Counter::kIcmpInCsumErrors);
    ctx_.mib.Inc(Counter::kIcmpInErrors);
    ctx_.Drop(r, ip.src());
    return;
  }
  switch (icmp.type()) {
    case wire::kEchoRequest:
      ctx_.mib.Inc(Counter::kIcmpInEchos);
      // icmp_echo: broadcast pings are ignored by default (Smurf amplification), and everything
      // when icmp_echo_ignore_all is set.
      if (local_broadcast && ctx_.sysctl.icmp_echo_ignore_broadcasts != 0) {
        ctx_.Drop(DropReason::kIcmpBroadcastEcho, ip.src());
        return;
      }
      if (ctx_.sysctl.icmp_echo_ignore_all != 0) {
        ctx_.Drop(DropReason::kIcmpEchoIgnored, ip.src());
        return;
      }
      ctx_.Emit(TraceKind::kIcmp, "echo_request", ip.src());
      if (SendEcho(ip.src(), wire::kEchoReply, icmp.echo_id(), icmp.echo_seq(), icmp.payload())) {
        ctx_.mib.Inc(Counter::kIcmpOutEchoReps);
      }
      return;
    case wire::kEchoReply:
      ctx_.mib.Inc(Counter::kIcmpInEchoReps);
      ctx_.Emit(TraceKind::kIcmp, "echo_reply", ip.src());
      if (on_echo_reply_) {
        on_echo_reply_(ip.src(), icmp.echo_id(), icmp.echo_seq(), icmp.payload());
      }
      return;
    case wire::kDestUnreachable:
      // Counted; TCP will act on these (RFC 5927, RFC 1122 §4.2.3.9) once it exists.
      ctx_.mib.Inc(Counter::kIcmpInDestUnreachs);
      return;
    default:
      // icmp_rcv drops types past NR_ICMP_TYPES (18) as errors and discards the other known ones.
      if (icmp.type() > 18) {
        ctx_.mib.Inc(Counter::kIcmpInErrors);
        ctx_.Drop(DropReason::kIcmpUnsupportedType, ip.src());
      }
      return;
  }
}

bool Icmp::SendEcho(wire::Ipv4Address dst, uint8_t type, uint16_t id, uint16_t seq,
                    std::span<const uint8_t> payload) {
  std::span<uint8_t> out = ip_.PayloadBuffer();
  if (payload.size() + wire::kIcmpHeaderSize > out.size()) {
    ctx_.mib.Inc(Counter::kIcmpOutErrors);
    return false;
  }
  // The request's payload may live in the receive buffer; WriteIcmpEcho copies it (memmove).
  const size_t n = wire::WriteIcmpEcho(out, type, id, seq, payload);
  net::Ipv4SendOptions options;
  options.dont_fragment = false;
  if (!ip_.Send(dst, wire::kProtoIcmp, n, options)) {
    ctx_.mib.Inc(Counter::kIcmpOutErrors);
    return false;
  }
  ctx_.mib.Inc(Counter::kIcmpOutMsgs);
  return true;
}

bool Icmp::SendEchoRequest(wire::Ipv4Address dst, uint16_t id, uint16_t seq,
                           std::span<const uint8_t> payload) {
  if (!SendEcho(dst, wire::kEchoRequest, id, seq, payload)) return false;
  ctx_.mib.Inc(Counter::kIcmpOutEchos);
  return true;
}

}  // namespace taptcp::net
