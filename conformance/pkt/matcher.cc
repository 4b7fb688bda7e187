#include "conformance/pkt/matcher.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "conformance/pkt/tcp_options.h"

namespace taptcp::pkt {
namespace {

std::optional<std::string> CheckField(std::string_view name, uint32_t expected, uint32_t actual) {
  if (expected == actual) return std::nullopt;
  return absl::StrFormat("live packet field %s: expected: %u (0x%x) vs actual: %u (0x%x)", name,
                         expected, expected, actual, actual);
}

std::optional<std::string> CheckIp(const TcpPacket& a, const PacketSpec& s) {
  // The script's total length, widened by the options actually sent when it said <...>.
  const size_t script_opts = s.options_wildcard ? a.options_bytes() : EncodedLength(s.options);
  const uint32_t script_total = static_cast<uint32_t>(20 + 20 + script_opts + s.payload_len);
  const uint32_t actual_total =
      static_cast<uint32_t>(20 + 20 + a.options_bytes() + a.payload.size());
  if (auto e = CheckField("ipv4_total_length", script_total, actual_total)) {
    if (a.payload.size() == s.payload_len) {  // then the options differ: say so
      absl::StrAppend(&*e, "; the TCP options differ: expected <", FormatOptions(s.options),
                      "> vs actual <", FormatOptions(a.options), ">");
    }
    return e;
  }
  const uint8_t ecn = a.tos & 0x03;
  switch (s.ip.tos_check) {
    case IpInfo::TosCheck::kEct01:
      if (ecn != 1 && ecn != 2) {
        return absl::StrFormat("live packet field ip_ecn: expected: 0x1 or 0x2 vs actual: 0x%x",
                               ecn);
      }
      break;
    case IpInfo::TosCheck::kEcn:
      if (auto e = CheckField("ip_ecn", s.ip.tos, ecn)) return e;
      break;
    case IpInfo::TosCheck::kTos:
      if (auto e = CheckField("tos", s.ip.tos, a.tos)) return e;
      break;
    case IpInfo::TosCheck::kNone:
      break;
  }
  if (s.ip.ttl != 0) {
    if (auto e = CheckField("ttl", s.ip.ttl, a.ttl)) return e;
  }
  return std::nullopt;
}

std::optional<std::string> CheckTcp(const TcpPacket& a, const PacketSpec& s) {
  const size_t script_opts = s.options_wildcard ? a.options_bytes() : EncodedLength(s.options);
  if (auto e = CheckField("tcp_data_offset", static_cast<uint32_t>((20 + script_opts) / 4),
                          static_cast<uint32_t>((20 + a.options_bytes()) / 4))) {
    return e;
  }
  struct Bit {
    const char* name;
    uint8_t mask;
  };
  static constexpr Bit kBits[] = {{"tcp_fin", 0x01}, {"tcp_syn", 0x02}, {"tcp_rst", 0x04},
                                  {"tcp_psh", 0x08}, {"tcp_ack", 0x10}, {"tcp_urg", 0x20}};
  for (const Bit& b : kBits) {
    if (auto e = CheckField(b.name, (s.flag_bits & b.mask) != 0, (a.flags & b.mask) != 0)) {
      return e;
    }
  }
  if (s.ace_flags) {
    // An AccECN ACE counter: AE, CWR and ECE read as one 3-bit number.
    auto ace = [](uint8_t flags, uint8_t reserved) {
      return ((reserved & 0x01) ? 4u : 0u) | ((flags & 0x80) ? 2u : 0u) |
             ((flags & 0x40) ? 1u : 0u);
    };
    if (auto e =
            CheckField("tcp_ace", ace(s.flag_bits, s.reserved_bits), ace(a.flags, a.reserved))) {
      return e;
    }
  } else {
    if (auto e = CheckField("tcp_ece", (s.flag_bits & 0x40) != 0, (a.flags & 0x40) != 0)) return e;
    if (auto e = CheckField("tcp_cwr", (s.flag_bits & 0x80) != 0, (a.flags & 0x80) != 0)) return e;
    if (auto e = CheckField("tcp_ae", s.reserved_bits & 0x01, a.reserved & 0x01)) return e;
  }
  if (auto e =
          CheckField("tcp_reserved_bits", (s.reserved_bits >> 1) & 0x7, (a.reserved >> 1) & 0x7)) {
    return e;
  }
  if (auto e = CheckField("tcp_seq", s.start_seq, a.seq)) return e;
  if (auto e = CheckField("tcp_ack_seq", s.ack, a.ack)) return e;
  if (s.window >= 0) {
    if (auto e = CheckField("tcp_window", static_cast<uint32_t>(s.window), a.window)) return e;
  }
  return CheckField("tcp_urg_ptr", s.urg_ptr, a.urg_ptr);
}

std::optional<std::string> CheckOptions(const TcpPacket& a, const PacketSpec& s,
                                        const MatchConfig& config) {
  if (s.options_wildcard) return std::nullopt;
  const std::vector<OptionSpec>& ao = a.options;
  const std::vector<OptionSpec>& so = s.options;
  for (size_t i = 0; i < std::max(ao.size(), so.size()); ++i) {
    if (i >= ao.size() || i >= so.size() || ao[i].kind != so[i].kind) {
      return absl::StrCat("bad outbound TCP options: expected <", FormatOptions(so),
                          "> vs actual <", FormatOptions(ao), ">");
    }
    const OptionSpec& x = ao[i];
    const OptionSpec& y = so[i];
    if (x.kind == kOptEol || x.kind == kOptNop) continue;
    if (x.kind == kOptTimestamp) {
      // verify_outbound_tcp_option: TS val within the tolerance when ticks are configured.
      if (config.ts_tick_usecs > 0 && x.data.size() == 8 && y.data.size() == 8) {
        const int32_t diff = static_cast<int32_t>(ReadU32(&x.data[0]) - ReadU32(&y.data[0]));
        if (std::llabs(diff) * config.ts_tick_usecs > config.tolerance_usecs) {
          return absl::StrCat("bad outbound TCP timestamp value, tolerance ",
                              config.tolerance_usecs);
        }
      }
      continue;
    }
    if (x.data.size() != y.data.size()) {
      return absl::StrCat("bad lengths for outbound TCP option ", y.kind, ": expected <",
                          FormatOptions({y}), "> vs actual <", FormatOptions({x}), ">");
    }
    if (x.data != y.data) {
      return absl::StrCat("bad value outbound TCP option ", y.kind, ": expected <",
                          FormatOptions({y}), "> vs actual <", FormatOptions({x}), ">");
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> MatchOutbound(const TcpPacket& actual, const PacketSpec& script,
                                         const MatchConfig& config) {
  if (!actual.malformed.empty()) return actual.malformed;
  if (auto e = CheckIp(actual, script)) return e;
  if (auto e = CheckTcp(actual, script)) return e;
  if (auto e = CheckOptions(actual, script, config)) return e;
  for (uint8_t b : actual.payload) {
    if (b != 0) return "incorrect outbound data payload";
  }
  return std::nullopt;
}

}  // namespace taptcp::pkt
