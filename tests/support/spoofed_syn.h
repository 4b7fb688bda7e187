// Spoofed SYNs for SYN-flood scenarios and benchmarks: seeded random sources in TEST-NET-2
// (198.51.100.0/24, RFC 5737), random ports and ISNs, written straight into a caller's buffer (no
// allocation per frame, so a million of them cost only the writing).
#pragma once

#include <cstdint>
#include <random>
#include <span>

#include "stack/wire/addresses.h"
#include "stack/wire/ethernet.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/tcp.h"
#include "stack/wire/tcp_options.h"

namespace taptcp::testing {

// Room for any SYN this file writes: Ethernet, IPv4, TCP with 20 bytes of options.
inline constexpr size_t kSynFrameMax = wire::kEthernetHeaderSize + 20 + 40;

struct SpoofedSyn {
  wire::Ipv4Address src;
  uint16_t src_port = 0;
  uint32_t isn = 0;
  uint32_t tsval = 0;
};

// Writes the Ethernet frame of a SYN from `syn` to dst:dst_port into `out` (at least
// kSynFrameMax bytes) and returns its length. With `linux_options` the SYN asks for what a Linux
// client asks for (MSS 1460, SACK, timestamps, window scale 7), so a cookie SYN-ACK has to encode
// them in its TSval; without, it is a bare 40-byte SYN as simple flooders send.
inline size_t WriteSynFrame(std::span<uint8_t> out, wire::MacAddress dst_mac,
                            wire::MacAddress src_mac, wire::Ipv4Address dst, uint16_t dst_port,
                            const SpoofedSyn& syn, bool linux_options = true, uint16_t ip_id = 0) {
  wire::TcpHeaderFields h;
  h.src_port = syn.src_port;
  h.dst_port = dst_port;
  h.seq = syn.isn;
  h.flags = wire::kSyn;
  h.window = 64240;
  wire::TcpOptions o;
  if (linux_options) {
    o.mss = 1460;
    o.sack_permitted = true;
    o.timestamp = std::make_pair(syn.tsval, uint32_t{0});
    o.window_scale = 7;
  }
  constexpr size_t kL4 = wire::kEthernetHeaderSize + wire::kIpv4MinHeaderSize;
  const size_t tcp = wire::WriteTcpSegment(out.subspan(kL4), syn.src, dst, h, o, {});
  size_t n = wire::WriteEthernetHeader(out, dst_mac, src_mac, wire::kIpv4);
  wire::Ipv4HeaderFields ip;
  ip.src = syn.src;
  ip.dst = dst;
  ip.protocol = wire::kProtoTcp;
  ip.id = ip_id;
  n += wire::WriteIpv4Header(out.subspan(n), ip, static_cast<uint16_t>(tcp));
  n += tcp;
  if (n < wire::kMinEthernetFrame) {
    std::fill(out.begin() + static_cast<ptrdiff_t>(n),
              out.begin() + static_cast<ptrdiff_t>(wire::kMinEthernetFrame), 0);
    n = wire::kMinEthernetFrame;
  }
  return n;
}

// A seeded stream of spoofed SYN sources: addresses 198.51.100.1..254, ports 1024..65535, random
// ISNs and TSvals. Same seed, same stream.
class SpoofedSynSource {
 public:
  explicit SpoofedSynSource(uint64_t seed) : rng_(seed) {}

  SpoofedSyn Next() {
    const uint64_t r = rng_();
    SpoofedSyn s;
    s.src = wire::Ipv4Address::FromOctets(198, 51, 100, static_cast<uint8_t>(1 + r % 254));
    s.src_port = static_cast<uint16_t>(1024 + (r >> 8) % (65536 - 1024));
    s.isn = static_cast<uint32_t>(r >> 32);
    s.tsval = static_cast<uint32_t>(rng_());
    return s;
  }

 private:
  std::mt19937_64 rng_;
};

}  // namespace taptcp::testing
