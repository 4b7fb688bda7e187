// Differential test: stack/wire against libtins (a second, independent decoder) and against a
// deliberately naive reference validator written here from the RFCs, over >= 100,000 random and
// mutated frames with fixed seeds.
//
// What "agree" means, precisely:
//  1. Accept/reject and the DropReason: ParseFrame must return exactly what Reference() below
//     returns. Reference() shares no code with stack/wire: byte-at-a-time RFC 1071 checksums,
//     its own option walkers. This is the independent justification of every rejection (bad
//     checksum recomputed, length mismatch, ...) and also catches frames we accept but should not.
//     libtins cannot be that oracle: it validates no checksum, no IP version, no ARP hlen/plen/op,
//     no fragments, and reads past IP total length into padding in places.
//  2. Every frame we accept must also parse in libtins without an exception, and every field
//     both decoders expose must be equal: Ethernet addresses and type; ARP op, addresses, formats;
//     IPv4 header fields and the transport protocol; ICMP type, code, checksum and for echo id,
//     sequence and data; TCP ports, seq, ack, data offset, flags, window, checksum, urgent pointer,
//     payload bytes, and options: libtins's list of (kind, data) with Linux's rules applied by
//     ExpectedOptions() (exact lengths, last one wins, Fast Open cookie lengths) must equal our
//     TcpOptions.
//     Exceptions, each counted and printed:
//      - kTcpBadOption: we keep the segment (Linux tcp_parse_options stops parsing and keeps it),
//        libtins throws malformed_packet on the same option list. Required: libtins throws.
//      - TCP options with bytes after an EOL that do not form a valid list: libtins 4.0 keeps
//        parsing past EOL (and lists EOL as an option); RFC 9293 §3.2 and Linux stop there. A
//        libtins exception is accepted only if a libtins-style walk (EOL as a one-byte option)
//        fails on those bytes; when it does not throw, ExpectedOptions() stops at the EOL entry.
//      - IP options: libtins 4.0 rejects an EOL that is not the last option byte (RFC 791 and
//        Linux stop at EOL and ignore the rest), and it reads the kind byte as a bitfield, so any
//        kind whose 5-bit number is 0 or 1 (0x80, 0x21...) is a one-byte option to it, where
//        RFC 791 and ip_options_compile treat only 0 and 1 so. A libtins exception is accepted
//        only if that libtins-style walk of the options fails.
//  3. Frames we reject are not compared field by field; how libtins handled them (threw or
//     accepted leniently) is counted per DropReason.
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "stack/wire/frame.h"
#include "tins/tins.h"

