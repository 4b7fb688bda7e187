// One line per frame in the words a student reads in tcpdump: "ARP who-has 192.0.2.2 tell
// 192.0.2.1", "ICMP echo request 192.0.2.1 > 192.0.2.2 id 7 seq 1". Decoded with our own wire
// views, so it works where tshark is not installed.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace taptcp::apps {
std::string SummarizeFrame(std::span<const uint8_t> frame);
}  // namespace taptcp::apps
