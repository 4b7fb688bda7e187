// Packets: ip info, flags, sequence numbers, ack, window and TCP options, with packetdrill's
// semantic checks (parser.y tcp_packet_spec, tcp_packet.c new_tcp_packet).
#include "conformance/pkt/parser_internal.h"
#include "conformance/pkt/tcp_options.h"

namespace taptcp::pkt {

bool Parser::ParseIpInfo(IpInfo* ip) {
  const char close = Peek().Is('(') ? ')' : ']';
  Take();
  const Token& t = Peek();
  if (t.IsWord("ttl")) {
    Take();
    int64_t v;
    if (!TakeInt(0, 255, "ttl", &v)) return false;
    ip->ttl = static_cast<uint8_t>(v);
  } else if (t.IsWord("noecn") || t.IsWord("ect0") || t.IsWord("ect1") || t.IsWord("ce")) {
    ip->tos_check = IpInfo::TosCheck::kEcn;
    ip->tos = t.IsWord("noecn") ? 0 : t.IsWord("ect1") ? 1 : t.IsWord("ect0") ? 2 : 3;
    Take();
  } else if (t.IsWord("ect01")) {
    ip->tos_check = IpInfo::TosCheck::kEct01;
    Take();
  } else if (t.IsWord("tos")) {
    Take();
    if (Peek().kind != TokenKind::kHex) return Unexpected("a hex tos (0x..)");
    int64_t v;
    if (!TakeInt(0, 255, "tos", &v)) return false;
    ip->tos_check = IpInfo::TosCheck::kTos;
    ip->tos = static_cast<uint8_t>(v);
  } else {
    return Unexpected("noecn, ect0, ect1, ce, ect01, tos 0x.. or ttl N");
  }
  if (Peek().Is(',')) return Fail(Peek(), "unsupported: IPv6 flow labels");
  return ExpectPunct(close);
}

bool Parser::ParseFlags(PacketSpec* p) {
  const Token& t = Peek();
  std::string flags;
  if (t.Is('.')) {
    Take();
    flags.push_back('.');  // (not `= "."`: GCC 12's -Wrestrict misfires on it under -O2 + ASan)
  } else if (t.Is('-')) {
    Take();
  } else if (t.kind == TokenKind::kWord || t.kind == TokenKind::kInteger) {
    flags = Take().text;
    if (Peek().Is('.')) {
      Take();
      flags.push_back('.');
    } else if (Peek().kind == TokenKind::kFloat && Peek().text[0] == '.') {
      flags += Take().text;  // an AccECN counter after the ACK flag: "S.2"
    }
  } else if (t.kind == TokenKind::kFloat && t.text[0] == '.') {
    flags = Take().text;
  } else {
    return Unexpected("TCP flags (S, S., ., P., F., R., -, ...)");
  }
  // tcp_packet.c: ".FSRPEWAU" and the digits 0-7 of an AccECN ACE counter, which cannot be
  // mixed with E, W or A.
  bool ecn = false, ace = false;
  for (char c : flags) {
    switch (c) {
      case 'F':
        p->flag_bits |= 0x01;
        break;
      case 'S':
        p->flag_bits |= 0x02;
        break;
      case 'R':
        p->flag_bits |= 0x04;
        break;
      case 'P':
        p->flag_bits |= 0x08;
        break;
      case '.':
        p->flag_bits |= 0x10;
        break;
      case 'U':
        p->flag_bits |= 0x20;
        break;
      case 'E':
        p->flag_bits |= 0x40;
        ecn = true;
        break;
      case 'W':
        p->flag_bits |= 0x80;
        ecn = true;
        break;
      case 'A':
        p->reserved_bits |= 0x01;
        ecn = true;
        break;
      default:
        if (c >= '0' && c <= '7' && !ace) {
          ace = true;
          const int v = c - '0';
          p->flag_bits |= (v & 1 ? 0x40 : 0) | (v & 2 ? 0x80 : 0);
          p->reserved_bits |= v & 4 ? 0x01 : 0;
          break;
        }
        return Fail(t, absl::StrCat("Invalid TCP flag: '", std::string(1, c), "'"));
    }
    if (ecn && ace) return Fail(t, absl::StrCat("Conflicting TCP flag: '", std::string(1, c), "'"));
  }
  p->ace_flags = ace;
  p->flags = std::move(flags);
  return true;
}

bool Parser::ParsePacket(PacketSpec* p) {
  const Token& dir = Take();
  p->direction = dir.Is('<') ? Direction::kInbound : Direction::kOutbound;
  if (Peek().Is('(') || Peek().Is('[')) {
    if (!ParseIpInfo(&p->ip)) return false;
  }
  const Token& t = Peek();
  if (t.IsWord("udp") || t.IsWord("icmp") || t.IsWord("ipv4") || t.IsWord("ipv6") ||
      t.IsWord("gre") || t.IsWord("GREv0") || t.IsWord("mpls")) {
    return Fail(t, absl::StrCat("unsupported: ", t.text, " packets (taptcp scripts are TCP)"));
  }
  if (t.kind == TokenKind::kInteger && Peek(1).Is('>')) {  // SPORT>DPORT: names the connection
    int64_t sport, dport;
    if (!TakeInt(1, kU16Max, "src port", &sport)) return false;
    Take();
    if (!TakeInt(1, kU16Max, "dst port", &dport)) return false;
    p->src_port = static_cast<uint16_t>(sport);
    p->dst_port = static_cast<uint16_t>(dport);
  }
  if (!ParseFlags(p)) return false;
  if (p->ip.tos_check == IpInfo::TosCheck::kEct01 && p->direction == Direction::kInbound) {
    return Fail(dir, "[ect01] can only be used with outbound packets");
  }
  const Token& seq_tok = Peek();
  int64_t start, end, len;
  if (!TakeInt(0, kU32Max, "TCP start sequence number", &start) || !ExpectPunct(':') ||
      !TakeInt(0, kU32Max, "TCP end sequence number", &end) || !ExpectPunct('(') ||
      !TakeInt(0, kU16Max, "TCP payload size", &len) || !ExpectPunct(')')) {
    return false;
  }
  if (end != start + len) {
    return Fail(seq_tok, "inconsistent TCP sequence numbers and payload size");
  }
  p->start_seq = static_cast<uint32_t>(start);
  p->payload_len = static_cast<uint16_t>(len);
  if (Peek().IsWord("ack")) {
    Take();
    int64_t v;
    if (!TakeInt(0, kU32Max, "TCP ack sequence number", &v)) return false;
    p->ack = static_cast<uint32_t>(v);
  }
  if (Peek().IsWord("win")) {
    Take();
    int64_t v;
    if (!TakeInt(0, kU16Max, "TCP window value", &v)) return false;
    p->window = static_cast<int32_t>(v);
  }
  if (Peek().IsWord("urg")) {
    Take();
    int64_t v;
    if (!TakeInt(0, kU16Max, "urg_ptr value", &v)) return false;
    p->urg_ptr = static_cast<uint16_t>(v);
  }
  const Token& opt_tok = Peek();
  if (opt_tok.Is('<')) {
    Take();
    if (Peek().kind == TokenKind::kEllipsis) {
      Take();
      p->options_wildcard = true;
      if (!ExpectPunct('>')) return false;
      if (p->direction == Direction::kInbound) {
        return Fail(opt_tok, "<...> for TCP options can only be used with outbound packets");
      }
    } else {
      if (!ParseOptionList(p)) return false;
    }
  }
  if (Peek().Is('{')) return Fail(Peek(), "unsupported: packet fuzzing {...}");
  if (p->window < 0 && p->direction == Direction::kInbound) {
    return Fail(dir, "window must be specified for inbound packets");
  }
  const size_t opt_bytes = EncodedLength(p->options);
  if (opt_bytes % 4 != 0) {
    return Fail(opt_tok, absl::StrCat("TCP options are not padded correctly to ensure TCP header "
                                      "is a multiple of 4 bytes: ",
                                      opt_bytes % 4, " excess bytes"));
  }
  if (opt_bytes > 40) return Fail(opt_tok, "TCP header too large");
  return true;
}

bool Parser::ParseOptionList(PacketSpec* p) {
  for (;;) {
    OptionSpec o;
    if (!ParseTcpOption(&o)) return false;
    p->options.push_back(std::move(o));
    if (EncodedLength(p->options) > 40) return Fail(Peek(), "TCP option list too long");
    if (Peek().Is(',')) {
      Take();
      continue;
    }
    return ExpectPunct('>');
  }
}

// A hex blob (Fast Open cookie, MD5 digest): a word or an integer, two digits a byte.
bool Parser::ParseHexBlob(const Token& t, size_t max_bytes, std::string_view what,
                          std::vector<uint8_t>* out) {
  const std::string& s = t.text;
  if (s.size() % 2 != 0) return Fail(t, absl::StrCat(Sv(what), " has an odd number of digits"));
  if (s.size() / 2 > max_bytes) {
    return Fail(t, absl::StrCat(Sv(what), " of ", s.size() / 2, " bytes exceeds maximum length of ",
                                max_bytes, " bytes"));
  }
  for (size_t i = 0; i < s.size(); i += 2) {
    auto nib = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    const int hi = nib(s[i]), lo = nib(s[i + 1]);
    if (hi < 0 || lo < 0) {
      return Fail(t, absl::StrCat(Sv(what), " '", s, "' is not a valid hex string"));
    }
    out->push_back(static_cast<uint8_t>(hi * 16 + lo));
  }
  return true;
}

bool Parser::ParseTcpOption(OptionSpec* o) {
  const Token& t = Peek();
  if (t.kind != TokenKind::kWord) {
    return Unexpected("a TCP option (nop, eol, mss, wscale, sackOK, sack, TS, FO, FOEXP, md5)");
  }
  Take();
  int64_t v;
  if (t.text == "nop" || t.text == "eol") {
    o->kind = t.text == "nop" ? kOptNop : kOptEol;
  } else if (t.text == "mss") {
    if (!TakeInt(0, kU16Max, "mss value", &v)) return false;
    o->kind = kOptMss;
    o->data = {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
  } else if (t.text == "wscale") {
    if (!TakeInt(0, 255, "window scale shift count", &v)) return false;
    o->kind = kOptWindowScale;
    o->data = {static_cast<uint8_t>(v)};
  } else if (t.text == "sackOK") {
    o->kind = kOptSackPermitted;
  } else if (t.text == "sack") {
    o->kind = kOptSack;
    do {
      int64_t l, r;
      if (!TakeInt(0, kU32Max, "TCP SACK left sequence number", &l) || !ExpectPunct(':') ||
          !TakeInt(0, kU32Max, "TCP SACK right sequence number", &r)) {
        return false;
      }
      AppendU32(&o->data, static_cast<uint32_t>(l));
      AppendU32(&o->data, static_cast<uint32_t>(r));
      if (o->data.size() > 38) return Fail(t, "TCP option list too long");
    } while (Peek().kind == TokenKind::kInteger);
  } else if (t.text == "TS") {
    int64_t val, ecr;
    if (!Peek().IsWord("val")) return Unexpected("'val'");
    Take();
    if (!TakeInt(0, kU32Max, "ts val", &val)) return false;
    if (!Peek().IsWord("ecr")) return Unexpected("'ecr'");
    Take();
    if (!TakeInt(0, kU32Max, "ecr val", &ecr)) return false;
    o->kind = kOptTimestamp;
    AppendU32(&o->data, static_cast<uint32_t>(val));
    AppendU32(&o->data, static_cast<uint32_t>(ecr));
  } else if (t.text == "FO" || t.text == "FOEXP") {
    const bool exp = t.text == "FOEXP";
    o->kind = exp ? kOptExperimental : kOptFastOpen;
    if (exp) o->data = {0xF9, 0x89};  // RFC 6994 ExID for Fast Open
    const Token& c = Peek();
    if (c.kind == TokenKind::kWord || c.kind == TokenKind::kInteger) {
      Take();
      if (!ParseHexBlob(c, 16, "TCP fast open cookie", &o->data)) return false;
    }
  } else if (t.text == "md5") {
    const Token& c = Peek();
    if (c.kind != TokenKind::kWord && c.kind != TokenKind::kInteger) {
      return Unexpected("an MD5 digest in hex");
    }
    Take();
    o->kind = kOptMd5;
    if (!ParseHexBlob(c, 16, "TCP MD5 digest", &o->data)) return false;
  } else {
    return Fail(t, absl::StrCat("syntax error: unknown TCP option '", t.text, "'"));
  }
  return true;
}

}  // namespace taptcp::pkt
