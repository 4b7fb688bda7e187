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
    {"sysctl", "apps/sysctl_cmd.cc", "list every knob with its Linux default, or check NAME=VALUE"},
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
  args.push_back(nullptr);
  int n = argc - 1;
  std::vector<std::string> sysctls = taptcp::apps::ExtractRepeatedFlag(&n, args.data(), "sysctl");

  absl::FlagsUsageConfig config;
  config.contains_help_flags = [](absl::string_view file) {
    const bool host_flags =
        std::string_view(g_command->name) != "sysctl" && absl::EndsWith(file, "apps/host_flags.cc");
    return host_flags || absl::EndsWith(file, g_command->file);
  };
  config.contains_helpshort_flags = config.contains_help_flags;
  config.version_string = [] { return std::string("taptcp 0.1.0\n"); };
  absl::SetFlagsUsageConfig(config);
  absl::SetProgramUsageMessage(absl::StrCat("taptcp ", g_command->name, ": ", g_command->summary));
  std::vector<char*> positional = absl::ParseCommandLine(n, args.data());
  std::vector<std::string> rest(positional.begin() + 1, positional.end());

  const std::string_view cmd = g_command->name;
  if (cmd == "sysctl") return taptcp::apps::RunSysctl(rest);
  if (!rest.empty()) {
    std::fprintf(stderr, "taptcp %s: unexpected argument '%s'\n", g_command->name, rest[0].c_str());
    return 2;
  }
  if (cmd == "demo") return taptcp::apps::RunDemo(sysctls);
  if (cmd == "connect") return taptcp::apps::RunConnect(sysctls);
  return taptcp::apps::RunServe(sysctls);
}
