#include "stack/trace.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "stack/absl_sv.h"

namespace taptcp {

std::string_view TraceKindName(TraceKind kind) {
  switch (kind) {
    case TraceKind::kDrop:
      return "drop";
    case TraceKind::kArp:
      return "arp";
    case TraceKind::kTimer:
      return "timer";
    case TraceKind::kState:
      return "state";
    case TraceKind::kIcmp:
      return "icmp";
    case TraceKind::kListen:
      return "listen";
  }
  return "unknown";
}

namespace {
// Event strings come from our own tables (reason names, state names), never from the wire, but
// escape anyway so a trace line is always valid JSON.
void AppendJsonString(std::string* out, std::string_view s) {
  out->push_back('"');
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      absl::StrAppendFormat(out, "\\u%04x", static_cast<unsigned char>(c));
    } else {
      out->push_back(c);
    }
  }
  out->push_back('"');
}

void AppendEndpoint(std::string* out, std::string_view key, wire::Ipv4Address ip, uint16_t port) {
  if (ip == wire::Ipv4Address::Any() && port == 0) return;
  absl::StrAppend(out, ",\"", Sv(key), "\":\"", ip.ToString());
  if (port != 0) absl::StrAppend(out, ":", port);
  out->push_back('"');
}
}  // namespace

std::string FormatTraceJson(const TraceEvent& e) {
  std::string out = absl::StrFormat("{\"t\":%.6f,\"kind\":\"%s\",\"what\":", ToSeconds(e.time),
                                    Sv(TraceKindName(e.kind)));
  AppendJsonString(&out, e.what);
  if (!e.detail.empty()) {
    out += ",\"detail\":";
    AppendJsonString(&out, e.detail);
  }
  AppendEndpoint(&out, "local", e.local_ip, e.local_port);
  AppendEndpoint(&out, "remote", e.remote_ip, e.remote_port);
  out += "}";
  return out;
}

}  // namespace taptcp
