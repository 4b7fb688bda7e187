// A script's `--flag=value` header lines (packetdrill config.c), checked and with packetdrill's
// defaults, except the addresses: the stack (packetdrill's "local") is 192.0.2.1 and the scripted
// peer ("remote") 192.0.2.2, both TEST-NET-1. Nothing leaves the process, so any unicast pair a
// script names is fine.
//
// Unknown flags are an error, and so are packetdrill flags that have no meaning in virtual time
// (wire client/server, shared-object stacks, Python code).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "conformance/pkt/ast.h"
#include "stack/wire/addresses.h"

namespace taptcp::pkt {

struct Config {
  // Timing (verify_time): an event passes within max(tolerance_usecs, tolerance_percent of the
  // time since the previous event); 12.5% is the Linux timer wheel's worst-case lateness.
  int64_t tolerance_usecs = 4000;
  double tolerance_percent = 12.5;
  wire::Ipv4Address local_ip = wire::Ipv4Address::FromOctets(192, 0, 2, 1);
  wire::Ipv4Address remote_ip = wire::Ipv4Address::FromOctets(192, 0, 2, 2);
  uint16_t bind_port = 8080;     // bind() binds here
  uint16_t connect_port = 8080;  // connect() goes here
  int mss = 0;                   // --mss: GSO size of injected packets (see runner.h)
  int mtu = 1500;                // the stack's interface MTU
  bool tcp_ts_ecr_scaled = false;
  int64_t tcp_ts_tick_usecs = 0;  // 0: outbound TS val not checked
  bool strict_segments = false;   // no aggregation of outbound segments into one script packet
  bool dry_run = false;           // parse only
};

// The config a script's options describe. Errors name the line and the flag: "3:1: unknown flag
// --foo (taptcp pkt knows: ...)".
absl::StatusOr<Config> ConfigFromOptions(const std::vector<ScriptOption>& options);

}  // namespace taptcp::pkt