namespace taptcp::wire {
namespace {

using Bytes = std::vector<uint8_t>;

// ---------------------------------------------------------------------------------------------
// Reference validator (independent of stack/wire).

uint16_t Be16(const Bytes& b, size_t at) { return static_cast<uint16_t>(b[at] << 8 | b[at + 1]); }

// RFC 1071 §4.1, one 16-bit word at a time, over b[from, to).
uint16_t RefChecksum(const Bytes& b, size_t from, size_t to, uint32_t initial = 0) {
  uint32_t sum = initial;
  for (size_t i = from; i < to; i += 2) {
    sum += static_cast<uint32_t>(b[i] << 8) + (i + 1 < to ? b[i + 1] : 0);
    while (sum > 0xFFFF) sum = (sum & 0xFFFF) + (sum >> 16);
  }
  return static_cast<uint16_t>(~sum);
}

uint32_t RefPseudoSum(const Bytes& f, size_t ip, size_t tcp_len) {
  uint32_t sum = 0;
  for (size_t i = 12; i < 20; i += 2) sum += Be16(f, ip + i);
  return sum + 6 + static_cast<uint32_t>(tcp_len);
}

// Walks a kind/length option list (the format RFC 791 and RFC 9293 share); false if malformed.
bool RefOptionsWellFormed(const Bytes& b, size_t from, size_t to) {
  for (size_t i = from; i < to;) {
    if (b[i] == 0) return true;
    if (b[i] == 1) {
      i += 1;
    } else if (i + 1 >= to || b[i + 1] < 2 || i + b[i + 1] > to) {
      return false;
    } else {
      i += b[i + 1];
    }
  }
  return true;
}

struct RefResult {
  DropReason reason = DropReason::kNone;
  bool tcp_options_bad = false;
};

RefResult Reference(const Bytes& f) {
  using R = DropReason;
  if (f.size() < 14) return {R::kEthTruncated};
  const uint16_t type = Be16(f, 12);
  const size_t n = f.size() - 14;
  if (type == 0x0806) {
    if (n < 28) return {R::kArpTruncated};
    if (f[18] != 6 || f[19] != 4) return {R::kArpUnsupported};
    if ((Be16(f, 14) != 1 && Be16(f, 14) != 6) || Be16(f, 16) != 0x0800) {
      return {R::kArpUnsupported};
    }
    if (Be16(f, 20) != 1 && Be16(f, 20) != 2) return {R::kArpBadOp};
    return {};
  }
  if (type != 0x0800) return {R::kEthUnsupportedType};
  const size_t ip = 14;
  if (n < 20) return {R::kIpTruncated};
  if (f[ip] >> 4 != 4) return {R::kIpBadVersion};
  const size_t ihl = (f[ip] & 15u) * 4;
  if (ihl < 20) return {R::kIpBadHeaderLength};
  if (n < ihl) return {R::kIpTruncated};
  if (RefChecksum(f, ip, ip + ihl) != 0) return {R::kIpBadChecksum};
  const size_t total = Be16(f, ip + 2);
  if (total > n || total < ihl) return {R::kIpBadTotalLength};
  if (!RefOptionsWellFormed(f, ip + 20, ip + ihl)) return {R::kIpBadOptions};
  if ((Be16(f, ip + 6) & 0x3FFF) != 0) return {R::kIpFragment};
  const size_t l4 = ip + ihl, l4_end = ip + total, l4_len = total - ihl;
  if (f[ip + 9] == 1) {
    if (RefChecksum(f, l4, l4_end) != 0) return {R::kIcmpBadChecksum};
    if (l4_len < 8) return {R::kIcmpTruncated};
    return {};
  }
  if (f[ip + 9] != 6) return {R::kIpUnsupportedProtocol};
  if (l4_len < 20) return {R::kTcpTruncated};
  const size_t doff = (f[l4 + 12] >> 4) * 4u;
  if (doff < 20 || doff > l4_len) return {R::kTcpBadDataOffset};
  if (RefChecksum(f, l4, l4_end, RefPseudoSum(f, ip, l4_len)) != 0) return {R::kTcpBadChecksum};
  return {R::kNone, !RefOptionsWellFormed(f, l4 + 20, l4 + doff)};
}

// Recomputes the IPv4 header checksum and the ICMP/TCP checksum over what the (possibly
// mutated) header says, so mutations reach the deeper checks.
void RefFixChecksums(Bytes& f) {
  if (f.size() < 34 || Be16(f, 12) != 0x0800) return;
  const size_t ip = 14, ihl = (f[ip] & 15u) * 4;
  if (ihl < 20 || f.size() < ip + ihl) return;
  const size_t total = Be16(f, ip + 2);
  if (total >= ihl && ip + total <= f.size()) {
    const size_t l4 = ip + ihl, len = total - ihl;
    if (f[ip + 9] == 1 && len >= 4) {
      f[l4 + 2] = f[l4 + 3] = 0;
      const uint16_t c = RefChecksum(f, l4, l4 + len);
      f[l4 + 2] = static_cast<uint8_t>(c >> 8);
      f[l4 + 3] = static_cast<uint8_t>(c);
    } else if (f[ip + 9] == 6 && len >= 18) {
      f[l4 + 16] = f[l4 + 17] = 0;
      const uint16_t c = RefChecksum(f, l4, l4 + len, RefPseudoSum(f, ip, len));
      f[l4 + 16] = static_cast<uint8_t>(c >> 8);
      f[l4 + 17] = static_cast<uint8_t>(c);
    }
  }
  f[ip + 10] = f[ip + 11] = 0;
  const uint16_t c = RefChecksum(f, ip, ip + ihl);
  f[ip + 10] = static_cast<uint8_t>(c >> 8);
  f[ip + 11] = static_cast<uint8_t>(c);
}

// ---------------------------------------------------------------------------------------------
// Frame generation: valid frames from libtins and from our builders, then mutations.

class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}

