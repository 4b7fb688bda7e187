// `taptcp ss` and `taptcp nstat`: ask a running taptcp over its control socket and print what
// `ss -tan` / `ss -ltn -o` and `nstat -az` would print for a kernel.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "apps/commands.h"
#include "apps/control_client.h"
#include "apps/control_server.h"
#include "apps/ss_format.h"

ABSL_DECLARE_FLAG(std::string, control);
ABSL_FLAG(bool, l, false, "ss: listening sockets only (Recv-Q: accept queue, Send-Q: backlog)");
ABSL_FLAG(bool, t, true, "ss: TCP sockets (the only kind taptcp has)");
ABSL_FLAG(bool, o, false, "ss: timer column, as ss -o: timer:(timewait,52sec,0)");
ABSL_FLAG(bool, n, true, "ss: numeric addresses (always)");
ABSL_FLAG(bool, summary, false, "ss: connections per state, as the netstat | awk one-liner");
ABSL_FLAG(bool, peers, false, "ss: connections per remote address, most first");
ABSL_FLAG(bool, a, false, "ss: all sockets (the default); nstat: absolute values, not increments");
ABSL_FLAG(bool, z, false, "nstat: show counters that are zero too");
ABSL_FLAG(bool, s, false, "nstat: do not update the history the next increments count from");

namespace taptcp::apps {
namespace {

int Fail(const char* cmd, const absl::Status& s) {
  std::fprintf(stderr, "taptcp %s: %s\n", cmd, std::string(s.message()).c_str());
  return 1;
}

}  // namespace

int RunSs() {
  absl::StatusOr<std::string> path = FindControlPath(absl::GetFlag(FLAGS_control));
  if (!path.ok()) return Fail("ss", path.status());
  absl::StatusOr<std::string> reply = QueryControl(*path, "ss");
  if (!reply.ok()) return Fail("ss", reply.status());
  absl::StatusOr<std::vector<SsRow>> rows = DecodeSockets(*reply);
  if (!rows.ok()) return Fail("ss", rows.status());
  if (absl::GetFlag(FLAGS_summary)) {
    std::fputs(FormatSummary(*rows).c_str(), stdout);
  } else if (absl::GetFlag(FLAGS_peers)) {
    std::fputs(FormatPeers(*rows).c_str(), stdout);
  } else {
    SsOptions o;
    o.listening = absl::GetFlag(FLAGS_l);
    o.timers = absl::GetFlag(FLAGS_o);
    std::fputs(FormatSs(*rows, o).c_str(), stdout);
  }
  return 0;
}

int RunNstat() {
  absl::StatusOr<std::string> path = FindControlPath(absl::GetFlag(FLAGS_control));
  if (!path.ok()) return Fail("nstat", path.status());
  absl::StatusOr<std::string> reply = QueryControl(*path, "nstat");
  if (!reply.ok()) return Fail("nstat", reply.status());
  absl::StatusOr<CounterRows> now = DecodeCounters(*reply);
  if (!now.ok()) return Fail("nstat", now.status());
  // Like nstat, increments count from the values the previous run saw (a history file per user
  // and per control socket), unless -a.
  std::string key = *path;
  for (char& c : key) {
    if (c == '/') c = '_';
  }
  const std::string history = absl::StrCat("/tmp/.taptcp-nstat.u", ::getuid(), key);
  CounterRows previous;
  if (!absl::GetFlag(FLAGS_a)) {
    std::ifstream in(history);
    std::stringstream ss;
    ss << in.rdbuf();
    absl::StatusOr<CounterRows> old = DecodeCounters(ss.str());
    if (old.ok()) previous = *std::move(old);
  }
  std::fputs(FormatNstat(*now, previous, absl::GetFlag(FLAGS_z)).c_str(), stdout);
  if (!absl::GetFlag(FLAGS_s)) std::ofstream(history) << EncodeCounters(*now);
  return 0;
}

}  // namespace taptcp::apps
