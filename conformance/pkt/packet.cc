#include "conformance/pkt/packet.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "conformance/pkt/tcp_options.h"
#include "stack/wire/checksum.h"
#include "stack/wire/ethernet.h"
#include "stack/wire/ipv4.h"

namespace taptcp::pkt {
namespace {

constexpr size_t kIpHeader = 20;
constexpr size_t kTcpHeader = 20;
constexpr uint8_t kProtoTcp = 6;

void Put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void Put32(uint8_t* p, uint32_t v) {
  Put16(p, static_cast<uint16_t>(v >> 16));
  Put16(p + 2, static_cast<uint16_t>(v));
}
uint16_t Get16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }

}  // namespace

size_t TcpPacket::options_bytes() const { return EncodedLength(options); }

TcpPacket FromSpec(const PacketSpec& spec) {
  TcpPacket p;
  p.src_port = spec.src_port;
  p.dst_port = spec.dst_port;
  p.seq = spec.start_seq;
  p.ack = spec.ack;
  p.flags = spec.flag_bits;
  p.reserved = spec.reserved_bits;
  p.window = spec.window < 0 ? 0 : static_cast<uint16_t>(spec.window);
  p.urg_ptr = spec.urg_ptr;
  p.options = spec.options;
  p.payload.assign(spec.payload_len, 0);
  if (spec.ip.tos_check == IpInfo::TosCheck::kEcn || spec.ip.tos_check == IpInfo::TosCheck::kTos) {
    p.tos = spec.ip.tos;
  }
  if (spec.ip.ttl != 0) p.ttl = spec.ip.ttl;
  return p;
}

std::optional<std::vector<uint8_t>> BuildFrame(const TcpPacket& p, wire::MacAddress eth_dst,
                                               wire::MacAddress eth_src, uint16_t ip_id) {
  const std::vector<uint8_t> opts = EncodeOptions(p.options);
  const size_t opt_len = (opts.size() + 3) & ~size_t{3};  // the parser insists on padding anyway
  const size_t tcp_len = kTcpHeader + opt_len + p.payload.size();
  if (kIpHeader + tcp_len > 65535 || opt_len > 40) return std::nullopt;
  std::vector<uint8_t> f(wire::kEthernetHeaderSize + kIpHeader + tcp_len, 0);
  size_t n = wire::WriteEthernetHeader(f, eth_dst, eth_src, wire::kIpv4);
  wire::Ipv4HeaderFields ip;
  ip.src = p.src;
  ip.dst = p.dst;
  ip.protocol = kProtoTcp;
  ip.ttl = p.ttl;
  ip.tos = p.tos;
  ip.id = ip_id;
  n += wire::WriteIpv4Header(std::span<uint8_t>(f).subspan(n), ip, static_cast<uint16_t>(tcp_len));
  uint8_t* t = f.data() + n;
  Put16(t, p.src_port);
  Put16(t + 2, p.dst_port);
  Put32(t + 4, p.seq);
  Put32(t + 8, p.ack);
  t[12] = static_cast<uint8_t>(((kTcpHeader + opt_len) / 4) << 4 | (p.reserved & 0x0F));
  t[13] = p.flags;
  Put16(t + 14, p.window);
  Put16(t + 18, p.urg_ptr);
  if (!opts.empty()) std::memcpy(t + kTcpHeader, opts.data(), opts.size());
  if (!p.payload.empty()) {
    std::memcpy(t + kTcpHeader + opt_len, p.payload.data(), p.payload.size());
  }
  wire::Checksum c;
  c.AddPseudoHeader(p.src, p.dst, kProtoTcp, static_cast<uint16_t>(tcp_len));
  c.Add(std::span<const uint8_t>(t, tcp_len));
  Put16(t + 16, c.Finish());
  if (f.size() < wire::kMinEthernetFrame) f.resize(wire::kMinEthernetFrame, 0);
  return f;
}

