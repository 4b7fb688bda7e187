// TCP options as scripts write them and as packetdrill prints them (tcp_options_to_string.c):
// "mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7". Options are kept in wire order and byte for
// byte, because packetdrill compares an outbound packet's option list kind by kind, NOPs included
// (run_packet.c verify_outbound_live_tcp_options): the exact Linux layout is part of the test.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "conformance/pkt/ast.h"

namespace taptcp::pkt {

inline constexpr uint8_t kOptEol = 0;
inline constexpr uint8_t kOptNop = 1;
inline constexpr uint8_t kOptMss = 2;
inline constexpr uint8_t kOptWindowScale = 3;
inline constexpr uint8_t kOptSackPermitted = 4;
inline constexpr uint8_t kOptSack = 5;
inline constexpr uint8_t kOptTimestamp = 8;
inline constexpr uint8_t kOptMd5 = 19;
inline constexpr uint8_t kOptFastOpen = 34;
inline constexpr uint8_t kOptExperimental = 254;

// Bytes the options take on the wire (NOP and EOL one byte, the others 2 + data).
size_t EncodedLength(const std::vector<OptionSpec>& options);
// The wire bytes.
std::vector<uint8_t> EncodeOptions(const std::vector<OptionSpec>& options);
// Splits wire bytes into options; nullopt if the list is malformed (a length byte missing, below
// 2 or running past the end).
std::optional<std::vector<OptionSpec>> DecodeOptions(std::span<const uint8_t> bytes);
// "mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7".
std::string FormatOptions(const std::vector<OptionSpec>& options);

// The TS option's val and ecr, if the list has one (the last one, as Linux reads them).
struct TimestampRef {
  uint32_t val = 0;
  uint32_t ecr = 0;
};
std::optional<TimestampRef> FindTimestamp(const std::vector<OptionSpec>& options);
void SetTimestamp(std::vector<OptionSpec>* options, uint32_t val, uint32_t ecr);
// Adds `delta` to both edges of every SACK block (sequence mapping).
void OffsetSackBlocks(std::vector<OptionSpec>* options, uint32_t delta);

void AppendU32(std::vector<uint8_t>* out, uint32_t v);
uint32_t ReadU32(const uint8_t* p);

}  // namespace taptcp::pkt
