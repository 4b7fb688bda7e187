// taptcp: one binary, subcommands (DESIGN.md "Drivers and apps").
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "apps/commands.h"
#include "apps/tap_host.h"

namespace {

struct Command {
  const char* name;
  const char* file;  // the source file whose flags --help shows, besides the host flags
  const char* summary;
};

constexpr Command kCommands[] = {
    {"demo", "apps/demo.cc",
     "the kernel and taptcp on a TAP device in a namespace of their own: ping, ARP, counters, "
     "capture"},
    {"serve", "apps/serve.cc",
     "run the stack on a TAP device until Ctrl-C: ARP, ping, and with --port a TCP app"},
    {"connect", "apps/connect.cc",
     "connect to a TCP server from a TAP device, send bytes, check the echo"},
    {"ss", "apps/inspect_cmds.cc",
     "a running taptcp's sockets as ss -tan / ss -ltn -o prints them (--summary, --peers)"},
    {"nstat", "apps/inspect_cmds.cc", "a running taptcp's counters as nstat -az names them"},
    {"sysctl", "apps/sysctl_cmd.cc", "list every knob with its Linux default, or check NAME=VALUE"},
    {"pkt", "apps/pkt_cmd.cc", "run packetdrill-style scripts against the stack in virtual time"},
    {"replay", "apps/replay_cmd.cc",
     "replay a capture of the Linux kernel into taptcp and compare them segment by segment"},
    {"synflood", "apps/synflood.cc",
     "a bounded SYN flood from spoofed TEST-NET sources out of an interface (--dev, --to, "
     "--count), to watch with ss -l and nstat"},
};

const Command* g_command = nullptr;

void PrintUsage() {
  std::printf("usage: taptcp COMMAND [flags]   (taptcp COMMAND --help for its flags)\n\n");
  for (const Command& c : kCommands) std::printf("  %-8s %s\n", c.name, c.summary);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "help") == 0 ||
      std::strcmp(argv[1], "-h") == 0) {
    PrintUsage();
    return argc < 2 ? 2 : 0;
  }
  for (const Command& c : kCommands) {
    if (std::strcmp(argv[1], c.name) == 0) g_command = &c;
  }
  if (g_command == nullptr) {
    std::fprintf(stderr, "taptcp: unknown command '%s' (try: taptcp --help)\n", argv[1]);
    return 2;
  }
  // Drop the command word, so flags parse as `taptcp-demo --flag ...`.
  std::vector<char*> args(argv, argv + argc);
  args.erase(args.begin() + 1);
  // ss and nstat take bundled one-letter flags as the originals do ("-ltn", "-az").
  std::vector<std::string> expanded;
  if (std::strcmp(g_command->name, "ss") == 0 || std::strcmp(g_command->name, "nstat") == 0) {
    for (size_t i = 1; i < args.size(); ++i) {
      const std::string_view a = args[i];
      if (a.size() > 2 && a[0] == '-' && a[1] != '-' && a.find('=') == std::string_view::npos) {
        for (char ch : a.substr(1)) expanded.push_back(std::string("-") + ch);
      }
    }
    if (!expanded.empty()) {
      std::vector<char*> out{args[0]};
      size_t e = 0;
      for (size_t i = 1; i < args.size(); ++i) {
        const std::string_view a = args[i];
        if (a.size() > 2 && a[0] == '-' && a[1] != '-' && a.find('=') == std::string_view::npos) {
          for (size_t k = 1; k < a.size(); ++k) out.push_back(expanded[e++].data());
        } else {
          out.push_back(args[i]);
        }
      }
      args = std::move(out);
      argc = static_cast<int>(args.size()) + 1;
    }
  }
  args.push_back(nullptr);
  int n = argc - 1;
  std::vector<std::string> sysctls = taptcp::apps::ExtractRepeatedFlag(&n, args.data(), "sysctl");

  absl::FlagsUsageConfig config;
  config.contains_help_flags = [](absl::string_view file) {
    const std::string_view name = g_command->name;
    const bool runs_stack = name == "serve" || name == "connect" || name == "demo";
    const bool host_flags = runs_stack && absl::EndsWith(file, "apps/host_flags.cc");
    const bool control = (runs_stack || name == "ss" || name == "nstat") &&
                         absl::EndsWith(file, "apps/control_flag.cc");
    return host_flags || control || absl::EndsWith(file, g_command->file);
  };
  config.contains_helpshort_flags = config.contains_help_flags;
  config.version_string = [] { return std::string("taptcp 0.1.0\n"); };
  absl::SetFlagsUsageConfig(config);
  // pkt and replay share --pcap and --sysctl with the stack-running commands but not the rest of
  // host_flags.cc (--tap, --addr...), so the filter above leaves them out: name them here.
  const std::string_view name = g_command->name;
  const char* shared =
      name == "pkt" || name == "replay"
          ? "\n\n  Also:\n    --pcap FILE (write every frame of the run to a pcap file)\n"
            "    --sysctl NAME=VALUE (set a knob first, e.g. net.ipv4.tcp_syncookies=2; "
            "repeatable)"
          : "";
  absl::SetProgramUsageMessage(
      absl::StrCat("taptcp ", g_command->name, ": ", g_command->summary, shared));
  std::vector<char*> positional = absl::ParseCommandLine(n, args.data());
  std::vector<std::string> rest(positional.begin() + 1, positional.end());

  const std::string_view cmd = g_command->name;
  if (cmd == "sysctl") return taptcp::apps::RunSysctl(rest);
  if ((cmd == "ss" || cmd == "nstat") && !rest.empty()) {
    std::fprintf(stderr, "taptcp %s: unexpected argument '%s'\n", g_command->name, rest[0].c_str());
    return 2;
  }
  if (cmd == "ss") return taptcp::apps::RunSs();
  if (cmd == "nstat") return taptcp::apps::RunNstat();
  if (cmd == "pkt") return taptcp::apps::RunPkt(rest, sysctls);
  if (cmd == "replay") return taptcp::apps::RunReplay(rest, sysctls);
  if (!rest.empty()) {
    std::fprintf(stderr, "taptcp %s: unexpected argument '%s'\n", g_command->name, rest[0].c_str());
    return 2;
  }
  if (cmd == "demo") return taptcp::apps::RunDemo(sysctls);
  if (cmd == "connect") return taptcp::apps::RunConnect(sysctls);
  if (cmd == "synflood") return taptcp::apps::RunSynflood();
  return taptcp::apps::RunServe(sysctls);
}