  uint32_t U32() { return static_cast<uint32_t>(rng_()); }
  uint32_t Below(uint32_t n) { return U32() % n; }
  bool Chance(uint32_t percent) { return Below(100) < percent; }
  Bytes RandomBytes(size_t n) {
    Bytes b(n);
    for (auto& x : b) x = static_cast<uint8_t>(U32());
    return b;
  }

  Bytes ValidFrame() {
    switch (Below(6)) {
      case 0:
        return TinsArp();
      case 1:
        return TinsIcmp();
      case 2:
      case 3:
        return TinsTcp();
      default:
        return OurTcp();
    }
  }

  Bytes TinsArp() {
    Tins::ARP arp(RandomIp(), RandomIp(), RandomMac(), RandomMac());
    arp.opcode(Chance(50) ? Tins::ARP::REQUEST : Tins::ARP::REPLY);
    Tins::EthernetII eth = Tins::EthernetII(RandomMac(), RandomMac()) / arp;
    Bytes f = eth.serialize();
    if (Chance(50)) f.resize(std::max<size_t>(f.size(), 60), 0);
    return f;
  }

  Bytes TinsIcmp() {
    Tins::ICMP icmp(Chance(50) ? Tins::ICMP::ECHO_REQUEST : Tins::ICMP::ECHO_REPLY);
    icmp.id(static_cast<uint16_t>(U32()));
    icmp.sequence(static_cast<uint16_t>(U32()));
    Tins::IP ip(RandomIp(), RandomIp());
    ip.ttl(static_cast<uint8_t>(U32()));
    ip.id(static_cast<uint16_t>(U32()));
    Tins::EthernetII eth = Tins::EthernetII(RandomMac(), RandomMac()) / ip / icmp /
                           Tins::RawPDU(RandomBytes(1 + Below(64)));
    return eth.serialize();
  }

  Bytes TinsTcp() {
    Tins::TCP tcp(static_cast<uint16_t>(U32()), static_cast<uint16_t>(U32()));
    tcp.seq(U32());
    tcp.ack_seq(U32());
    tcp.flags(static_cast<uint8_t>(U32()));
    tcp.window(static_cast<uint16_t>(U32()));
    if (Chance(50)) tcp.mss(static_cast<uint16_t>(U32()));
    if (Chance(50)) tcp.sack_permitted();
    if (Chance(50)) tcp.timestamp(U32(), U32());
    if (Chance(50)) tcp.winscale(static_cast<uint8_t>(Below(16)));
    if (Chance(20)) tcp.sack({U32(), U32(), U32(), U32()});
    if (Chance(10)) {
      const Bytes cookie = RandomBytes(4 + 2 * Below(7));  // libtins cannot write an empty one
      tcp.add_option(
          Tins::TCP::option(static_cast<Tins::TCP::OptionTypes>(34), cookie.size(), cookie.data()));
    }
    if (tcp.header_size() > 60) tcp = Tins::TCP(1, 2);  // too many options for one header
    Tins::IP ip(RandomIp(), RandomIp());
    if (Chance(50)) ip.flags(Tins::IP::DONT_FRAGMENT);
    Tins::EthernetII eth = Tins::EthernetII(RandomMac(), RandomMac()) / ip / tcp;
    const size_t payload = Chance(30) ? 0 : 1 + Below(Chance(10) ? 1400 : 40);
    if (payload > 0) eth /= Tins::RawPDU(RandomBytes(payload));
    Bytes f = eth.serialize();
    if (Chance(20)) f.resize(std::max<size_t>(f.size(), 60), 0);
    return f;
  }

