// libFuzzer target for stack/wire. The input is one raw Ethernet frame (so pcaps and the seed
// frames in tests/fuzz/corpus/wire are valid inputs).
//
// Each input is decoded twice: as given, and with its IPv4/ICMP/TCP checksums repaired, so the
// fuzzer reaches the option parsers without having to solve 16-bit sums. ASan/UBSan catch any
// out-of-bounds read. Whatever decodes is re-encoded with the builders and decoded again, and the
// fields must survive (round-trip property); re-encoding that again must give identical bytes
// (the builders are deterministic and canonical). Short inputs also go through the address text
// parsers. Any mismatch aborts with a message.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stack/wire/bytes.h"
#include "stack/wire/checksum.h"
#include "stack/wire/frame.h"

namespace taptcp::wire {
namespace {

#define FUZZ_CHECK(cond)                                                                 \
  do {                                                                                   \
    if (!(cond)) {                                                                       \
      std::fprintf(stderr, "%s:%d: round trip failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                      \
    }                                                                                    \
  } while (0)

bool SameBytes(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0);
}

// Rewrites the IPv4 header checksum and the ICMP/TCP checksum in place, trusting the lengths in
// the headers as far as the buffer allows.
void RepairChecksums(std::vector<uint8_t>& f) {
  if (f.size() < kEthernetHeaderSize + kIpv4MinHeaderSize) return;
  if (Load16(f.data() + 12) != kIpv4) return;
  uint8_t* ip = f.data() + kEthernetHeaderSize;
  const size_t avail = f.size() - kEthernetHeaderSize;
  const size_t ihl = size_t{ip[0] & 0x0Fu} * 4;
  if (ihl < kIpv4MinHeaderSize || ihl > avail) return;
  const size_t total = Load16(ip + 2);
  if (total >= ihl && total <= avail) {
    uint8_t* l4 = ip + ihl;
    const size_t len = total - ihl;
    if (ip[9] == kProtoIcmp && len >= 4) {
      Store16(l4 + 2, 0);
      Store16(l4 + 2, InternetChecksum({l4, len}));
    } else if (ip[9] == kProtoTcp && len >= 18) {
      Store16(l4 + 16, 0);
      Checksum c;
      c.AddPseudoHeader(Ipv4Address{Load32(ip + 12)}, Ipv4Address{Load32(ip + 16)}, kProtoTcp,
                        static_cast<uint16_t>(len));
      c.Add({l4, len});
      Store16(l4 + 16, c.Finish());
    }
  }
  Store16(ip + 10, 0);
  Store16(ip + 10, InternetChecksum({ip, ihl}));
}

Ipv4HeaderFields IpFieldsOf(const Ipv4View& ip) {
  return {.src = ip.src(),
          .dst = ip.dst(),
          .protocol = ip.protocol(),
          .ttl = ip.ttl(),
          .id = ip.id(),
          .dont_fragment = ip.dont_fragment(),
          .tos = ip.tos()};
}

void CheckIpFields(const Ipv4View& a, const Ipv4View& b) {
  FUZZ_CHECK(a.src() == b.src());
  FUZZ_CHECK(a.dst() == b.dst());
  FUZZ_CHECK(a.protocol() == b.protocol());
  FUZZ_CHECK(a.ttl() == b.ttl());
  FUZZ_CHECK(a.id() == b.id());
  FUZZ_CHECK(a.dont_fragment() == b.dont_fragment());
  FUZZ_CHECK(a.tos() == b.tos());
  // Not the payload length: TCP options are rewritten in Linux's layout, which may differ in
  // size from the packed list that came in.
}

// Encodes what `p` decoded into `out` (Ethernet + ARP, or Ethernet + IPv4 (no options) + ICMP or
// TCP). Returns the frame length, 0 if the layer is not re-encodable.
size_t Encode(const ParsedFrame& p, std::vector<uint8_t>& out) {
  const size_t l4_payload = p.layer == ParsedFrame::Layer::kTcp    ? p.tcp.payload().size()
                            : p.layer == ParsedFrame::Layer::kIcmp ? p.icmp.payload().size()
                                                                   : 0;
  // Room for the largest headers we write plus the payload.
  out.assign(kEthernetHeaderSize + kIpv4MinHeaderSize + kTcpMaxHeaderSize + l4_payload, 0);
  size_t n = WriteEthernetHeader(out, p.eth.dst(), p.eth.src(), p.eth.ethertype());
  FUZZ_CHECK(n == kEthernetHeaderSize);
  const std::span<uint8_t> rest = std::span(out).subspan(n);
  if (p.layer == ParsedFrame::Layer::kArp) {
    FUZZ_CHECK(WriteArp(rest, p.arp.op(), p.arp.sender_mac(), p.arp.sender_ip(), p.arp.target_mac(),
                        p.arp.target_ip()) == kArpPacketSize);
    return n + kArpPacketSize;
  }
  const std::span<uint8_t> l4 = rest.subspan(kIpv4MinHeaderSize);
  size_t l4_len = 0;
  if (p.layer == ParsedFrame::Layer::kIcmp) {
    l4_len = WriteIcmpMessage(l4, p.icmp.type(), p.icmp.code(), p.icmp.rest_of_header(),
                              p.icmp.payload());
    FUZZ_CHECK(l4_len == kIcmpHeaderSize + p.icmp.payload().size());
  } else if (p.layer == ParsedFrame::Layer::kTcp) {
    const TcpHeaderFields h{.src_port = p.tcp.src_port(),
                            .dst_port = p.tcp.dst_port(),
                            .seq = p.tcp.seq(),
                            .ack = p.tcp.ack(),
                            .flags = p.tcp.flags(),
                            .window = p.tcp.window(),
                            .urgent = p.tcp.urgent()};
    TcpOptions o = p.tcp.options();
    // Linux's layout pads every option to 32 bits, so a tightly packed list may not fit 40 bytes
    // once rewritten; SACK blocks are what Linux would drop first too (tcp_established_options).
    if (TcpOptionsSize(o) > kTcpMaxOptionsSize) o.sack_count = 0;
    FUZZ_CHECK(TcpOptionsSize(o) <= kTcpMaxOptionsSize);
    // Canonical options can be a few bytes longer than a packed list: skip the rare frame that
    // would then exceed IPv4's 65535-byte total length.
    if (kIpv4MinHeaderSize + kTcpMinHeaderSize + TcpOptionsSize(o) + l4_payload > 0xFFFF) return 0;
    l4_len = WriteTcpSegment(l4, p.ip.src(), p.ip.dst(), h, o, p.tcp.payload());
    FUZZ_CHECK(l4_len == kTcpMinHeaderSize + TcpOptionsSize(o) + p.tcp.payload().size());
  } else {
    return 0;
  }
  FUZZ_CHECK(WriteIpv4Header(rest, IpFieldsOf(p.ip), static_cast<uint16_t>(l4_len)) ==
             kIpv4MinHeaderSize);
  return n + kIpv4MinHeaderSize + l4_len;
}

void CheckRoundTrip(const ParsedFrame& p) {
  std::vector<uint8_t> first;
  const size_t len = Encode(p, first);
  if (len == 0) return;
  first.resize(len);
  ParsedFrame q;
  FUZZ_CHECK(ParseFrame(first, &q) == DropReason::kNone);
  FUZZ_CHECK(q.layer == p.layer);
  FUZZ_CHECK(q.eth.dst() == p.eth.dst() && q.eth.src() == p.eth.src());
  FUZZ_CHECK(q.eth.ethertype() == p.eth.ethertype());
  switch (p.layer) {
    case ParsedFrame::Layer::kArp:
      FUZZ_CHECK(q.arp.op() == p.arp.op());
      FUZZ_CHECK(q.arp.sender_mac() == p.arp.sender_mac());
      FUZZ_CHECK(q.arp.sender_ip() == p.arp.sender_ip());
      FUZZ_CHECK(q.arp.target_mac() == p.arp.target_mac());
      FUZZ_CHECK(q.arp.target_ip() == p.arp.target_ip());
      break;
    case ParsedFrame::Layer::kIcmp:
      CheckIpFields(p.ip, q.ip);
      FUZZ_CHECK(q.icmp.type() == p.icmp.type());
      FUZZ_CHECK(q.icmp.code() == p.icmp.code());
      FUZZ_CHECK(q.icmp.rest_of_header() == p.icmp.rest_of_header());
      FUZZ_CHECK(SameBytes(q.icmp.payload(), p.icmp.payload()));
      break;
    case ParsedFrame::Layer::kTcp: {
      CheckIpFields(p.ip, q.ip);
      FUZZ_CHECK(q.tcp.src_port() == p.tcp.src_port());
      FUZZ_CHECK(q.tcp.dst_port() == p.tcp.dst_port());
      FUZZ_CHECK(q.tcp.seq() == p.tcp.seq());
      FUZZ_CHECK(q.tcp.ack() == p.tcp.ack());
      FUZZ_CHECK(q.tcp.flags() == p.tcp.flags());
      FUZZ_CHECK(q.tcp.window() == p.tcp.window());
      FUZZ_CHECK(q.tcp.urgent() == p.tcp.urgent());
      FUZZ_CHECK(q.tcp.options_status() == DropReason::kNone);
      TcpOptions expected = p.tcp.options();
      if (TcpOptionsSize(expected) > kTcpMaxOptionsSize) expected.sack_count = 0;
      FUZZ_CHECK(q.tcp.options() == expected);
      FUZZ_CHECK(SameBytes(q.tcp.payload(), p.tcp.payload()));
      break;
    }
    default:
      FUZZ_CHECK(false);
  }
  // Canonical: encoding the re-decoded frame gives the same bytes.
  std::vector<uint8_t> second;
  FUZZ_CHECK(Encode(q, second) == len);
  FUZZ_CHECK(SameBytes(std::span(first).first(len), std::span(second).first(len)));
}

void FuzzOne(std::span<const uint8_t> frame) {
  ParsedFrame p;
  const DropReason r = ParseFrame(frame, &p);
  FUZZ_CHECK(static_cast<size_t>(r) < kDropReasonCount);
  FUZZ_CHECK(DropReasonName(r) != "unknown");
  if (r == DropReason::kNone) {
    FUZZ_CHECK(p.layer == ParsedFrame::Layer::kArp || p.layer == ParsedFrame::Layer::kIcmp ||
               p.layer == ParsedFrame::Layer::kTcp);
    CheckRoundTrip(p);
  }
  // Without TCP checksum verification, the same frame decodes at least as far.
  ParsedFrame u;
  const DropReason ru = ParseFrame(frame, &u, /*verify_tcp_checksum=*/false);
  if (r == DropReason::kNone) FUZZ_CHECK(ru == DropReason::kNone);
  if (ru == DropReason::kNone) CheckRoundTrip(u);
}

// The same bytes as text, through the address parsers: what parses must print back to a string
// that parses to the same value (and for IPv4, whose parser accepts only the canonical form, to
// the very same string).
void FuzzAddressText(std::string_view text) {
  if (std::optional<Ipv4Address> a = Ipv4Address::Parse(text)) {
    FUZZ_CHECK(a->ToString() == text);
  }
  if (std::optional<MacAddress> m = MacAddress::Parse(text)) {
    FUZZ_CHECK(MacAddress::Parse(m->ToString()) == m);
  }
  if (auto cidr = ParseCidr(text)) {
    FUZZ_CHECK(cidr->second >= 0 && cidr->second <= 32);
    FUZZ_CHECK(cidr->first.ToString() + "/" + std::to_string(cidr->second) == text);
  }
}

}  // namespace
}  // namespace taptcp::wire

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Copy into an exactly sized heap buffer so ASan sees any read past the frame.
  std::vector<uint8_t> frame(data, data + size);
  taptcp::wire::FuzzOne(frame);
  taptcp::wire::RepairChecksums(frame);
  taptcp::wire::FuzzOne(frame);
  if (size <= 64) taptcp::wire::FuzzAddressText({reinterpret_cast<const char*>(data), size});
  return 0;
}
