// What a packetdrill script says, after parsing (packetdrill's struct script, struct event,
// struct packet and struct syscall_spec, in our own shapes). Times are microseconds as packetdrill
// keeps them; relative times stay relative until the runner anchors them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace taptcp::pkt {

// A `--name=value` line at the top of the script.
struct ScriptOption {
  std::string name;
  std::optional<std::string> value;
  int line = 0;
  int col = 0;
};

enum class TimeType : uint8_t {
  kAbsolute,       // 1.5
  kRelative,       // +0.1
  kAny,            // *
  kAbsoluteRange,  // 1.0~1.2
  kRelativeRange,  // +1~+1.2
};

struct EventTime {
  TimeType type = TimeType::kAbsolute;
  int64_t usecs = 0;
  int64_t end_usecs = 0;  // ranges only
};

// One TCP option as written, already in wire form: kind, and the bytes after the length byte.
// NOP and EOL are one byte (no length).
struct OptionSpec {
  uint8_t kind = 0;
  std::vector<uint8_t> data;
};

enum class Direction : uint8_t { kInbound, kOutbound };

// tos/ecn and ttl checks, as packetdrill's ip_info.
struct IpInfo {
  enum class TosCheck : uint8_t { kNone, kEcn, kEct01, kTos } tos_check = TosCheck::kNone;
  uint8_t tos = 0;  // the ECN bits for kEcn, the whole byte for kTos
  uint8_t ttl = 0;  // 0: not checked / the default
};

struct PacketSpec {
  Direction direction = Direction::kInbound;
  IpInfo ip;
  uint16_t src_port = 0, dst_port = 0;  // SPORT>DPORT: the connection; 0: under test
  std::string flags;                    // as written: "S.", "F.", "", ...
  uint8_t flag_bits = 0;                // FIN SYN RST PSH ACK URG ECE CWR, wire positions
  uint8_t reserved_bits = 0;            // the AE bit ('A') sits in the low reserved bit
  bool ace_flags = false;               // a digit (AccECN ACE counter) was written
  uint32_t start_seq = 0;
  uint16_t payload_len = 0;
  uint32_t ack = 0;
  int32_t window = -1;  // -1: not written (only allowed outbound, then not checked)
  uint16_t urg_ptr = 0;
  bool options_wildcard = false;  // <...>: options not checked
  std::vector<OptionSpec> options;
};

// A syscall argument or result: packetdrill's struct expression, reduced to what we use.
struct Expr {
  enum class Kind : uint8_t {
    kEllipsis,  // ...
    kInteger,   // 42, -1, 0x2, or a symbol already resolved
    kWord,      // SOL_SOCKET (resolved by the runner)
    kString,    // "reno"
    kList,      // [1] or [{fd=...}]
    kBraced,    // {fd=4, events=POLLIN} / {onoff=1, linger=0} / {..., 1000}
    kBinary,    // a | b, name = value
    kCall,      // htons(8080), inet_addr("192.0.2.1")
  };
  Kind kind = Kind::kEllipsis;
  int64_t integer = 0;
  std::string text;  // word, string, call name, binary operator
  std::vector<Expr> items;
  int line = 0, col = 0;
};

struct SyscallSpec {
  std::optional<int64_t> end_usecs;  // `...END`: a blocking call expected to return at END
  std::string name;
  std::vector<Expr> args;
  Expr result;
  std::optional<std::string> errno_name;  // -1 ENAME (note)
  std::string note;
};

// A backquoted shell command.
struct CommandSpec {
  std::string command_line;
};

struct Event {
  int line = 0;
  int col = 0;
  EventTime time;
  std::variant<PacketSpec, SyscallSpec, CommandSpec> action;
};

struct Script {
  std::vector<ScriptOption> options;
  std::optional<CommandSpec> init_command;
  int init_line = 0;
  std::vector<Event> events;
  std::optional<CommandSpec> cleanup_command;
  int cleanup_line = 0;
};

}  // namespace taptcp::pkt
