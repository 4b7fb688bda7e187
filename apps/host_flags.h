#pragma once

#include <string>
#include <vector>

#include "apps/tap_host.h"

namespace taptcp::apps {
// The flags every long-running command takes (DESIGN.md: --sysctl, --pcap, --trace), as options.
TapHostOptions HostOptionsFromFlags(std::vector<std::string> sysctls);
}  // namespace taptcp::apps