std::optional<TcpPacket> ParseFrame(std::span<const uint8_t> frame) {
  if (frame.size() < wire::kEthernetHeaderSize + kIpHeader) return std::nullopt;
  if (Get16(frame.data() + 12) != wire::kIpv4) return std::nullopt;
  const std::span<const uint8_t> ip = frame.subspan(wire::kEthernetHeaderSize);
  const size_t ihl = (ip[0] & 0x0F) * 4u;
  if ((ip[0] >> 4) != 4 || ihl < kIpHeader || ip.size() < ihl || ip[9] != kProtoTcp) {
    return std::nullopt;
  }
  const size_t total = Get16(ip.data() + 2);
  if (total < ihl + kTcpHeader || total > ip.size()) return std::nullopt;
  TcpPacket p;
  if (wire::InternetChecksum(ip.first(ihl)) != 0) p.malformed = "bad outbound IP checksum";
  p.src = wire::Ipv4Address{(uint32_t{ip[12]} << 24) | (uint32_t{ip[13]} << 16) |
                            (uint32_t{ip[14]} << 8) | ip[15]};
  p.dst = wire::Ipv4Address{(uint32_t{ip[16]} << 24) | (uint32_t{ip[17]} << 16) |
                            (uint32_t{ip[18]} << 8) | ip[19]};
  p.tos = ip[1];
  p.ttl = ip[8];
  const std::span<const uint8_t> seg = ip.subspan(ihl, total - ihl);
  const size_t doff = (seg[12] >> 4) * 4u;
  if (doff < kTcpHeader || doff > seg.size()) {
    p.malformed = "bad TCP data offset";
    return p;
  }
  wire::Checksum c;
  c.AddPseudoHeader(p.src, p.dst, kProtoTcp, static_cast<uint16_t>(seg.size()));
  c.Add(seg);
  if (c.Finish() != 0 && p.malformed.empty()) p.malformed = "bad outbound TCP checksum";
  p.src_port = Get16(seg.data());
  p.dst_port = Get16(seg.data() + 2);
  p.seq = ReadU32(seg.data() + 4);
  p.ack = ReadU32(seg.data() + 8);
  p.reserved = seg[12] & 0x0F;
  p.flags = seg[13];
  p.window = Get16(seg.data() + 14);
  p.urg_ptr = Get16(seg.data() + 18);
  std::optional<std::vector<OptionSpec>> opts = DecodeOptions(seg.subspan(kTcpHeader, doff - 20));
  if (opts) {
    p.options = *std::move(opts);
  } else if (p.malformed.empty()) {
    p.malformed = "malformed TCP options";
  }
  p.payload.assign(seg.begin() + static_cast<ptrdiff_t>(doff), seg.end());
  return p;
}

std::string FlagsString(uint8_t flags, uint8_t reserved) {
  std::string s;
  if (flags & 0x01) s += 'F';
  if (flags & 0x02) s += 'S';
  if (flags & 0x04) s += 'R';
  if (flags & 0x08) s += 'P';
  if (flags & 0x10) s += '.';
  if (flags & 0x20) s += 'U';
  if (flags & 0x40) s += 'E';
  if (flags & 0x80) s += 'W';
  if (reserved & 0x01) s += 'A';
  return s.empty() ? "-" : s;
}

std::string FormatTcp(const TcpPacket& p, bool with_window, bool options_wildcard) {
  std::string s =
      absl::StrCat(FlagsString(p.flags, p.reserved), " ", p.seq, ":",
                   p.seq + static_cast<uint32_t>(p.payload.size()), "(", p.payload.size(), ")");
  if (p.has_ack()) absl::StrAppend(&s, " ack ", p.ack);
  if (with_window) absl::StrAppend(&s, " win ", p.window);
  if (p.urg_ptr != 0) absl::StrAppend(&s, " urg ", p.urg_ptr);
  if (options_wildcard) {
    s += " <...>";
  } else if (!p.options.empty()) {
    absl::StrAppend(&s, " <", FormatOptions(p.options), ">");
  }
  return s;
}

std::string FormatSpec(const PacketSpec& spec) {
  return FormatTcp(FromSpec(spec), spec.window >= 0, spec.options_wildcard);
}

}  // namespace taptcp::pkt
