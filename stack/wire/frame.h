// One-call decoding of a whole frame: Ethernet -> ARP | IPv4 -> ICMP | TCP. Used by the fuzz
// target, the benchmark, tools and tests; the stack's own input path may call the layers itself.
#pragma once

#include <cstdint>
#include <span>

#include "stack/wire/arp.h"
#include "stack/wire/drop_reason.h"
#include "stack/wire/ethernet.h"
#include "stack/wire/icmp.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/tcp.h"

namespace taptcp::wire {

struct ParsedFrame {
  // The deepest layer that parsed successfully; the views up to it are valid, the others are
  // default-constructed and must not be read.
  enum class Layer : uint8_t { kNone, kEthernet, kArp, kIpv4, kIcmp, kTcp };
  Layer layer = Layer::kNone;
  EthernetView eth;
  ArpView arp;
  Ipv4View ip;
  IcmpView icmp;
  TcpView tcp;
};

// Parses every layer it can. Returns kNone if the frame is ARP, ICMP or TCP and every layer is
// valid; otherwise the first layer's DropReason (an IPv4 packet with another protocol is
// kIpUnsupportedProtocol with `layer` == kIpv4). No address filtering: that needs the
// interface's addresses (kEthNotForUs, kIpNotForUs... are the net layer's).
DropReason ParseFrame(std::span<const uint8_t> frame, ParsedFrame* out,
                      bool verify_tcp_checksum = true);

}  // namespace taptcp::wire
