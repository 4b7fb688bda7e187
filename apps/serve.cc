// `taptcp serve`: run the stack on a TAP device until SIGINT/SIGTERM. Today it answers ARP and
// ping; listeners and apps (--port, --app) arrive with TCP.
#include <cstdio>

#include "apps/commands.h"
#include "apps/host_flags.h"
#include "apps/tap_host.h"

namespace taptcp::apps {

int RunServe(const std::vector<std::string>& sysctls) {
  TapHostOptions options = HostOptionsFromFlags(sysctls);
  absl::StatusOr<std::unique_ptr<TapHost>> host = TapHost::Open(options);
  if (!host.ok()) {
    std::fprintf(stderr, "taptcp serve: %s\n", std::string(host.status().message()).c_str());
    return 1;
  }
  Stack& stack = (*host)->stack();
  std::fprintf(stderr, "taptcp: %s (%s) on %s; Ctrl-C to stop\n", options.addr.c_str(),
               stack.config().mac.ToString().c_str(), options.tap.c_str());
  absl::StatusOr<tap::EventLoop::StopReason> why = (*host)->loop().Run();
  if (!why.ok()) {
    std::fprintf(stderr, "taptcp serve: %s\n", std::string(why.status().message()).c_str());
    return 1;
  }
  std::fprintf(stderr, "taptcp: stopped; counters:\n%s", stack.mib().Format(false).c_str());
  if (!(*host)->capture_path().empty()) {
    (void)(*host)->capture()->Flush();
    std::fprintf(stderr, "capture: %s\n", (*host)->capture_path().c_str());
  }
  return 0;
}

}  // namespace taptcp::apps