  Bytes OurTcp() {
    TcpOptions o;
    if (Chance(50)) o.mss = static_cast<uint16_t>(U32());
    if (Chance(50)) o.window_scale = static_cast<uint8_t>(Below(15));
    o.sack_permitted = Chance(50);
    if (Chance(50)) o.timestamp = {{U32(), U32()}};
    if (Chance(20)) {
      o.sack_count = static_cast<uint8_t>(1 + Below(3));
      for (auto& s : o.sack) s = {U32(), U32()};
    }
    if (Chance(20)) {
      FastOpenOption tfo;
      tfo.experimental = Chance(50);
      tfo.cookie_len = static_cast<uint8_t>(Chance(30) ? 0 : 4 + 2 * Below(7));
      for (auto& c : tfo.cookie) c = static_cast<uint8_t>(U32());
      o.fast_open = tfo;
    }
    if (TcpOptionsSize(o) > kTcpMaxOptionsSize) o.fast_open.reset();
    if (TcpOptionsSize(o) > kTcpMaxOptionsSize) o.sack_count = 0;
    Bytes f(kMaxEthernetFrame);
    const Ipv4Address src{U32()}, dst{U32()};
    size_t n = WriteEthernetHeader(f, MacAddress{}, MacAddress::Broadcast(), kIpv4);
    const Bytes payload = RandomBytes(Chance(30) ? 0 : Below(200));
    const TcpHeaderFields h{.src_port = static_cast<uint16_t>(U32()),
                            .dst_port = static_cast<uint16_t>(U32()),
                            .seq = U32(),
                            .ack = U32(),
                            .flags = static_cast<uint8_t>(U32()),
                            .window = static_cast<uint16_t>(U32()),
                            .urgent = static_cast<uint16_t>(U32())};
    const size_t len = WriteTcpSegment(std::span(f).subspan(n + 20), src, dst, h, o, payload);
    n += WriteIpv4Header(std::span(f).subspan(n), {.src = src, .dst = dst, .protocol = kProtoTcp},
                         static_cast<uint16_t>(len));
    f.resize(n + len);
    return f;
  }

  // One or more mutations; afterwards checksums are usually repaired so the frame gets deeper.
  Bytes Mutate(Bytes f) {
    const size_t ip = 14;
    const int rounds = 1 + static_cast<int>(Below(3));
    for (int r = 0; r < rounds; ++r) {
      // Recomputed every round: an earlier round may have truncated or replaced the frame.
      const bool is_ip = f.size() >= 34 && Be16(f, 12) == 0x0800;
      const size_t l4 = ip + (is_ip ? (f[ip] & 15u) * 4 : 0);
      switch (Below(11)) {
        case 0:  // flip random bytes
          for (uint32_t k = 0, m = 1 + Below(4); k < m && !f.empty(); ++k) {
            f[Below(static_cast<uint32_t>(f.size()))] ^= static_cast<uint8_t>(1 + Below(255));
          }
          break;
        case 1:  // truncate
          f.resize(Below(static_cast<uint32_t>(f.size() + 1)));
          break;
        case 2:  // trailing garbage / padding
          for (uint8_t b : RandomBytes(1 + Below(40))) f.push_back(b);
          break;
        case 3:  // IHL
          if (f.size() > ip) f[ip] = static_cast<uint8_t>((f[ip] & 0xF0) | Below(16));
          break;
        case 4:  // TCP data offset
          if (is_ip && f.size() > l4 + 12) {
            f[l4 + 12] = static_cast<uint8_t>((Below(16) << 4) | (f[l4 + 12] & 15));
          }
          break;
        case 5:  // random bytes over the TCP option area (or IP options after an IHL change)
          if (is_ip && f.size() > l4 + 20) {
            const size_t end = std::min<size_t>(f.size(), l4 + (f[l4 + 12] >> 4) * 4u);
            for (size_t i = l4 + 20; i < end; ++i) {
              if (Chance(40)) f[i] = static_cast<uint8_t>(Chance(50) ? Below(11) : U32());
            }
          }
          break;
        case 6:  // IP total length
          if (is_ip) {
            const uint16_t t = Chance(50) ? static_cast<uint16_t>(Be16(f, ip + 2) + Below(9) - 4)
                                          : static_cast<uint16_t>(U32());
            f[ip + 2] = static_cast<uint8_t>(t >> 8);
            f[ip + 3] = static_cast<uint8_t>(t);
          }
          break;
        case 7:  // fragment bits, version, protocol
          if (is_ip) {
            const uint32_t which = Below(3);
            if (which == 0) f[ip + 6] = static_cast<uint8_t>(U32()), f[ip + 7] = 0;
            if (which == 1) f[ip] = static_cast<uint8_t>((Below(16) << 4) | (f[ip] & 15));
            if (which == 2) f[ip + 9] = Chance(50) ? 17 : static_cast<uint8_t>(U32());
          }
          break;
        case 8:  // EtherType (VLAN, IPv6, ARP/IPv4 swapped)
          if (f.size() >= 14) {
            const uint16_t types[] = {0x0800, 0x0806, 0x8100, 0x86DD, 0x88A8, 0x05DC};
            const uint16_t t = types[Below(6)];
            f[12] = static_cast<uint8_t>(t >> 8);
            f[13] = static_cast<uint8_t>(t);
          }
          break;
        case 9:  // ARP header fields
          if (f.size() >= 22 && Be16(f, 12) == 0x0806)
            f[14 + Below(8)] = static_cast<uint8_t>(Below(8));
          break;
        default:  // pure garbage after a plausible IPv4 start
          f = RandomBytes(14 + Below(120));
          f[12] = 0x08;
          f[13] = 0x00;
          if (f.size() > 14) f[14] = static_cast<uint8_t>(0x40 | (5 + Below(3)));
          break;
      }
    }
    if (Chance(75)) RefFixChecksums(f);
    return f;
  }

