// What a reference capture's NAME.json says about NAME.pcap (pcaps/record-linux.sh writes both):
// which host is the device under test, how it was configured (sysctls), which socket calls its
// application made and when, how closely taptcp's timing must match, and where taptcp differs
// from Linux on purpose. `taptcp replay` configures a Stack from it.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "stack/wire/addresses.h"
#include "timers/time.h"

namespace taptcp::replay {

// One socket call of the device under test's application. Times are relative to the capture's
// first frame (calls made before it, like listen(), are negative).
struct AppCall {
  Duration t{0};
  std::string sock;  // the socket's name in the description ("listener", "conn")
  std::string call;  // socket, setsockopt, bind, listen, accept, connect, send, recv, shutdown,
                     // close
  std::string as;    // accept: the name of the new socket
  std::string level, name;  // setsockopt: "SOL_SOCKET" / "IPPROTO_TCP", "SO_REUSEADDR"...
  int value = 0;            // setsockopt
  int port = 0;             // bind, connect
  std::string ip;           // connect
  int backlog = 0;          // listen
  int bytes = 0;            // send, recv
  std::string how;          // shutdown: SHUT_RD, SHUT_WR, SHUT_RDWR
  // What the kernel returned: a byte count or 0 ("42"), or an errno name ("ECONNRESET").
  std::string result;
};

// Which windows are compared: the scaled window of later segments depends on receive-buffer
// autotuning, which taptcp does not model byte for byte.
enum class WindowCompare { kNone, kSyn, kAll };

struct Description {
  std::string path;  // where it was read from, for messages
  int format = 1;
  std::string name;
  std::string summary;
  std::string linux_release;
  wire::Ipv4Address dut_ip, peer_ip;
  wire::MacAddress dut_mac, peer_mac;
  int mtu = 1500;
  // Applied to taptcp in this order, by their Linux names.
  std::vector<std::pair<std::string, std::string>> sysctls;
  std::vector<AppCall> calls;
  // When the recording stopped, relative to the first frame; nothing later is compared.
  std::optional<Duration> end;
  int tolerance_ms = 10;
  std::string tolerance_why;
  WindowCompare compare_window = WindowCompare::kSyn;
  // Linux frame number (1-based, as Wireshark counts) -> why taptcp differs there on purpose.
  std::map<int, std::string> deviations;
};

// Descriptions larger than this are refused (a real one is a few KiB).
inline constexpr size_t kMaxDescriptionBytes = 4 << 20;

// Where the description of `pcap_path` lives: the same path with .json for .pcap / .pcapng.
std::string DescriptionPathFor(std::string_view pcap_path);

// Reads and checks a description. Every error is one line naming the file and the problem
// ("pcaps/linux/x.json: calls[2].t: expected a number, got a string").
absl::StatusOr<Description> LoadDescription(const std::string& path);
// The same from text already read (tests); `path` only names it in messages.
absl::StatusOr<Description> ParseDescription(std::string_view text, const std::string& path);

}  // namespace taptcp::replay
