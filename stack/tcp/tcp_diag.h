// What `ss` asks of a stack (Linux inet_diag / tcp_diag): one row per TCP socket, listeners with
// their accept queues, request entries (SYN-RECV), connections in every state, each with its
// queues and the timer `ss -o` shows. Read-only; the text formats live in apps/.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "stack/wire/addresses.h"
#include "timers/time.h"

namespace taptcp::tcp {

class TcpLayer;

struct DiagTimer {
  std::string_view name;  // "on", "keepalive", "timewait", "persist" (ss -o's names)
  Duration left;          // until it fires (never negative)
  int retransmits = 0;    // ss -o's third field
};

struct DiagSocket {
  std::string_view state;  // "ESTAB", "SYN-RECV", "LISTEN"... as `ss -tan` prints them
  // Listeners: Recv-Q is the accept queue's length and Send-Q the backlog. Others: bytes unread
  // and bytes written but not yet acknowledged, sent or not (tcp_diag_get_info).
  uint32_t recv_q = 0;
  uint32_t send_q = 0;
  wire::Ipv4Address local_ip;
  uint16_t local_port = 0;
  wire::Ipv4Address remote_ip;  // 0.0.0.0 for a listener
  uint16_t remote_port = 0;     // 0 for a listener ("*")
  std::optional<DiagTimer> timer;
  bool orphan = false;  // no socket holds it any more (closed by the application)
};

// Listeners first, then their request entries, then connections, each group in a stable order
// (by local port, then remote address and port) so two dumps are comparable.
std::vector<DiagSocket> DumpSockets(const TcpLayer& tcp, Instant now);

}  // namespace taptcp::tcp