 private:
  Tins::IPv4Address RandomIp() { return Tins::IPv4Address(U32()); }
  Tins::HWAddress<6> RandomMac() {
    const Bytes b = RandomBytes(6);
    return Tins::HWAddress<6>(b.data());
  }

  std::mt19937 rng_;
};

// ---------------------------------------------------------------------------------------------
// Comparison against libtins.

// libtins's option list with Linux tcp_parse_options's rules applied (see ParseTcpOptions).
TcpOptions ExpectedOptions(const Tins::TCP& tcp) {
  TcpOptions o;
  auto tfo = [&](const uint8_t* cookie, size_t len, bool exp) {
    if (len % 2 != 0) return;
    if (len == 0 || (len >= 4 && len <= 16)) {
      FastOpenOption f;
      f.experimental = exp;
      f.cookie_len = static_cast<uint8_t>(len);
      std::copy(cookie, cookie + len, f.cookie.begin());
      o.fast_open = f;
    } else {
      o.fast_open.reset();
    }
  };
  for (const Tins::TCP::option& opt : tcp.options()) {
    if (opt.option() == Tins::TCP::EOL) break;  // libtins lists what follows EOL; Linux stops
    const uint8_t* d = opt.data_ptr();
    const size_t n = opt.data_size();
    auto be32 = [&](size_t at) {
      return static_cast<uint32_t>(d[at] << 24 | d[at + 1] << 16 | d[at + 2] << 8 | d[at + 3]);
    };
    switch (static_cast<int>(opt.option())) {
      case 2:
        if (n == 2) o.mss = static_cast<uint16_t>(d[0] << 8 | d[1]);
        break;
      case 3:
        if (n == 1) o.window_scale = d[0];
        break;
      case 4:
        if (n == 0) o.sack_permitted = true;
        break;
      case 8:
        if (n == 8) o.timestamp = {{be32(0), be32(4)}};
        break;
      case 5:
        if (n >= 8 && n % 8 == 0) {
          o.sack_count = static_cast<uint8_t>(std::min<size_t>(n / 8, 4));
          for (size_t b = 0; b < o.sack_count; ++b) o.sack[b] = {be32(8 * b), be32(8 * b + 4)};
        }
        break;
      case 34:
        tfo(d, n, false);
        break;
      case 254:
        if (n >= 2 && d[0] == 0xF9 && d[1] == 0x89) tfo(d + 2, n - 2, true);
        break;
      default:
        break;
    }
  }
  return o;
}

Bytes PayloadOf(const Tins::PDU& pdu) {
  const Tins::RawPDU* raw = pdu.find_pdu<Tins::RawPDU>();
  return raw ? raw->payload() : Bytes{};
}

