#include "stack/wire/drop_reason.h"

#include <array>

namespace taptcp::wire {
namespace {

// Indexed by DropReason; the static_assert below keeps it in step with the enum.
constexpr std::array<std::string_view, kDropReasonCount> kNames = {
    "none",
    "eth_truncated",
    "eth_unsupported_type",
    "eth_not_for_us",
    "arp_truncated",
    "arp_unsupported",
    "arp_bad_op",
    "arp_not_for_us",
    "ip_truncated",
    "ip_bad_version",
    "ip_bad_header_length",
    "ip_bad_checksum",
    "ip_bad_total_length",
    "ip_bad_options",
    "ip_fragment",
    "ip_unsupported_protocol",
    "ip_not_for_us",
    "ip_martian_source",
    "icmp_truncated",
    "icmp_bad_checksum",
    "icmp_unsupported_type",
    "icmp_broadcast_echo",
    "icmp_echo_ignored",
    "tcp_truncated",
    "tcp_bad_data_offset",
    "tcp_bad_checksum",
    "tcp_bad_option",
    "tcp_not_unicast",
};
// A missing name would leave a trailing empty entry: catch it at compile time.
static_assert(!kNames.back().empty(), "every DropReason needs a name in kNames");

}  // namespace

std::string_view DropReasonName(DropReason reason) {
  const auto i = static_cast<size_t>(reason);
  return i < kNames.size() ? kNames[i] : "unknown";
}

}  // namespace taptcp::wire
