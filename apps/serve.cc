// `taptcp serve`: run the stack on a TAP device until SIGINT/SIGTERM: it answers ARP and ping,
// and with --port it serves TCP with an app (--app; the modes are described in tcp_apps.h).
#include <cstdio>

#include "absl/flags/flag.h"
#include "apps/commands.h"
#include "apps/host_flags.h"
#include "apps/tap_host.h"
#include "apps/tcp_apps.h"

ABSL_FLAG(int, port, 0, "TCP port to listen on (0: no listener, only ARP and ping)");
ABSL_FLAG(std::string, app, "echo",
          "what the listener does with connections: echo, discard, http (GET / and /bytes/N), "
          "hold (accept, never read or close), noaccept (never accept), close (accept and close: "
          "our FIN first), linger0 (accept, close with SO_LINGER 0: RST), unread-close (close "
          "with data unread: RST), write-close:N (write N bytes, then close), shutdown-wr "
          "(shutdown(SHUT_WR) at once, keep reading)");
ABSL_FLAG(int, backlog, 128, "listen() backlog (capped by net.core.somaxconn, as in Linux)");

namespace taptcp::apps {

int RunServe(const std::vector<std::string>& sysctls) {
  TapHostOptions options = HostOptionsFromFlags(sysctls);
  const int port = absl::GetFlag(FLAGS_port);
  if (port < 0 || port > 65535) {
    std::fprintf(stderr, "taptcp serve: bad --port %d: expected 0..65535\n", port);
    return 2;
  }
  const int backlog = absl::GetFlag(FLAGS_backlog);
  if (backlog < 0) {
    std::fprintf(stderr, "taptcp serve: bad --backlog %d: expected 0 or more\n", backlog);
    return 2;
  }
  ServerMode mode;
  if (absl::Status s = ServerMode::Parse(absl::GetFlag(FLAGS_app), &mode); !s.ok()) {
    std::fprintf(stderr, "taptcp serve: %s\n", std::string(s.message()).c_str());
    return 2;
  }
  absl::StatusOr<std::unique_ptr<TapHost>> host = TapHost::Open(options);
  if (!host.ok()) {
    std::fprintf(stderr, "taptcp serve: %s\n", std::string(host.status().message()).c_str());
    return 1;
  }
  Stack& stack = (*host)->stack();
  std::unique_ptr<TcpServerApp> app;
  if (port > 0) {
    app = std::make_unique<TcpServerApp>(stack.sockets(), mode);
    if (absl::Status s = app->Listen(static_cast<uint16_t>(port), backlog); !s.ok()) {
      std::fprintf(stderr, "taptcp serve: %s\n", std::string(s.message()).c_str());
      return 1;
    }
    tap::EventLoop& loop = (*host)->loop();
    (*host)->set_service([&app, &loop] { app->Service(loop.Now()); });
    if (mode.kind == ServerMode::kHttp) {
      loop.AddPeriodic(seconds(1), [&app, &loop] { app->Expire(loop.Now()); });
    }
  }
  std::fprintf(
      stderr, "taptcp: %s (%s) on %s%s; Ctrl-C to stop\n", options.addr.c_str(),
      stack.config().mac.ToString().c_str(), options.tap.c_str(),
      port > 0 ? (" serving " + mode.Name() + " on port " + std::to_string(port)).c_str() : "");
  absl::StatusOr<tap::EventLoop::StopReason> why = (*host)->loop().Run();
  if (!why.ok()) {
    std::fprintf(stderr, "taptcp serve: %s\n", std::string(why.status().message()).c_str());
    return 1;
  }
  if (app) std::fprintf(stderr, "taptcp: %s\n", app->Summary().c_str());
  std::fprintf(stderr, "taptcp: stopped; counters:\n%s", stack.mib().Format(false).c_str());
  if (!(*host)->capture_path().empty()) {
    (void)(*host)->capture()->Flush();
    std::fprintf(stderr, "capture: %s\n", (*host)->capture_path().c_str());
  }
  return 0;
}

}  // namespace taptcp::apps
