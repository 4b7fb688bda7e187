// TCP options (RFC 9293 §3.1, §3.2): MSS (RFC 9293 §3.7.1), window scale and timestamps
// (RFC 7323), SACK (RFC 2018), Fast Open (RFC 7413). Included by tcp.h.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>

#include "stack/wire/drop_reason.h"

namespace taptcp::wire {

// Option kinds (IANA "TCP Option Kind Numbers").
constexpr uint8_t kTcpOptEol = 0;
constexpr uint8_t kTcpOptNop = 1;
constexpr uint8_t kTcpOptMss = 2;
constexpr uint8_t kTcpOptWindowScale = 3;
constexpr uint8_t kTcpOptSackPermitted = 4;
constexpr uint8_t kTcpOptSack = 5;
constexpr uint8_t kTcpOptTimestamp = 8;
constexpr uint8_t kTcpOptMd5 = 19;
constexpr uint8_t kTcpOptFastOpen = 34;
constexpr uint8_t kTcpOptExperimental = 254;  // RFC 6994; Fast Open used it before kind 34
constexpr uint16_t kTcpFastOpenMagic = 0xF989;

// Fixed lengths (kind + length bytes included).
constexpr uint8_t kTcpOptLenMss = 4;
constexpr uint8_t kTcpOptLenWindowScale = 3;
constexpr uint8_t kTcpOptLenSackPermitted = 2;
constexpr uint8_t kTcpOptLenTimestamp = 10;
constexpr uint8_t kTcpOptLenSackBase = 2;
constexpr uint8_t kTcpOptLenSackPerBlock = 8;
constexpr size_t kTcpMaxSackBlocks = 4;  // 2 + 4 * 8 = 34 of the 40 option bytes
constexpr size_t kTcpMaxOptionsSize = 40;
constexpr size_t kTcpFastOpenCookieMin = 4;  // RFC 7413 §4.1.1: 4..16 bytes, even
constexpr size_t kTcpFastOpenCookieMax = 16;
constexpr uint8_t kTcpMaxWindowScale = 14;  // RFC 7323 §2.3

struct SackBlock {
  uint32_t left = 0;   // first sequence number of the block
  uint32_t right = 0;  // sequence number just past the block
  friend bool operator==(const SackBlock&, const SackBlock&) = default;
};

struct FastOpenOption {
  bool experimental = false;  // kind 254 with magic 0xF989 (pre-RFC 7413) rather than kind 34
  uint8_t cookie_len = 0;     // 0: a cookie request (RFC 7413 §4.1.1); else 4..16, even
  std::array<uint8_t, 16> cookie{};
  friend bool operator==(const FastOpenOption&, const FastOpenOption&) = default;
};

// What a segment carried. Parsing is context free: MSS, window scale, SACK-permitted and Fast
// Open are recorded on any segment and raw (a window scale > 14 or an MSS of 0 as sent); the TCP
// layer applies Linux's rules (only on SYN, clamp the scale to 14, ignore MSS 0).
struct TcpOptions {
  std::optional<uint16_t> mss;
  std::optional<uint8_t> window_scale;
  bool sack_permitted = false;
  uint8_t sack_count = 0;  // valid entries in sack[]
  std::array<SackBlock, 4> sack{};
  std::optional<std::pair<uint32_t, uint32_t>> timestamp;  // TSval, TSecr (RFC 7323 §3)
  std::optional<FastOpenOption> fast_open;

  std::span<const SackBlock> sack_blocks() const { return {sack.data(), sack_count}; }
  // Field-wise equality (only the first sack_count SACK blocks count).
  friend bool operator==(const TcpOptions& a, const TcpOptions& b);
};

// Parses the option bytes of a TCP header (data offset * 4 - 20 bytes), following Linux
// tcp_parse_options:
//  - EOL ends the list; NOP is skipped.
//  - Any other kind needs a length byte >= 2 that stays within the list; otherwise parsing stops
//    and kTcpBadOption is returned, with the options before it kept in *out. (Linux stops the
//    same way but keeps the segment; TcpView::Parse does too.)
//  - Known kinds with a wrong length are ignored, not fatal, as Linux does: MSS != 4, WS != 3,
//    SACK-permitted != 2, timestamps != 10, SACK not 2 + 8n with n >= 1, Fast Open cookies of odd
//    length, or of even length outside 4..16 (other than an empty request).
//  - Unknown kinds (and MD5, 19) are skipped by their length.
//  - A kind repeated: the last one wins, as in Linux.
// Returns kNone for a well-formed list.
DropReason ParseTcpOptions(std::span<const uint8_t> bytes, TcpOptions* out);

// The number of option bytes WriteTcpOptions writes (a multiple of 4), or 0 for none. May exceed
// kTcpMaxOptionsSize if the caller asked for too much; WriteTcpOptions then fails.
size_t TcpOptionsSize(const TcpOptions& options);

// Writes the options in Linux tcp_options_write's order and layout, every option padded to a
// 32-bit boundary with NOPs:
//   MSS                          02 04 mm mm
//   SACK-permitted + timestamps  04 02 08 0a <TSval> <TSecr>
//   timestamps alone             01 01 08 0a <TSval> <TSecr>
//   SACK-permitted alone         01 01 04 02
//   window scale                 01 03 03 ws
//   SACK blocks                  01 01 05 <2+8n> <blocks>
//   Fast Open                    22 <2+len> <cookie> [01 01]  or  fe <4+len> f9 89 <cookie> [01 01]
// Returns the bytes written (TcpOptionsSize), or 0 if there is nothing to write, `out` is too
// small, the total exceeds 40 bytes, sack_count > 4 or a Fast Open cookie length is invalid.
size_t WriteTcpOptions(std::span<uint8_t> out, const TcpOptions& options);

}  // namespace taptcp::wire
