// A stack under test and a scripted TCP peer on one simulated wire, in virtual time. The peer is
// not a TCP: it answers ARP, records every TCP segment the stack sends it, and injects segments a
// test crafts field by field (sequence and acknowledgment numbers, flags, window, payload), so a
// test can put a connection in any state and then probe it with segments no real TCP would send.
// Used by the state/event matrix (tests/scenario/tcp_state_matrix_test.cc).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "stack/sim/network.h"
#include "stack/stack.h"
#include "stack/wire/frame.h"
#include "tests/support/test_frames.h"

namespace taptcp::testing {

// One TCP segment as it went over the wire.
struct WireSegment {
  Instant at;
  uint16_t src_port = 0, dst_port = 0;
  uint8_t flags = 0;
  uint32_t seq = 0, ack = 0;
  uint16_t window = 0;
  wire::TcpOptions options;
  size_t payload = 0;
};

// The TCP segment in an Ethernet frame, if it holds one (checksums verified).
inline std::optional<WireSegment> ParseTcpFrame(Instant at, std::span<const uint8_t> frame) {
  wire::ParsedFrame p;
  if (wire::ParseFrame(frame, &p) != wire::DropReason::kNone ||
      p.layer != wire::ParsedFrame::Layer::kTcp) {
    return std::nullopt;
  }
  WireSegment s;
  s.at = at;
  s.src_port = p.tcp.src_port();
  s.dst_port = p.tcp.dst_port();
  s.flags = p.tcp.flags();
  s.seq = p.tcp.seq();
  s.ack = p.tcp.ack();
  s.window = p.tcp.window();
  s.options = p.tcp.options();
  s.payload = p.tcp.payload().size();
  return s;
}

// What the peer puts in a segment. The payload is `payload` filler bytes.
struct SegmentSpec {
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint8_t flags = 0;
  uint16_t window = 65535;
  size_t payload = 0;
  wire::TcpOptions options;
};

// The scripted peer: a Driveable on the far end of the wire.
class ScriptedPeer final : public Driveable {
 public:
  ScriptedPeer(Link* out, wire::MacAddress mac, wire::Ipv4Address ip)
      : out_(out), mac_(mac), ip_(ip) {}

  void Input(std::span<const uint8_t> frame, Instant now) override {
    if (std::optional<std::vector<uint8_t>> reply = ArpReplyFor(frame, mac_, ip_)) {
      out_->Transmit(*reply, now);
      return;
    }
    if (auto s = ParseTcpFrame(now, frame)) received_.push_back(*s);  // ARP and others: nullopt
  }
  void Advance(Instant) override {}
  std::optional<Instant> NextDeadline() const override { return std::nullopt; }

  // Every TCP segment the stack sent to the peer, in order.
  const std::vector<WireSegment>& received() const { return received_; }

  wire::MacAddress mac() const { return mac_; }
  wire::Ipv4Address ip() const { return ip_; }

 private:
  Link* out_;
  wire::MacAddress mac_;
  wire::Ipv4Address ip_;
  std::vector<WireSegment> received_;
};

// A Stack (192.0.2.20) and a ScriptedPeer (192.0.2.10) on a simulated wire.
class ScriptedPair {
 public:
  explicit ScriptedPair(const sim::Impairments& imp = {}, uint64_t seed = 1) : net_(seed) {
    link_ = &net_.Connect(nullptr, nullptr, imp);
    StackConfig c;
    c.mac = *wire::MacAddress::Parse("02:00:00:00:00:14");
    c.addr = *wire::Ipv4Address::Parse("192.0.2.20");
    stack_ = std::make_unique<Stack>(c, link_->end(0), kEpoch, seed * 2 + 1);
    peer_ =
        std::make_unique<ScriptedPeer>(link_->end(1), *wire::MacAddress::Parse("02:00:00:00:00:0a"),
                                       *wire::Ipv4Address::Parse("192.0.2.10"));
    link_->Attach(0, stack_.get());
    link_->Attach(1, peer_.get());
    net_.AddHost(stack_.get());
    net_.AddHost(peer_.get());
  }

  // Hands a crafted segment from the peer to the stack now (it does not cross the wire, so no
  // impairment applies to it). Returns false if the segment could not be built.
  bool Inject(const SegmentSpec& s) {
    wire::TcpHeaderFields h;
    h.src_port = s.src_port;
    h.dst_port = s.dst_port;
    h.seq = s.seq;
    h.ack = s.ack;
    h.flags = s.flags;
    h.window = s.window;
    const std::vector<uint8_t> payload(s.payload, 0x5a);
    std::vector<uint8_t> seg(wire::kTcpMaxHeaderSize + payload.size());
    const size_t n =
        wire::WriteTcpSegment(seg, peer_->ip(), stack_->config().addr, h, s.options, payload);
    if (n == 0) return false;
    seg.resize(n);
    const auto frame = Ipv4Frame(stack_->config().mac, peer_->mac(), peer_->ip(),
                                 stack_->config().addr, wire::kProtoTcp, seg, ++ip_id_);
    net_.Deliver(stack_.get(), frame, net_.now());
    return true;
  }

  sim::Network& net() { return net_; }
  Stack& stack() { return *stack_; }
  ScriptedPeer& peer() { return *peer_; }
  Instant now() const { return net_.now(); }
  void RunFor(Duration d) { net_.RunFor(d); }

 private:
  sim::Network net_;
  sim::SimLink* link_;
  std::unique_ptr<Stack> stack_;
  std::unique_ptr<ScriptedPeer> peer_;
  uint16_t ip_id_ = 0;
};

}  // namespace taptcp::testing
