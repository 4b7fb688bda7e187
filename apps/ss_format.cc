#include "apps/ss_format.h"

#include <algorithm>
#include <cstdio>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "stack/absl_sv.h"

namespace taptcp::apps {
namespace {

std::string Endpoint(wire::Ipv4Address ip, uint16_t port) {
  return absl::StrCat(ip.ToString(), ":", port == 0 ? std::string("*") : std::to_string(port));
}

// netstat's state names for the --summary one-liner (ss's are "ESTAB", "TIME-WAIT"...).
std::string_view NetstatName(std::string_view ss) {
  static const std::map<std::string_view, std::string_view> kNames = {
      {"ESTAB", "ESTABLISHED"},    {"SYN-SENT", "SYN_SENT"},     {"SYN-RECV", "SYN_RECV"},
      {"FIN-WAIT-1", "FIN_WAIT1"}, {"FIN-WAIT-2", "FIN_WAIT2"},  {"TIME-WAIT", "TIME_WAIT"},
      {"CLOSE", "CLOSE"},          {"CLOSE-WAIT", "CLOSE_WAIT"}, {"LAST-ACK", "LAST_ACK"},
      {"LISTEN", "LISTEN"},        {"CLOSING", "CLOSING"}};
  auto it = kNames.find(ss);
  return it == kNames.end() ? ss : it->second;
}

}  // namespace

std::string EncodeSockets(const std::vector<tcp::DiagSocket>& sockets) {
  std::string out;
  for (const tcp::DiagSocket& s : sockets) {
    const uint64_t ms =
        s.timer
            ? static_cast<uint64_t>(std::chrono::duration_cast<milliseconds>(s.timer->left).count())
            : 0;
    absl::StrAppend(&out, Sv(s.state), "\t", s.recv_q, "\t", s.send_q, "\t",
                    Endpoint(s.local_ip, s.local_port), "\t", Endpoint(s.remote_ip, s.remote_port),
                    "\t", s.timer ? Sv(s.timer->name) : absl::string_view("-"), "\t", ms, "\t",
                    s.timer ? s.timer->retransmits : 0, "\t", s.orphan ? 1 : 0, "\n");
  }
  return out;
}

absl::StatusOr<std::vector<SsRow>> DecodeSockets(std::string_view text) {
  std::vector<SsRow> rows;
  for (absl::string_view line : absl::StrSplit(Sv(text), '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> f = absl::StrSplit(line, '\t');
    SsRow r;
    int orphan = 0;
    if (f.size() != 9 || !absl::SimpleAtoi(f[1], &r.recv_q) || !absl::SimpleAtoi(f[2], &r.send_q) ||
        !absl::SimpleAtoi(f[6], &r.timer_ms) || !absl::SimpleAtoi(f[7], &r.retransmits) ||
        !absl::SimpleAtoi(f[8], &orphan)) {
      return absl::DataLossError(absl::StrCat("unreadable socket line from taptcp: '", line, "'"));
    }
    r.state = std::string(f[0]);
    r.local = std::string(f[3]);
    r.peer = std::string(f[4]);
    r.timer = f[5] == "-" ? "" : std::string(f[5]);
    r.orphan = orphan != 0;
    rows.push_back(std::move(r));
  }
  return rows;
}

std::string EncodeCounters(const CounterRows& counters) {
  std::string out;
  for (const auto& [name, value] : counters) absl::StrAppend(&out, name, "\t", value, "\n");
  return out;
}

absl::StatusOr<CounterRows> DecodeCounters(std::string_view text) {
  CounterRows rows;
  for (absl::string_view line : absl::StrSplit(Sv(text), '\n', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv = absl::StrSplit(line, '\t');
    uint64_t v = 0;
    if (kv.first.empty() || !absl::SimpleAtoi(kv.second, &v)) {
      return absl::DataLossError(absl::StrCat("unreadable counter line from taptcp: '", line, "'"));
    }
    rows.emplace_back(std::string(kv.first), v);
  }
  return rows;
}

std::string PrintMsTimer(uint64_t timeout) {
  uint64_t secs = timeout / 1000;
  const uint64_t minutes = secs / 60;
  secs %= 60;
  uint64_t msecs = timeout % 1000;
  std::string out;
  if (minutes > 0) {
    msecs = 0;
    absl::StrAppend(&out, minutes, "min");
    if (minutes > 9) secs = 0;
  }
  if (secs > 0) {
    if (secs > 9) msecs = 0;
    absl::StrAppend(&out, secs, msecs > 0 ? "." : "sec");
  }
  if (msecs > 0) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%03llums", static_cast<unsigned long long>(msecs));
    out += buf;
  }
  return out;
}

std::string FormatSs(const std::vector<SsRow>& rows, const SsOptions& options) {
  size_t local_w = 17, peer_w = 17;  // ss's minimum column widths for IPv4
  for (const SsRow& r : rows) {
    local_w = std::max(local_w, r.local.size());
    peer_w = std::max(peer_w, r.peer.size());
  }
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "%-10s %-6s %-6s %*s %-*s%s\n", "State", "Recv-Q", "Send-Q",
                static_cast<int>(local_w), "Local Address:Port", static_cast<int>(peer_w),
                " Peer Address:Port", options.timers ? " Timer" : "");
  out += line;
  for (const SsRow& r : rows) {
    if (options.listening && r.state != "LISTEN") continue;
    std::string timer;
    if (options.timers && !r.timer.empty()) {
      timer =
          absl::StrCat(" timer:(", r.timer, ",", PrintMsTimer(r.timer_ms), ",", r.retransmits, ")");
    }
    std::snprintf(line, sizeof line, "%-10s %-6u %-6u %*s  %-*s%s\n", r.state.c_str(), r.recv_q,
                  r.send_q, static_cast<int>(local_w), r.local.c_str(), static_cast<int>(peer_w),
                  r.peer.c_str(), timer.c_str());
    out += line;
  }
  return out;
}

std::string FormatSummary(const std::vector<SsRow>& rows) {
  std::map<std::string, int> count;
  for (const SsRow& r : rows) {
    if (r.state != "LISTEN") ++count[std::string(NetstatName(r.state))];
  }
  std::string out;
  for (const auto& [state, n] : count) absl::StrAppend(&out, state, " ", n, "\n");
  return out;
}

std::string FormatPeers(const std::vector<SsRow>& rows) {
  std::map<std::string, int> count;
  for (const SsRow& r : rows) {
    if (r.state == "LISTEN") continue;
    ++count[r.peer.substr(0, r.peer.rfind(':'))];
  }
  std::vector<std::pair<int, std::string>> sorted;
  for (const auto& [peer, n] : count) sorted.emplace_back(n, peer);
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::string out;
  char line[128];
  for (const auto& [n, peer] : sorted) {
    std::snprintf(line, sizeof line, "%7d %s\n", n, peer.c_str());
    out += line;
  }
  return out;
}

std::string FormatNstat(const CounterRows& now, const CounterRows& previous, bool zeros) {
  std::map<std::string, uint64_t> before(previous.begin(), previous.end());
  std::string out = "#kernel\n";  // nstat's header line; the counters are taptcp's own
  char line[128];
  for (const auto& [name, value] : now) {
    auto it = before.find(name);
    const uint64_t v = it == before.end() || it->second > value ? value : value - it->second;
    if (v == 0 && !zeros) continue;
    std::snprintf(line, sizeof line, "%-32s%-16llu%.1f\n", name.c_str(),
                  static_cast<unsigned long long>(v), 0.0);
    out += line;
  }
  return out;
}

}  // namespace taptcp::apps
