#include "conformance/pkt/config.h"

#include <charconv>
#include <cmath>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "stack/absl_sv.h"

namespace taptcp::pkt {
namespace {

absl::Status Error(const ScriptOption& o, std::string_view msg) {
  return absl::InvalidArgumentError(absl::StrCat(o.line, ":", o.col, ": ", Sv(msg)));
}

bool ParseInt(const std::string& s, int64_t lo, int64_t hi, int64_t* out) {
  int64_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < lo || v > hi) return false;
  *out = v;
  return true;
}

// Flags packetdrill has that make no sense for an in-process stack in virtual time.
constexpr std::string_view kUnsupported[] = {
    "wire_client",     "wire_server",     "wire_server_ip", "wire_server_at", "wire_server_port",
    "wire_client_dev", "wire_server_dev", "so_filename",    "so_flags",       "code_command",
    "code_format",     "code_sockopt",    "init_scripts",   "non_fatal",      "is_anyip",
    "send_omit_free",  "define",          "debug",          "gateway_ip",     "netmask_ip",
    "speed",
};

constexpr std::string_view kKnown =
    "tolerance_usecs, tolerance_percent, local_ip, remote_ip, bind_port, connect_port, mss, "
    "mtu, ip_version=ipv4, tcp_ts_ecr_scaled, tcp_ts_tick_usecs, strict_segments, dry_run";

}  // namespace

absl::StatusOr<Config> ConfigFromOptions(const std::vector<ScriptOption>& options) {
  Config c;
  for (const ScriptOption& o : options) {
    const std::string& n = o.name;
    const bool is_flag = n == "tcp_ts_ecr_scaled" || n == "strict_segments" || n == "dry_run";
    if (is_flag) {
      if (o.value) return Error(o, absl::StrCat("--", n, " takes no value"));
      if (n == "tcp_ts_ecr_scaled") c.tcp_ts_ecr_scaled = true;
      if (n == "strict_segments") c.strict_segments = true;
      if (n == "dry_run") c.dry_run = true;
      continue;
    }
    for (std::string_view u : kUnsupported) {
      if (n == u) {
        return Error(o, absl::StrCat("unsupported flag --", n,
                                     " (taptcp pkt runs the stack in process, in virtual time)"));
      }
    }
    const bool known = n == "tolerance_usecs" || n == "tolerance_percent" || n == "local_ip" ||
                       n == "remote_ip" || n == "bind_port" || n == "connect_port" || n == "mss" ||
                       n == "mtu" || n == "ip_version" || n == "tcp_ts_tick_usecs";
    if (!known) {
      return Error(o, absl::StrCat("unknown flag --", n, " (taptcp pkt knows: ", Sv(kKnown), ")"));
    }
    if (!o.value) return Error(o, absl::StrCat("--", n, " needs a value: --", n, "=VALUE"));
    const std::string& v = *o.value;
    int64_t i = 0;
    auto bad = [&](std::string_view what) {
      return Error(o, absl::StrCat("bad --", n, ": '", v, "' (", Sv(what), ")"));
    };
    if (n == "tolerance_usecs") {
      if (!ParseInt(v, 0, 3600000000, &i)) return bad("microseconds, 0..3600000000");
      c.tolerance_usecs = i;
    } else if (n == "tolerance_percent") {
      char* end = nullptr;
      const double d = std::strtod(v.c_str(), &end);
      if (end != v.c_str() + v.size() || !(d >= 0 && d <= 100)) return bad("percent, 0..100");
      c.tolerance_percent = d;
    } else if (n == "local_ip" || n == "remote_ip") {
      std::optional<wire::Ipv4Address> a = wire::Ipv4Address::Parse(v);
      if (!a || a->IsAny() || a->IsLimitedBroadcast() || a->IsMulticast()) {
        return bad("a unicast IPv4 address");
      }
      (n == "local_ip" ? c.local_ip : c.remote_ip) = *a;
    } else if (n == "bind_port" || n == "connect_port") {
      if (!ParseInt(v, 1, 65535, &i)) return bad("a port, 1..65535");
      (n == "bind_port" ? c.bind_port : c.connect_port) = static_cast<uint16_t>(i);
    } else if (n == "mss") {
      if (!ParseInt(v, 1, 65495, &i)) return bad("bytes, 1..65495");
      c.mss = static_cast<int>(i);
    } else if (n == "mtu") {
      if (!ParseInt(v, 576, 65535, &i)) return bad("bytes, 576..65535");
      c.mtu = static_cast<int>(i);
    } else if (n == "ip_version") {
      if (v != "ipv4") return bad("taptcp is IPv4 only: ipv4");
    } else if (n == "tcp_ts_tick_usecs") {
      if (!ParseInt(v, 0, 1000000, &i)) return bad("microseconds, 0..1000000");
      c.tcp_ts_tick_usecs = i;
    }
  }
  if (c.local_ip == c.remote_ip) {
    return absl::InvalidArgumentError("1:1: --local_ip and --remote_ip must differ");
  }
  return c;
}

}  // namespace taptcp::pkt
