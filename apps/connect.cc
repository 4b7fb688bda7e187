// `taptcp connect`: a client on a TAP device for the same experiments as `serve`, from one
// connection to many: --count connections to --to, at most --parallel at once, each sending the
// payload (--send N bytes of a seeded stream, or --data), half-closing (--shutdown), reading until
// the server's FIN (checking the echo with --verify_echo) and closing (an RST with --linger 0).
// Prints one summary line; exits 1 if any connection failed. The exchange is in client_pool.h.
#include <cstdio>
#include <optional>

#include "absl/flags/flag.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "apps/client_pool.h"
#include "apps/commands.h"
#include "apps/host_flags.h"
#include "apps/tap_host.h"
#include "stack/absl_sv.h"

ABSL_FLAG(std::string, to, "", "the server, IP:PORT (inside --addr's subnet or via --gateway)");
ABSL_FLAG(std::optional<int64_t>, send, std::nullopt,
          "bytes of a seeded stream to send on each connection (default 1 MiB; see --data)");
ABSL_FLAG(std::optional<std::string>, data, std::nullopt,
          "send these bytes instead of --send's stream; C escapes (\\r\\n, \\x00) are decoded");
ABSL_FLAG(bool, verify_echo, true,
          "expect the payload back (an echo server) and compare every byte; "
          "--verify_echo=false just reads until the server's FIN");
ABSL_FLAG(std::string, shutdown, "wr",
          "after sending: wr (half-close: our FIN, then read until the server's), rd, rdwr, or "
          "none (no half-close; with --verify_echo the whole echo ends the exchange)");
ABSL_FLAG(int, linger, -1,
          "0: close with SO_LINGER {1, 0}, an RST instead of a FIN; -1: no SO_LINGER");
ABSL_FLAG(int64_t, count, 1, "connections to make, one after another or --parallel at once");
ABSL_FLAG(int64_t, parallel, 1, "at most this many connections open at once");
ABSL_FLAG(int, timeout, 60, "seconds before giving up on what is unfinished");

namespace taptcp::apps {
namespace {

int FlagError(const std::string& what) {
  std::fprintf(stderr, "taptcp connect: %s\n", what.c_str());
  return 2;
}

}  // namespace

int RunConnect(const std::vector<std::string>& sysctls) {
  ClientOptions o;
  const std::string to = absl::GetFlag(FLAGS_to);
  const size_t colon = to.rfind(':');
  std::optional<wire::Ipv4Address> ip;
  uint32_t port = 0;
  if (colon != std::string::npos) {
    ip = wire::Ipv4Address::Parse(to.substr(0, colon));
    if (!absl::SimpleAtoi(Sv(std::string_view(to).substr(colon + 1)), &port)) port = 0;
  }
  if (!ip || port == 0 || port > 65535) {
    return FlagError("bad --to '" + to + "': expected IP:PORT like 192.0.2.1:7");
  }
  o.to = {*ip, static_cast<uint16_t>(port)};
  const std::optional<int64_t> send = absl::GetFlag(FLAGS_send);
  const std::optional<std::string> data = absl::GetFlag(FLAGS_data);
  if (send && data) return FlagError("bad --data: give --send N or --data STR, not both");
  if (send && *send < 0) {
    return FlagError("bad --send " + std::to_string(*send) + ": expected a byte count >= 0");
  }
  if (data) {
    std::string error;
    absl::string_view raw(data->data(), data->size());
    if (!absl::CUnescape(raw, &o.data, &error)) {
      return FlagError("bad --data: " + error + " (C escapes like \\r\\n, \\\\, \\x41)");
    }
    o.use_data = true;
  }
  o.send_bytes = send ? static_cast<uint64_t>(*send) : (1u << 20);
  o.verify_echo = absl::GetFlag(FLAGS_verify_echo);
  if (absl::Status s = ClientOptions::ParseShutdown(absl::GetFlag(FLAGS_shutdown), &o.shutdown);
      !s.ok()) {
    return FlagError(std::string(s.message()));
  }
  const int linger = absl::GetFlag(FLAGS_linger);
  if (linger != -1 && linger != 0) {
    return FlagError("bad --linger " + std::to_string(linger) +
                     ": expected 0 (SO_LINGER {1, 0}: close sends RST) or -1 (off)");
  }
  o.linger_zero = linger == 0;
  const int64_t count = absl::GetFlag(FLAGS_count);
  const int64_t parallel = absl::GetFlag(FLAGS_parallel);
  if (count < 1 || count > 10'000'000) {
    return FlagError("bad --count " + std::to_string(count) + ": expected 1..10000000");
  }
  if (parallel < 1 || parallel > 65535) {
    return FlagError("bad --parallel " + std::to_string(parallel) + ": expected 1..65535");
  }
  const int timeout = absl::GetFlag(FLAGS_timeout);
  if (timeout < 1) {
    return FlagError("bad --timeout " + std::to_string(timeout) + ": expected seconds >= 1");
  }

  absl::StatusOr<std::unique_ptr<TapHost>> host = TapHost::Open(HostOptionsFromFlags(sysctls));
  if (!host.ok()) {
    std::fprintf(stderr, "taptcp connect: %s\n", std::string(host.status().message()).c_str());
    return 1;
  }
  Stack& stack = (*host)->stack();
  ClientPool pool(stack.sockets(), o, static_cast<uint64_t>(count),
                  static_cast<uint64_t>(parallel));
  tap::EventLoop& loop = (*host)->loop();
  (*host)->set_service([&] { pool.Service(loop.Now()); });
  pool.Service(loop.Now());
  absl::StatusOr<tap::EventLoop::StopReason> why =
      loop.RunUntil([&] { return pool.done(); }, seconds(timeout));
  if (!why.ok()) {
    std::fprintf(stderr, "taptcp connect: %s\n", std::string(why.status().message()).c_str());
    return 1;
  }
  if (!pool.done()) pool.Abandon(loop.Now());
  // Let the connections we closed finish their close (our FIN acknowledged, the peer's FIN
  // answered) before the stack goes, so the peer is not left retransmitting to nobody; TIME_WAIT
  // and a peer that never closes are not waited for (at most 2 s).
  const auto settled = [&] {
    for (const tcp::Connection* c : stack.tcp().Connections()) {
      if (c->state() != tcp::State::kTimeWait && c->state() != tcp::State::kFinWait2) return false;
    }
    return true;
  };
  if (!settled()) (void)loop.RunUntil(settled, seconds(2));
  std::printf("taptcp connect: %s\n", pool.Summary().c_str());
  if (!pool.first_error().empty()) {
    std::fprintf(stderr, "taptcp connect: first failure: %s\n", pool.first_error().c_str());
  }
  if (!(*host)->capture_path().empty()) (void)(*host)->capture()->Flush();
  return pool.failed() == 0 ? 0 : 1;
}

}  // namespace taptcp::apps
