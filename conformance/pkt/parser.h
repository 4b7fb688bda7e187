// The packetdrill script grammar (gtests/net/packetdrill/parser.y), as a recursive-descent parser
// over lexer.h's tokens, with packetdrill's semantic checks (a window on every inbound packet,
// options padded to 32 bits, `*` and time ranges only on outbound packets, sequence numbers that
// agree with the payload length...).
//
//   script   := option* [`init command`] event+ [`cleanup command`]
//   option   := --name[=value]
//   event    := time action
//   time     := T | +T | * | T~T | +T~+T
//   action   := packet | syscall | `command`
//   packet   := (<|>) [(ip info)] [SPORT>DPORT] flags START:END(LEN) [ack N] [win N] [urg N]
//               [<option, ...> | <...>]
//   syscall  := [...END] name(expr, ...) = expr [ERRNO (note)]
//
// Errors are "LINE:COL: message"; parsing stops at the first. Depth and sizes are bounded, so
// hostile input cannot exhaust the stack or memory.
#pragma once

#include <string_view>

#include "absl/status/statusor.h"
#include "conformance/pkt/ast.h"

namespace taptcp::pkt {

inline constexpr int kMaxExprDepth = 32;
inline constexpr size_t kMaxEvents = 100000;

absl::StatusOr<Script> ParseScript(std::string_view text);

}  // namespace taptcp::pkt
