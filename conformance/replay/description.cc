#include "conformance/replay/description.h"

#include <cmath>
#include <fstream>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "conformance/replay/json_subset.h"
#include "stack/absl_sv.h"

namespace taptcp::replay {
namespace {

// Reads typed members out of the parsed JSON; every error names the file and the member's path.
class Reader {
 public:
  explicit Reader(const std::string& file) : file_(file) {}

  absl::Status Error(std::string_view where, std::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(file_, ": ", Sv(where), ": ", Sv(what)));
  }

  absl::Status WrongType(std::string_view where, std::string_view want,
                         const JsonValue& got) const {
    return Error(where,
                 absl::StrCat("expected ", Sv(want), ", got ", Sv(JsonTypeName(got.type()))));
  }

  // A member that must be a string; nullopt when absent and not required.
  absl::StatusOr<std::optional<std::string>> String(const JsonValue& obj, std::string_view key,
                                                    std::string_view where, bool required) const {
    const JsonValue* v = obj.Find(key);
    if (v == nullptr) {
      if (required) return Error(where, absl::StrCat("missing \"", Sv(key), "\""));
      return std::optional<std::string>();
    }
    if (!v->is_string()) return WrongType(absl::StrCat(Sv(where), ".", Sv(key)), "a string", *v);
    return std::optional<std::string>(v->string());
  }

  // A member that must be a number within [lo, hi] (and whole if `integer`).
  absl::StatusOr<std::optional<double>> Number(const JsonValue& obj, std::string_view key,
                                               std::string_view where, bool required, double lo,
                                               double hi, bool integer) const {
    const JsonValue* v = obj.Find(key);
    const std::string at = absl::StrCat(Sv(where), ".", Sv(key));
    if (v == nullptr) {
      if (required) return Error(where, absl::StrCat("missing \"", Sv(key), "\""));
      return std::optional<double>();
    }
    if (!v->is_number()) return WrongType(at, "a number", *v);
    const double d = v->number();
    if (d < lo || d > hi) return Error(at, absl::StrCat(d, " is outside ", lo, "..", hi));
    if (integer && d != std::floor(d)) return Error(at, absl::StrCat(d, " is not a whole number"));
    return std::optional<double>(d);
  }

 private:
  const std::string& file_;
};

Duration Seconds(double s) {
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(s));
}

absl::Status ParseHost(const Reader& r, const JsonValue& root, std::string_view key,
                       wire::Ipv4Address* ip, wire::MacAddress* mac, int* mtu) {
  const JsonValue* host = root.Find(key);
  if (host == nullptr) return r.Error("description", absl::StrCat("missing \"", Sv(key), "\""));
  if (!host->is_object()) return r.WrongType(key, "an object", *host);
  absl::StatusOr<std::optional<std::string>> ip_text = r.String(*host, "ip", key, true);
  if (!ip_text.ok()) return ip_text.status();
  std::optional<wire::Ipv4Address> parsed_ip = wire::Ipv4Address::Parse(**ip_text);
  if (!parsed_ip) return r.Error(absl::StrCat(Sv(key), ".ip"), "not a dotted-quad IPv4 address");
  *ip = *parsed_ip;
  absl::StatusOr<std::optional<std::string>> mac_text = r.String(*host, "mac", key, true);
  if (!mac_text.ok()) return mac_text.status();
  std::optional<wire::MacAddress> parsed_mac = wire::MacAddress::Parse(**mac_text);
  if (!parsed_mac) return r.Error(absl::StrCat(Sv(key), ".mac"), "not a MAC address");
  *mac = *parsed_mac;
  if (mtu != nullptr) {
    absl::StatusOr<std::optional<double>> m = r.Number(*host, "mtu", key, false, 576, 9000, true);
    if (!m.ok()) return m.status();
    if (m->has_value()) *mtu = static_cast<int>(**m);
  }
  return absl::OkStatus();
}

