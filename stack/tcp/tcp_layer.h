// TCP's place in the stack (Linux tcp_v4_rcv and friends): checks inbound segments, finds the
// connection, request or listener they belong to, answers segments for nobody with RST
// (RFC 9293 §3.10.7.1), owns every connection and listener, and sends segments through IPv4.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "stack/net/context.h"
#include "stack/net/ipv4.h"
#include "stack/tcp/connection.h"
#include "stack/tcp/isn.h"
#include "stack/tcp/listener.h"
#include "stack/tcp/port_alloc.h"
#include "stack/tcp/syncookie.h"
#include "stack/tcp/tcp_metrics.h"
#include "stack/tcp/tuple.h"

namespace taptcp::tcp {

class TcpLayer final : public net::IpProtocolHandler {
 public:
  TcpLayer(net::NetContext& ctx, net::Ipv4& ip, uint64_t seed);
  ~TcpLayer();

  void OnIpv4(const wire::Ipv4View& ip, bool local_broadcast,
              const wire::Offload& offload) override;

  // Socket-level operations; errors are negative errno values.
  // A listener on `port` (local address: ours). backlog is capped by net.core.somaxconn.
  Listener* Listen(uint16_t port, int backlog, bool reuseaddr, int* error);
  // An active open to remote:port from `local_port` (0 = pick an ephemeral port, RFC 6056).
  Connection* Connect(wire::Ipv4Address remote, uint16_t remote_port, uint16_t local_port,
                      const ConnectionOptions& options, int* error);
  void CloseListener(Listener* l);
  // A connection the socket layer let go of and that has reached CLOSED is freed here; one still
  // closing lives on as an orphan and is freed when it gets to CLOSED.
  void Release(Connection* c);
  bool PortInUse(uint16_t port) const;

  // For Connection and Listener.
  net::NetContext& ctx() { return ctx_; }
  wire::Ipv4Address local_ip() const { return ip_.address(); }
  uint32_t mtu_mss() const;  // MSS from the MTU: MTU - 40
  const IsnGenerator& isn() const { return isn_; }
  const SynCookies& cookies() const { return cookies_; }
  // Our window-scale shift (tcp_select_initial_window): the smallest that lets the largest receive
  // buffer (tcp_rmem[2]) be offered in 16 bits. 7 with Linux's default 6 MiB.
  uint8_t ReceiveWindowScale() const;
  // What a connection on `t` adds to its timestamp clock: the keyed per-address-pair offset with
  // net.ipv4.tcp_timestamps=1, none with 2 (tcp_init_transfer's ts_off, secure_tcp_ts_off).
  uint32_t TimestampOffset(const FourTuple& t) const;
  // Peers that completed a connection with a measured RTT (tcp_metrics.c).
  TcpMetrics& metrics() { return metrics_; }
  // One segment, or with gso_size > 0 a super-segment of (a, b) cut into gso_size pieces by
  // the link (only when offloads().tso). Returns the pieces sent (0 if none).
  uint32_t Transmit(const FourTuple& t, const wire::TcpHeaderFields& h, const wire::TcpOptions& o,
                    std::span<const uint8_t> a, std::span<const uint8_t> b = {},
                    uint16_t gso_size = 0);
  // What the link under us takes: checksum offload, TSO and its largest super-segment.
  wire::LinkOffloads offloads() const { return ip_.offloads(); }
  // RST for a segment that matched nothing (tcp_v4_send_reset).
  void SendResetFor(const FourTuple& t, const Segment& seg);
  // A connection reached CLOSED: out of the table; freed now if nobody holds it.
  void OnConnectionClosed(Connection* c);
  // Frees connections released during the last event; the stack calls it after each event.
  void CollectGarbage();
  // A SYN that may reopen a TIME_WAIT 4-tuple: with a listener on the port, the TIME_WAIT
  // connection ends and the listener takes the SYN with the given ISN (tcp_v4_rcv, TCP_TW_SYN).
  // Returns false (and changes nothing) when no listener would take it.
  bool ReopenFromTimeWait(Connection* tw, const Segment& syn, Seq isn);
  // Moves a connection created by a listener into the connection table.
  Connection* Adopt(std::unique_ptr<Connection> c);

  size_t connection_count() const { return conns_.size(); }
  std::vector<const Connection*> Connections() const;
  std::vector<const Listener*> Listeners() const;

 private:
  net::NetContext& ctx_;
  net::Ipv4& ip_;
  IsnGenerator isn_;
  SynCookies cookies_;
  TcpMetrics metrics_;
  PortAllocator ports_;
  absl::flat_hash_map<FourTuple, std::unique_ptr<Connection>> conns_;
  absl::flat_hash_map<uint16_t, std::unique_ptr<Listener>> listeners_;
  // CLOSED connections the application has not close()d yet (it may still read the error).
  absl::flat_hash_map<Connection*, std::unique_ptr<Connection>> closed_;
  std::vector<std::unique_ptr<Connection>> graveyard_;  // freed after the current event
};

}  // namespace taptcp::tcp