// Compares every field; returns "" or a description of the first difference.
std::string CompareWithTins(const ParsedFrame& p, const Tins::EthernetII& eth) {
  auto mac = [](MacAddress m) { return Tins::HWAddress<6>(m.bytes.data()); };
  auto ip4 = [](Ipv4Address a) { return Tins::IPv4Address(a.ToString()); };
  if (eth.dst_addr() != mac(p.eth.dst()) || eth.src_addr() != mac(p.eth.src())) return "eth addr";
  if (eth.payload_type() != p.eth.ethertype()) return "ethertype";
  if (p.layer == ParsedFrame::Layer::kArp) {
    const Tins::ARP* a = eth.find_pdu<Tins::ARP>();
    if (a == nullptr) return "no ARP";
    if (a->opcode() != p.arp.op() || a->hw_addr_format() != p.arp.hardware_type() ||
        a->prot_addr_format() != kIpv4 || a->hw_addr_length() != 6 || a->prot_addr_length() != 4)
      return "arp header";
    if (a->sender_hw_addr() != mac(p.arp.sender_mac()) ||
        a->target_hw_addr() != mac(p.arp.target_mac()) ||
        a->sender_ip_addr() != ip4(p.arp.sender_ip()) ||
        a->target_ip_addr() != ip4(p.arp.target_ip()))
      return "arp addresses";
    return "";
  }
  const Tins::IP* ip = eth.find_pdu<Tins::IP>();
  if (ip == nullptr) return "no IP";
  if (ip->head_len() * 4u != p.ip.ihl_bytes() || ip->tos() != p.ip.tos() ||
      ip->tot_len() != p.ip.total_length() || ip->id() != p.ip.id() || ip->ttl() != p.ip.ttl() ||
      ip->protocol() != p.ip.protocol() || ip->checksum() != p.ip.header_checksum() ||
      ip->src_addr() != ip4(p.ip.src()) || ip->dst_addr() != ip4(p.ip.dst()) ||
      ((ip->flags() & Tins::IP::DONT_FRAGMENT) != 0) != p.ip.dont_fragment())
    return "ip header";
  if (p.layer == ParsedFrame::Layer::kIcmp) {
    const Tins::ICMP* icmp = eth.find_pdu<Tins::ICMP>();
    if (icmp == nullptr) return "no ICMP";
    if (icmp->type() != p.icmp.type() || icmp->code() != p.icmp.code() ||
        icmp->checksum() != p.icmp.checksum())
      return "icmp header";
    if (p.icmp.type() == kEchoRequest || p.icmp.type() == kEchoReply) {
      if (icmp->id() != p.icmp.echo_id() || icmp->sequence() != p.icmp.echo_seq()) return "echo";
      const Bytes data = PayloadOf(*icmp);
      if (!std::equal(data.begin(), data.end(), p.icmp.payload().begin(), p.icmp.payload().end()))
        return "echo data";
    }
    return "";
  }
  const Tins::TCP* tcp = eth.find_pdu<Tins::TCP>();
  if (tcp == nullptr) return "no TCP";
  if (tcp->sport() != p.tcp.src_port() || tcp->dport() != p.tcp.dst_port() ||
      tcp->seq() != p.tcp.seq() || tcp->ack_seq() != p.tcp.ack() ||
      tcp->data_offset() * 4u != p.tcp.data_offset_bytes() ||
      (tcp->flags() & 0xFF) != p.tcp.flags() || tcp->window() != p.tcp.window() ||
      tcp->checksum() != p.tcp.checksum() || tcp->urg_ptr() != p.tcp.urgent())
    return "tcp header";
  const Bytes data = PayloadOf(*tcp);
  if (!std::equal(data.begin(), data.end(), p.tcp.payload().begin(), p.tcp.payload().end()))
    return "tcp payload";
  if (!(ExpectedOptions(*tcp) == p.tcp.options())) return "tcp options";
  return "";
}

// libtins 4.0 does not stop at a TCP EOL: it records it and keeps parsing (RFC 9293 §3.2 and
// Linux stop). True if the bytes after an EOL would make that walk fail.
bool TinsWalksPastTcpEolIntoGarbage(const ParsedFrame& p) {
  const std::span<const uint8_t> b = p.tcp.options_bytes();
  bool saw_eol = false;
  for (size_t i = 0; i < b.size();) {
    if (b[i] <= 1) {
      saw_eol |= b[i] == 0;
      ++i;
    } else if (i + 1 >= b.size() || b[i + 1] < 2 || i + b[i + 1] > b.size()) {
      return saw_eol;
    } else {
      i += b[i + 1];
    }
  }
  return false;
}

