// ICMP for a host (RFC 792, RFC 1122 §3.2.2): answer echo requests, report echo replies to whoever
// pinged, count the rest as Linux's icmp_rcv does.
#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include "stack/net/context.h"
#include "stack/net/ipv4.h"

namespace taptcp::net {

class Icmp final : public IpProtocolHandler {
 public:
  using EchoReplyHandler = std::function<void(wire::Ipv4Address from, uint16_t id, uint16_t seq,
                                              std::span<const uint8_t> payload)>;

  Icmp(NetContext& ctx, Ipv4& ip);

  void OnIpv4(const wire::Ipv4View& ip, bool local_broadcast,
              const wire::Offload& offload) override;

  // Sends an echo request (what `ping` sends). Returns false without a route.
  bool SendEchoRequest(wire::Ipv4Address dst, uint16_t id, uint16_t seq,
                       std::span<const uint8_t> payload);
  void set_echo_reply_handler(EchoReplyHandler h) { on_echo_reply_ = std::move(h); }

 private:
  bool SendEcho(wire::Ipv4Address dst, uint8_t type, uint16_t id, uint16_t seq,
                std::span<const uint8_t> payload);

  NetContext& ctx_;
  Ipv4& ip_;
  EchoReplyHandler on_echo_reply_;
};

}  // namespace taptcp::net
