// The device under test's application, replayed: the description's socket calls made through
// taptcp's socket API, with results written the way the recorder wrote the kernel's (a byte count
// or 0, or an errno name), so the two can be compared as text.
#pragma once

#include <map>
#include <string>

#include "conformance/replay/description.h"
#include "stack/socket/socket_api.h"

namespace taptcp::replay {

class AppCalls {
 public:
  AppCalls(socket::SocketApi& api, wire::Ipv4Address local_ip) : api_(api), local_ip_(local_ip) {}

  // Makes the call now; returns its result ("0", "200", "EAGAIN"...). A call on a socket name
  // that was never created (or is closed) gives "EBADF", as it would in C.
  std::string Run(const AppCall& c);

  // "recv(conn, 4096)", "accept(listener) -> conn".
  static std::string Text(const AppCall& c);
  // Linux's and taptcp's results mean the same (EWOULDBLOCK is EAGAIN).
  static bool SameResult(const std::string& linux_result, const std::string& taptcp_result);

 private:
  socket::SocketApi& api_;
  wire::Ipv4Address local_ip_;
  std::map<std::string, int> fds_;  // the description's socket names
};

// "ECONNRESET" for ECONNRESET; the number for an errno without a name here.
std::string ErrnoName(int err);

}  // namespace taptcp::replay
