// The text `taptcp ss` and `taptcp nstat` print, as `ss -tan`/`ss -ltn -o` and `nstat -az` print
// it, and the line protocol of the control socket they read it from. Pure functions: tested
// without a stack or a socket.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "stack/tcp/tcp_diag.h"

namespace taptcp::apps {

// One socket as it crosses the control socket.
struct SsRow {
  std::string state;  // ss's names: ESTAB, SYN-RECV, TIME-WAIT, LISTEN...
  uint32_t recv_q = 0, send_q = 0;
  std::string local, peer;  // "192.0.2.2:80", "0.0.0.0:*"
  std::string timer;        // "" or "on", "keepalive", "timewait", "persist"
  uint64_t timer_ms = 0;
  int retransmits = 0;
  bool orphan = false;
};

using CounterRows = std::vector<std::pair<std::string, uint64_t>>;

// The control socket's replies: one tab-separated line per row.
std::string EncodeSockets(const std::vector<tcp::DiagSocket>& sockets);
absl::StatusOr<std::vector<SsRow>> DecodeSockets(std::string_view text);
std::string EncodeCounters(const CounterRows& counters);
absl::StatusOr<CounterRows> DecodeCounters(std::string_view text);

// ss.c's print_ms_timer: "200ms", "5.200ms" (5.2 s), "52sec", "1min32sec", "12min".
std::string PrintMsTimer(uint64_t ms);

struct SsOptions {
  bool listening = false;  // -l: listeners only (otherwise all, as -a)
  bool timers = false;     // -o
};
// The table of `ss -tan` (or `ss -ltn`), with `timer:(...)` columns under -o.
std::string FormatSs(const std::vector<SsRow>& rows, const SsOptions& options);
// Connections per state, named as netstat names them, like
// `netstat -nt | awk '/^tcp/ {++S[$NF]} END {for (a in S) print a, S[a]}'`.
std::string FormatSummary(const std::vector<SsRow>& rows);
// Connections per remote address, most first, like `netstat -nt | awk '{print $5}' | cut -d: -f1
// | sort | uniq -c | sort -rn`.
std::string FormatPeers(const std::vector<SsRow>& rows);

// `nstat` lines: name, value, and the rate column nstat prints (0.0: we keep no rate history).
// `previous` (same names, same order, or empty) turns values into increments, as nstat does
// without -a; zeros are left out unless `zeros` (-z).
std::string FormatNstat(const CounterRows& now, const CounterRows& previous, bool zeros);

}  // namespace taptcp::apps