// libtins 4.0 walks IP options differently from RFC 791 and Linux ip_options_compile: an EOL
// that is not the last option byte is an error to it (RFC 791 allows any bytes after EOL), and
// it decides "single byte" on the 5-bit number field of the kind byte, so 0x80 or 0x21 are
// one-byte options to it. True if that walk fails where ours succeeded.
bool TinsIpOptionWalkFails(const ParsedFrame& p) {
  if (p.layer < ParsedFrame::Layer::kIpv4) return false;
  const std::span<const uint8_t> b = p.ip.options();
  for (size_t i = 0; i < b.size();) {
    if (b[i] == 0) return i + 1 != b.size();
    if ((b[i] & 0x1F) <= 1) {
      ++i;
    } else if (i + 1 >= b.size() || b[i + 1] < 2 || i + b[i + 1] > b.size()) {
      return true;
    } else {
      i += b[i + 1];
    }
  }
  return false;
}

std::string Hex(const Bytes& f) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s;
  for (uint8_t b : f) {
    s += kDigits[b >> 4];
    s += kDigits[b & 15];
  }
  return s;
}

TEST(WireLibtinsDiffTest, RandomAndMutatedFrames) {
  constexpr int kFrames = 200000;
  Generator gen(20240917);
  std::map<std::string, int> accepted, rejected, explained;
  int failures = 0;
  for (int i = 0; i < kFrames; ++i) {
    Bytes f = gen.ValidFrame();
    if (i % 8 != 0) f = gen.Mutate(std::move(f));  // 1/8 stay valid

    ParsedFrame p;
    const DropReason ours = ParseFrame(f, &p);
    const RefResult ref = Reference(f);
    std::unique_ptr<Tins::EthernetII> tins;
    try {
      tins = std::make_unique<Tins::EthernetII>(f.data(), static_cast<uint32_t>(f.size()));
    } catch (const Tins::exception_base&) {
    }

    std::string problem;
    if (ours != ref.reason) {
      problem = "reason " + std::string(DropReasonName(ours)) + " vs reference " +
                std::string(DropReasonName(ref.reason));
    } else if (ours != DropReason::kNone) {
      rejected[std::string(DropReasonName(ours)) +
               (tins ? " (libtins accepted)" : " (libtins threw)")]++;
    } else {
      const bool bad_opts = p.layer == ParsedFrame::Layer::kTcp &&
                            p.tcp.options_status() == DropReason::kTcpBadOption;
      if (bad_opts != ref.tcp_options_bad) {
        problem = "options_status disagrees with reference";
      } else if (bad_opts) {
        if (tins) {
          problem = "libtins accepted a malformed TCP option list";
        } else {
          explained["tcp_bad_option kept (libtins threw)"]++;
        }
      } else if (!tins) {
        if (p.layer == ParsedFrame::Layer::kTcp && TinsWalksPastTcpEolIntoGarbage(p)) {
          explained["tcp garbage after EOL (libtins threw)"]++;
        } else if (TinsIpOptionWalkFails(p)) {
          explained["ip options: EOL not last / kind bitfield (libtins threw)"]++;
        } else {
          problem = "libtins threw on a frame we accept";
        }
      } else {
        problem = CompareWithTins(p, *tins);
        if (problem.empty()) {
          const char* names[] = {"none", "eth", "arp", "ipv4", "icmp", "tcp"};
          accepted[names[static_cast<int>(p.layer)]]++;
        }
      }
    }
    if (!problem.empty()) {
      ++failures;
      if (failures <= 10) {
        ADD_FAILURE() << "frame " << i << ": " << problem << "\n" << Hex(f);
      }
    }
  }
  std::printf("wire vs libtins: %d frames\n", kFrames);
  for (const auto& [k, v] : accepted)
    std::printf("  accepted, all fields equal: %-8s %7d\n", k.c_str(), v);
  for (const auto& [k, v] : explained)
    std::printf("  accepted, explained: %-40s %7d\n", k.c_str(), v);
  for (const auto& [k, v] : rejected) std::printf("  rejected: %-48s %7d\n", k.c_str(), v);
  EXPECT_EQ(failures, 0);
}

}  // namespace
}  // namespace taptcp::wire
