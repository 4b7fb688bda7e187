// Two stacks on a simulated wire, with helpers to drive sockets in virtual time. Used by the TCP
// scenario tests.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "stack/sim/network.h"
#include "stack/stack.h"
#include "stack/wire/tcp.h"
#include "tests/support/test_frames.h"

namespace taptcp::testing {

inline StackConfig HostConfig(const char* mac, const char* ip) {
  StackConfig c;
  c.mac = *wire::MacAddress::Parse(mac);
  c.addr = *wire::Ipv4Address::Parse(ip);
  return c;
}

struct TcpPair {
  explicit TcpPair(const sim::Impairments& imp = {}, uint64_t seed = 1) : net(seed) {
    link = &net.Connect(nullptr, nullptr, imp);
    client = std::make_unique<Stack>(HostConfig("02:00:00:00:00:0c", "192.0.2.10"), link->end(0),
                                     kEpoch, seed * 2 + 1);
    server = std::make_unique<Stack>(HostConfig("02:00:00:00:00:0d", "192.0.2.20"), link->end(1),
                                     kEpoch, seed * 2 + 2);
    link->Attach(0, client.get());
    link->Attach(1, server.get());
    net.AddHost(client.get());
    net.AddHost(server.get());
    link->set_tap(&wire);
  }

  socket::SockAddr ServerAddr(uint16_t port) const { return {server->config().addr, port}; }

  // A listening socket on the server.
  int Listen(uint16_t port, int backlog = 128) {
    socket::SocketApi& s = server->sockets();
    const int fd = s.Socket();
    if (s.Bind(fd, {wire::Ipv4Address::Any(), port}) != 0) return -1;
    if (s.Listen(fd, backlog) != 0) return -1;
    return fd;
  }

  bool RunUntil(const std::function<bool()>& done, Duration limit = seconds(30)) {
    return net.RunUntil(done, net.now() + limit);
  }

  // Connects a client socket to `port` and accepts it on `listen_fd`; returns {client, server}.
  std::pair<int, int> Establish(int listen_fd, uint16_t port) {
    const int c = client->sockets().Socket();
    client->sockets().Connect(c, ServerAddr(port));
    int s = -1;
    RunUntil([&] {
      if (s < 0) s = server->sockets().Accept(listen_fd);
      return s >= 0 && (client->sockets().Poll(c) & socket::kOut);
    });
    return {c, s};
  }

  // Delivers a segment forged as if the client had sent it (header `h`, no options) to the
  // server now: what a blind attacker or a confused peer could put on the wire.
  void ForgeToServer(const wire::TcpHeaderFields& h, std::span<const uint8_t> payload = {}) {
    std::vector<uint8_t> seg(20 + payload.size());
    wire::WriteTcpSegment(seg, client->config().addr, server->config().addr, h, {}, payload);
    net.Deliver(server.get(),
                Ipv4Frame(server->config().mac, client->config().mac, client->config().addr,
                          server->config().addr, wire::kProtoTcp, seg),
                net.now());
  }

  sim::Network net;
  sim::SimLink* link;
  std::unique_ptr<Stack> client, server;
  RecordingLink wire;  // every frame either side put on the wire, with its time
};

// A host that answers ARP for its address and swallows everything else: a TCP black hole.
class BlackHole final : public Driveable {
 public:
  BlackHole(Link* out, wire::MacAddress mac, wire::Ipv4Address ip)
      : out_(out), mac_(mac), ip_(ip) {}
  void Input(std::span<const uint8_t> frame, Instant now) override {
    if (std::optional<std::vector<uint8_t>> reply = ArpReplyFor(frame, mac_, ip_)) {
      out_->Transmit(*reply, now);
      return;
    }
    swallowed.push_back({now, std::vector<uint8_t>(frame.begin(), frame.end())});
  }
  void Advance(Instant) override {}
  std::optional<Instant> NextDeadline() const override { return std::nullopt; }

  std::vector<SentFrame> swallowed;

 private:
  Link* out_;
  wire::MacAddress mac_;
  wire::Ipv4Address ip_;
};

}  // namespace taptcp::testing
