#include "conformance/pkt/harness.h"

#include "stack/wire/arp.h"
#include "stack/wire/ethernet.h"

namespace taptcp::pkt {
namespace {

// Fixed seed: the same script gives the same ISNs, ports and timestamps on every run, so a
// failure replays exactly (DESIGN.md: simulations are seeded).
constexpr uint64_t kSeed = 0x7061636b65746472;  // "packetdr"

}  // namespace

int OnLinkPrefix(wire::Ipv4Address a, wire::Ipv4Address b) {
  int prefix = 24;
  // Shorten until both addresses share the subnet and neither is its network or broadcast address.
  while (prefix > 0) {
    const uint32_t mask = wire::PrefixMask(prefix);
    const bool same = (a.value & mask) == (b.value & mask);
    auto edge = [&](wire::Ipv4Address x) {
      const uint32_t host = x.value & ~mask;
      return host == 0 || host == ~mask;
    };
    if (same && !edge(a) && !edge(b)) break;
    --prefix;
  }
  return prefix;
}

Harness::Harness(const Config& config, Link* capture, std::function<void()> on_step)
    : config_(config), capture_(capture), on_step_(std::move(on_step)) {
  StackConfig sc;
  sc.mac = kStackMac;
  sc.addr = config.local_ip;
  sc.prefix_len = OnLinkPrefix(config.local_ip, config.remote_ip);
  sc.mtu = config.mtu;
  Link* self = this;  // the stack transmits into this harness
  stack_ = std::make_unique<Stack>(sc, self, kEpoch, kSeed);
}

Harness::~Harness() = default;

void Harness::Transmit(std::span<const uint8_t> frame, Instant now) {
  if (capture_ != nullptr) capture_->Transmit(frame, now);
  wire::EthernetView eth;
  if (wire::EthernetView::Parse(frame, &eth) != wire::DropReason::kNone) return;
  if (eth.ethertype() == wire::kArp) {
    wire::ArpView arp;
    if (wire::ArpView::Parse(eth.payload(), &arp) != wire::DropReason::kNone ||
        arp.op() != wire::kArpOpRequest || arp.target_ip() != config_.remote_ip) {
      return;
    }
    // RFC 826: the peer's reply, unicast back to the asker.
    std::vector<uint8_t> reply(wire::kMinEthernetFrame, 0);
    const size_t n = wire::WriteEthernetHeader(reply, arp.sender_mac(), kPeerMac, wire::kArp);
    wire::WriteArp(std::span<uint8_t>(reply).subspan(n), wire::kArpOpReply, kPeerMac,
                   config_.remote_ip, arp.sender_mac(), arp.sender_ip());
    arp_replies_.push_back(std::move(reply));
    return;
  }
  if (eth.ethertype() == wire::kIpv4) {
    outbound_.push_back({now, std::vector<uint8_t>(frame.begin(), frame.end())});
  }
}

void Harness::Settle() {
  // Replies go in after the stack's call returned: a Link must not call back into the stack.
  while (!arp_replies_.empty()) {
    std::vector<std::vector<uint8_t>> batch;
    batch.swap(arp_replies_);
    for (const std::vector<uint8_t>& f : batch) {
      if (capture_ != nullptr) capture_->Transmit(f, now_);
      stack_->Input(f, now_);
    }
    if (on_step_) on_step_();
  }
}

bool Harness::Step(Instant limit) {
  const std::optional<Instant> next = stack_->NextDeadline();
  if (!next || *next > limit) return false;
  if (*next > now_) {
    now_ = *next;
    stalled_steps_ = 0;
  } else if (++stalled_steps_ > 100000) {
    return false;  // a deadline that never passes: stop rather than spin
  }
  stack_->Advance(now_);
  Settle();
  if (on_step_) on_step_();
  return true;
}

void Harness::AdvanceTo(Instant t) {
  // A deadline may be reported where nothing fires (timers/wheel.h): Step still makes progress,
  // because Advance moves the wheel past it.
  while (Step(t)) {
  }
  if (t > now_) {
    now_ = t;
    stack_->Advance(now_);
    Settle();
  }
}

void Harness::Inject(std::span<const uint8_t> frame) {
  if (capture_ != nullptr) capture_->Transmit(frame, now_);
  stack_->Input(frame, now_);
  Settle();
  if (on_step_) on_step_();
}

}  // namespace taptcp::pkt
