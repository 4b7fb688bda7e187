// Backquoted shell commands in a script. packetdrill hands them to /bin/sh; here nothing leaves
// the process, so the only command understood is the one scripts use to set up the stack:
//   `sysctl -q net.ipv4.tcp_syn_linear_timeouts=0`
//   `sysctl -q net.ipv4.tcp_timestamps=0 net.ipv4.tcp_sack=0; sysctl -q net.core.somaxconn=8`
// applied to the stack's Sysctl (stack/sysctl.h), which checks each name and value the way
// `sysctl -w` would. Anything else is an error that names the command: never silently skipped.
#pragma once

#include <string_view>

#include "absl/status/status.h"
#include "stack/sysctl.h"

namespace taptcp::pkt {

absl::Status RunCommand(std::string_view command_line, Sysctl& sysctl);

}  // namespace taptcp::pkt
