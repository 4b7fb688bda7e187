#include "apps/host_flags.h"

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "apps/control_server.h"

ABSL_FLAG(std::string, tap, "taptcp0", "TAP device to create or attach to (at most 15 characters)");
ABSL_FLAG(std::string, addr, "192.0.2.2/24", "the stack's IPv4 address and prefix");
ABSL_FLAG(std::string, mac, "02:54:41:50:00:02", "the stack's MAC address");
ABSL_FLAG(std::string, gateway, "", "default gateway (inside --addr's subnet); none by default");
ABSL_FLAG(std::vector<std::string>, sysctl, {},
          "set a knob by its Linux name, e.g. --sysctl net.ipv4.tcp_syncookies=2 (repeatable; "
          "`taptcp sysctl` lists them)");
ABSL_FLAG(std::string, pcap, "", "write every frame in and out to this pcap file");
ABSL_FLAG(bool, trace, false, "print state changes, timers and drops as JSON lines on stdout");
ABSL_FLAG(bool, offload, true,
          "use the TAP device's offloads (IFF_VNET_HDR: TSO and checksum offload both ways); "
          "--nooffload gives the packet-by-packet view");

ABSL_DECLARE_FLAG(std::string, control);

namespace taptcp::apps {

TapHostOptions HostOptionsFromFlags(std::vector<std::string> sysctls) {
  TapHostOptions o;
  o.tap = absl::GetFlag(FLAGS_tap);
  o.addr = absl::GetFlag(FLAGS_addr);
  o.mac = absl::GetFlag(FLAGS_mac);
  o.gateway = absl::GetFlag(FLAGS_gateway);
  o.sysctls = std::move(sysctls);
  o.pcap = absl::GetFlag(FLAGS_pcap);
  o.trace = absl::GetFlag(FLAGS_trace);
  o.offload = absl::GetFlag(FLAGS_offload);
  o.control = absl::GetFlag(FLAGS_control);
  if (o.control.empty()) o.control = DefaultControlPath(o.tap);
  return o;
}

}  // namespace taptcp::apps