// What each call needs besides "t", "sock" and "call".
absl::Status ParseCall(const Reader& r, const JsonValue& v, const std::string& where, AppCall* c) {
  if (!v.is_object()) return r.WrongType(where, "an object", v);
  absl::StatusOr<std::optional<double>> t = r.Number(v, "t", where, true, -3600, 86400, false);
  if (!t.ok()) return t.status();
  c->t = Seconds(**t);
  absl::StatusOr<std::optional<std::string>> s = r.String(v, "sock", where, true);
  if (!s.ok()) return s.status();
  c->sock = **s;
  s = r.String(v, "call", where, true);
  if (!s.ok()) return s.status();
  c->call = **s;
  static const std::set<std::string> kCalls = {"socket",   "setsockopt", "bind", "listen",
                                               "accept",   "connect",    "send", "recv",
                                               "shutdown", "close"};
  if (!kCalls.contains(c->call)) {
    return r.Error(absl::StrCat(where, ".call"), absl::StrCat("unknown call \"", c->call, "\""));
  }
  auto integer = [&](std::string_view key, double lo, double hi, int* out) -> absl::Status {
    absl::StatusOr<std::optional<double>> n = r.Number(v, key, where, true, lo, hi, true);
    if (!n.ok()) return n.status();
    *out = static_cast<int>(**n);
    return absl::OkStatus();
  };
  auto text = [&](std::string_view key, std::string* out) -> absl::Status {
    absl::StatusOr<std::optional<std::string>> n = r.String(v, key, where, true);
    if (!n.ok()) return n.status();
    *out = **n;
    return absl::OkStatus();
  };
  absl::Status st;
  if (c->call == "setsockopt") {
    st.Update(text("level", &c->level));
    st.Update(text("name", &c->name));
    st.Update(integer("value", -2147483648.0, 2147483647.0, &c->value));
  } else if (c->call == "bind") {
    st.Update(integer("port", 0, 65535, &c->port));
  } else if (c->call == "connect") {
    st.Update(text("ip", &c->ip));
    st.Update(integer("port", 1, 65535, &c->port));
  } else if (c->call == "listen") {
    st.Update(integer("backlog", -1, 65535, &c->backlog));
  } else if (c->call == "accept") {
    st.Update(text("as", &c->as));
  } else if (c->call == "send" || c->call == "recv") {
    st.Update(integer("bytes", 0, 16 << 20, &c->bytes));
  } else if (c->call == "shutdown") {
    st.Update(text("how", &c->how));
    if (st.ok() && c->how != "SHUT_RD" && c->how != "SHUT_WR" && c->how != "SHUT_RDWR") {
      return r.Error(absl::StrCat(where, ".how"), "expected SHUT_RD, SHUT_WR or SHUT_RDWR");
    }
  }
  if (!st.ok()) return st;
  if (const JsonValue* res = v.Find("result"); res != nullptr) {
    if (res->is_string()) {
      c->result = res->string();
    } else if (res->is_number() && res->number() == std::floor(res->number()) &&
               std::fabs(res->number()) < 1e15) {
      c->result = absl::StrCat(static_cast<int64_t>(res->number()));
    } else {
      return r.WrongType(absl::StrCat(where, ".result"), "a whole number or an errno name", *res);
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string DescriptionPathFor(std::string_view pcap_path) {
  std::string base(pcap_path);
  for (std::string_view ext : {".pcapng", ".pcap"}) {
    if (absl::EndsWith(base, Sv(ext))) {
      base.resize(base.size() - ext.size());
      break;
    }
  }
  return base + ".json";
}

absl::StatusOr<Description> ParseDescription(std::string_view text, const std::string& path) {
  absl::StatusOr<JsonValue> parsed = ParseJson(text);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": not valid JSON: ", parsed.status().message()));
  }
  const JsonValue& root = *parsed;
  const Reader r(path);
  if (!root.is_object()) return r.WrongType("description", "an object", root);
  Description d;
  d.path = path;
  absl::StatusOr<std::optional<double>> n =
      r.Number(root, "format", "description", false, 1, 1, true);
  if (!n.ok()) return n.status();
  for (auto [key, field] : {std::pair<const char*, std::string*>{"name", &d.name},
                            {"summary", &d.summary},
                            {"linux", &d.linux_release},
                            {"tolerance_why", &d.tolerance_why}}) {
    absl::StatusOr<std::optional<std::string>> s = r.String(root, key, "description", false);
    if (!s.ok()) return s.status();
    if (s->has_value()) *field = **s;
  }
  if (absl::Status st = ParseHost(r, root, "dut", &d.dut_ip, &d.dut_mac, &d.mtu); !st.ok()) {
    return st;
  }
  if (absl::Status st = ParseHost(r, root, "peer", &d.peer_ip, &d.peer_mac, nullptr); !st.ok()) {
    return st;
  }
  if (d.dut_ip == d.peer_ip) return r.Error("peer.ip", "the same address as the DUT's");

  if (const JsonValue* s = root.Find("sysctls"); s != nullptr) {
    if (!s->is_object()) return r.WrongType("sysctls", "an object", *s);
    for (const JsonValue::Member& m : s->members()) {
      if (m.second.is_string()) {
        d.sysctls.emplace_back(m.first, m.second.string());
      } else if (m.second.is_number() && m.second.number() == std::floor(m.second.number()) &&
                 std::fabs(m.second.number()) < 1e15) {
        d.sysctls.emplace_back(m.first, absl::StrCat(static_cast<int64_t>(m.second.number())));
      } else {
        return r.WrongType(absl::StrCat("sysctls.", m.first), "a string or a whole number",
                           m.second);
      }
    }
  }

  if (const JsonValue* calls = root.Find("calls"); calls != nullptr) {
    if (!calls->is_array()) return r.WrongType("calls", "an array", *calls);
    for (size_t i = 0; i < calls->items().size(); ++i) {
      AppCall c;
      if (absl::Status st = ParseCall(r, calls->items()[i], absl::StrCat("calls[", i, "]"), &c);
          !st.ok()) {
        return st;
      }
      d.calls.push_back(std::move(c));
    }
  }

  n = r.Number(root, "end", "description", false, -3600, 86400, false);
  if (!n.ok()) return n.status();
  if (n->has_value()) d.end = Seconds(**n);
  n = r.Number(root, "tolerance_ms", "description", false, 0, 60000, true);
  if (!n.ok()) return n.status();
  if (n->has_value()) d.tolerance_ms = static_cast<int>(**n);

  absl::StatusOr<std::optional<std::string>> cw =
      r.String(root, "compare_window", "description", false);
  if (!cw.ok()) return cw.status();
  if (cw->has_value()) {
    if (**cw == "none") {
      d.compare_window = WindowCompare::kNone;
    } else if (**cw == "syn") {
      d.compare_window = WindowCompare::kSyn;
    } else if (**cw == "all") {
      d.compare_window = WindowCompare::kAll;
    } else {
      return r.Error("compare_window", "expected \"none\", \"syn\" or \"all\"");
    }
  }

  if (const JsonValue* devs = root.Find("deviations"); devs != nullptr) {
    if (!devs->is_array()) return r.WrongType("deviations", "an array", *devs);
    for (size_t i = 0; i < devs->items().size(); ++i) {
      const JsonValue& dv = devs->items()[i];
      const std::string where = absl::StrCat("deviations[", i, "]");
      if (!dv.is_object()) return r.WrongType(where, "an object", dv);
      absl::StatusOr<std::optional<double>> p = r.Number(dv, "packet", where, true, 1, 1e9, true);
      if (!p.ok()) return p.status();
      absl::StatusOr<std::optional<std::string>> why = r.String(dv, "why", where, true);
      if (!why.ok()) return why.status();
      if ((*why)->empty()) return r.Error(absl::StrCat(where, ".why"), "must say why");
      d.deviations[static_cast<int>(**p)] = **why;
    }
  }
  return d;
}

absl::StatusOr<Description> LoadDescription(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open the description"));
  std::string text;
  char buf[65536];
  while (in.read(buf, sizeof(buf)) || in.gcount() > 0) {
    text.append(buf, static_cast<size_t>(in.gcount()));
    if (text.size() > kMaxDescriptionBytes) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": larger than ", kMaxDescriptionBytes, " bytes; not a description"));
    }
  }
  if (in.bad()) return absl::DataLossError(absl::StrCat(path, ": read error"));
  return ParseDescription(text, path);
}

}  // namespace taptcp::replay
