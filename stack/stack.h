// One taptcp host: an Ethernet interface with an IPv4 address, ARP, IPv4, ICMP and TCP with its
// socket API, its timer wheel, knobs, counters and trace. Sans-I/O: frames and time come in through
// Driveable, frames go out through a Link. Nothing here reads a clock or makes a system call, so
// the same Stack runs on a TAP device in real time and in a simulation in virtual time.
#pragma once

#include <memory>
#include <optional>
#include <span>

#include "stack/link.h"
#include "stack/mib.h"
#include "stack/net/arp_cache.h"
#include "stack/net/context.h"
#include "stack/net/icmp.h"
#include "stack/net/interface.h"
#include "stack/net/ipv4.h"
#include "stack/socket/socket_api.h"
#include "stack/sysctl.h"
#include "stack/tcp/tcp_layer.h"
#include "stack/trace.h"
#include "timers/wheel.h"

namespace taptcp {

using StackConfig = net::InterfaceConfig;

class Stack final : public Driveable {
 public:
  // `seed` keys ISNs, timestamp offsets and port choice: fixed in simulations (so runs replay
  // exactly), random on a real network (RFC 6528 wants them unpredictable).
  Stack(const StackConfig& config, Link* link, Instant start = kEpoch, uint64_t seed = 1);
  ~Stack() override;
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;

  // Driveable.
  void Input(std::span<const uint8_t> frame, Instant now) override;
  void InputOffloaded(std::span<const uint8_t> frame, const wire::Offload& offload,
                      Instant now) override;
  void Advance(Instant now) override;
  std::optional<Instant> NextDeadline() const override;

  Instant now() const { return ctx_.now(); }
  const StackConfig& config() const { return iface_.config(); }
  Sysctl& sysctl() { return ctx_.sysctl; }
  const Sysctl& sysctl() const { return ctx_.sysctl; }
  Mib& mib() { return ctx_.mib; }
  const Mib& mib() const { return ctx_.mib; }
  timers::Wheel& wheel() { return ctx_.wheel; }
  void set_trace(TraceSink* sink) { ctx_.trace = sink; }

  net::Interface& interface() { return iface_; }
  const net::ArpCache& arp() const { return iface_.arp(); }
  net::Ipv4& ipv4() { return ipv4_; }
  net::Icmp& icmp() { return icmp_; }
  tcp::TcpLayer& tcp() { return tcp_; }
  const tcp::TcpLayer& tcp() const { return tcp_; }
  socket::SocketApi& sockets() { return sockets_; }

 private:
  net::NetContext ctx_;
  net::Interface iface_;
  net::Ipv4 ipv4_;
  net::Icmp icmp_;
  tcp::TcpLayer tcp_;
  socket::SocketApi sockets_;
};

}  // namespace taptcp
