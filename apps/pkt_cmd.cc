// `taptcp pkt [--pcap FILE] [--verbose] [--sysctl NAME=VALUE] SCRIPT.pkt...`: packetdrill-dialect
// scripts run against taptcp in virtual time (conformance/pkt/runner.h). A failing script prints
// "FILE:LINE: error: ..." with the line, what was expected and what the stack did, and the exit
// code is 1; a syntax error names line and column. All passing: one summary line.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "apps/commands.h"
#include "capture/pcap_writer.h"
#include "conformance/pkt/runner.h"
#include "stack/sysctl.h"

ABSL_FLAG(bool, verbose, false,
          "pkt: print every event and every packet in and out, with live addresses and numbers "
          "(--pcap FILE writes the packets to a capture, --sysctl NAME=VALUE sets a knob first)");
ABSL_DECLARE_FLAG(std::string, pcap);

namespace taptcp::apps {
namespace {

// With several scripts, --pcap out.pcap writes out-SCRIPT.pcap for each, so a capture's times
// stay the script's times.
std::string PcapPathFor(const std::string& base, const std::string& script, bool several) {
  if (!several) return base;
  std::string stem = script.substr(script.find_last_of('/') + 1);
  if (const size_t dot = stem.rfind('.'); dot != std::string::npos) stem.resize(dot);
  const size_t slash = base.find_last_of('/');
  const size_t dot = base.rfind('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) {
    return base + "-" + stem;
  }
  return base.substr(0, dot) + "-" + stem + base.substr(dot);
}

}  // namespace

int RunPkt(const std::vector<std::string>& scripts, const std::vector<std::string>& sysctls) {
  if (scripts.empty()) {
    std::fprintf(stderr, "taptcp pkt: name one or more scripts: taptcp pkt SCRIPT.pkt...\n");
    return 2;
  }
  Sysctl probe;  // a typo in --sysctl is one error, not one per script
  for (const std::string& s : sysctls) {
    if (absl::Status st = probe.SetAssignment(s); !st.ok()) {
      std::fprintf(stderr, "taptcp pkt: --sysctl %s: %s\n", s.c_str(),
                   std::string(st.message()).c_str());
      return 2;
    }
  }
  const std::string pcap = absl::GetFlag(FLAGS_pcap);
  const auto wall_start = std::chrono::steady_clock::now();
  size_t failed = 0, events = 0;
  Duration virtual_time{};
  for (const std::string& path : scripts) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "taptcp pkt: cannot read %s\n", path.c_str());
      ++failed;
      continue;
    }
    std::ostringstream text;
    text << in.rdbuf();
    std::unique_ptr<capture::PcapWriter> writer;
    if (!pcap.empty()) {
      auto w = capture::PcapWriter::Open(PcapPathFor(pcap, path, scripts.size() > 1));
      if (!w.ok()) {
        std::fprintf(stderr, "taptcp pkt: %s\n", std::string(w.status().message()).c_str());
        return 2;
      }
      writer = *std::move(w);
    }
    pkt::RunOptions options;
    options.capture = writer.get();
    options.verbose = absl::GetFlag(FLAGS_verbose) ? stdout : nullptr;
    options.sysctls = sysctls;
    if (options.verbose != nullptr) std::printf("== %s\n", path.c_str());
    const pkt::RunResult r = pkt::RunScript(path, text.str(), options);
    for (const std::string& note : r.notes) {
      std::fprintf(stderr, "%s: note: %s\n", path.c_str(), note.c_str());
    }
    events += r.events;
    virtual_time += r.virtual_time;
    if (!r.ok) {
      std::fflush(stdout);
      std::fprintf(stderr, "%s\n", r.error.c_str());
      ++failed;
    }
  }
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  if (failed > 0) {
    std::fprintf(stderr, "taptcp pkt: %zu of %zu script%s failed\n", failed, scripts.size(),
                 scripts.size() == 1 ? "" : "s");
    return 1;
  }
  std::printf("taptcp pkt: %zu script%s passed (%zu events, %.3f s of virtual time in %.3f s)\n",
              scripts.size(), scripts.size() == 1 ? "" : "s", events, ToSeconds(virtual_time),
              wall);
  return 0;
}

}  // namespace taptcp::apps
