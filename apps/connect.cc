// `taptcp connect`: a client on a TAP device. Connects to --to, sends --send bytes of a seeded
// stream, half-closes, reads until EOF and (with --verify-echo) checks every byte came back.
#include <cstdio>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "apps/commands.h"
#include "apps/host_flags.h"
#include "apps/tap_host.h"
#include "apps/tcp_apps.h"
#include "stack/absl_sv.h"

ABSL_FLAG(std::string, to, "", "the server, IP:PORT (inside --addr's subnet or via --gateway)");
ABSL_FLAG(int64_t, send, 1 << 20, "bytes to send");
ABSL_FLAG(bool, verify_echo, true, "expect the bytes back (an echo server) and compare them");
ABSL_FLAG(int, timeout, 60, "seconds before giving up");

namespace taptcp::apps {

int RunConnect(const std::vector<std::string>& sysctls) {
  const std::string to = absl::GetFlag(FLAGS_to);
  const size_t colon = to.rfind(':');
  std::optional<wire::Ipv4Address> ip;
  uint32_t port = 0;
  if (colon != std::string::npos) {
    ip = wire::Ipv4Address::Parse(to.substr(0, colon));
    if (!absl::SimpleAtoi(Sv(std::string_view(to).substr(colon + 1)), &port)) port = 0;
  }
  if (!ip || port == 0 || port > 65535) {
    std::fprintf(stderr, "taptcp connect: bad --to '%s': expected IP:PORT like 192.0.2.1:7\n",
                 to.c_str());
    return 2;
  }
  const int64_t bytes = absl::GetFlag(FLAGS_send);
  if (bytes < 0) {
    std::fprintf(stderr, "taptcp connect: bad --send %lld: expected a byte count >= 0\n",
                 static_cast<long long>(bytes));
    return 2;
  }
  absl::StatusOr<std::unique_ptr<TapHost>> host = TapHost::Open(HostOptionsFromFlags(sysctls));
  if (!host.ok()) {
    std::fprintf(stderr, "taptcp connect: %s\n", std::string(host.status().message()).c_str());
    return 1;
  }
  TcpClientApp client((*host)->stack().sockets(), {*ip, static_cast<uint16_t>(port)},
                      static_cast<uint64_t>(bytes), absl::GetFlag(FLAGS_verify_echo));
  (*host)->set_service([&] { client.Service(); });
  const Instant start = (*host)->loop().Now();
  client.Start();
  absl::StatusOr<tap::EventLoop::StopReason> why = (*host)->loop().RunUntil(
      [&] { return client.done(); }, seconds(absl::GetFlag(FLAGS_timeout)));
  const double secs = ToSeconds((*host)->loop().Now() - start);
  if (!why.ok()) {
    std::fprintf(stderr, "taptcp connect: %s\n", std::string(why.status().message()).c_str());
    return 1;
  }
  if (!client.done()) {
    std::fprintf(stderr, "taptcp connect: gave up after %d s (sent %llu, received %llu)\n",
                 absl::GetFlag(FLAGS_timeout), static_cast<unsigned long long>(client.sent()),
                 static_cast<unsigned long long>(client.received()));
    return 1;
  }
  if (!client.result().ok()) {
    std::fprintf(stderr, "taptcp connect: %s\n", std::string(client.result().message()).c_str());
    return 1;
  }
  std::printf("taptcp connect: sent %llu, received %llu bytes in %.3f s (%.1f Mbit/s each way)\n",
              static_cast<unsigned long long>(client.sent()),
              static_cast<unsigned long long>(client.received()), secs,
              secs > 0 ? static_cast<double>(client.sent()) * 8 / secs / 1e6 : 0.0);
  if (!(*host)->capture_path().empty()) (void)(*host)->capture()->Flush();
  return 0;
}

}  // namespace taptcp::apps
