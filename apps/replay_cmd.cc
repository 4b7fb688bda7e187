// `taptcp replay [--tolerance_ms N] [--pcap OUT] [--sysctl NAME=VALUE] CAPTURE.pcap`: configures a
// taptcp stack as the Linux kernel was configured in a reference capture (CAPTURE.json beside it,
// written by pcaps/record-linux.sh), plays the capture's peer into it in virtual time, and prints
// Linux's segments beside taptcp's with a verdict per row. Exit 0 when every difference is one
// the description explains, 1 when one is not, 2 when the inputs cannot be used.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "apps/commands.h"
#include "apps/host_flags.h"
#include "conformance/replay/replayer.h"

ABSL_FLAG(int, tolerance_ms, -1,
          "how far taptcp's timing may be from Linux's, in ms (default: the description's); "
          "--pcap OUT (what taptcp received and sent) and --sysctl NAME=VALUE (after the "
          "description's) apply too");

namespace taptcp::apps {

int RunReplay(const std::vector<std::string>& args, const std::vector<std::string>& sysctls) {
  if (args.size() != 1) {
    std::fprintf(stderr,
                 "taptcp replay: expected one capture, e.g. taptcp replay "
                 "pcaps/linux/active_open.pcap (its .json must be beside it)\n");
    return 2;
  }
  replay::ReplayOptions o;
  if (const int t = absl::GetFlag(FLAGS_tolerance_ms); t >= 0) o.tolerance_ms = t;
  o.pcap_out = HostOptionsFromFlags(sysctls).pcap;
  o.sysctls = sysctls;
  absl::StatusOr<replay::ReplayOutcome> out = replay::ReplayCapture(args[0], o);
  if (!out.ok()) {
    std::fprintf(stderr, "taptcp replay: %s\n", std::string(out.status().message()).c_str());
    return 2;
  }
  const replay::Description& d = out->description;
  const char* window = d.compare_window == replay::WindowCompare::kAll   ? "all"
                       : d.compare_window == replay::WindowCompare::kSyn ? "SYN segments only"
                                                                         : "none";
  std::printf("taptcp replay %s: %s\n", args[0].c_str(), d.summary.c_str());
  std::printf("  DUT %s (Linux %s); tolerance %d ms; windows compared: %s\n\n",
              d.dut_ip.ToString().c_str(), d.linux_release.empty() ? "?" : d.linux_release.c_str(),
              o.tolerance_ms.value_or(d.tolerance_ms), window);
  std::fputs(replay::FormatTable(out->rows).c_str(), stdout);
  std::printf("\n");
  for (const std::string& n : out->notes) std::printf("note: %s\n", n.c_str());
  std::printf("%s\n", replay::FormatSummary(out->summary).c_str());
  if (!o.pcap_out.empty())
    std::printf("wrote what taptcp received and sent to %s\n", o.pcap_out.c_str());
  if (out->passed()) {
    std::printf("PASS\n");
    return 0;
  }
  std::printf("FAIL: %d unexplained difference%s\n", out->summary.failures(),
              out->summary.failures() == 1 ? "" : "s");
  return 1;
}

}  // namespace taptcp::apps
