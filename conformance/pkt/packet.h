// A TCP/IPv4 packet with every field a script can name, as the runner injects it and as it reads
// the stack's output: built into an Ethernet frame, parsed back out of one, and printed the way
// packetdrill prints packets (packet_to_string.c): "S. 0:0(0) ack 1 win 65535 <mss 1460,...>".
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "conformance/pkt/ast.h"
#include "stack/wire/addresses.h"

namespace taptcp::pkt {

struct TcpPacket {
  wire::Ipv4Address src, dst;
  uint8_t tos = 0;
  uint8_t ttl = 64;
  uint16_t src_port = 0, dst_port = 0;
  uint32_t seq = 0, ack = 0;
  uint8_t flags = 0;     // FIN SYN RST PSH ACK URG ECE CWR at their wire positions
  uint8_t reserved = 0;  // the 4 bits before CWR; bit 0 is AccECN's AE
  uint16_t window = 0;
  uint16_t urg_ptr = 0;
  std::vector<OptionSpec> options;
  std::vector<uint8_t> payload;
  std::string malformed;  // why the packet did not parse cleanly (empty when it did)

  size_t options_bytes() const;
  bool syn() const { return flags & 0x02; }
  bool has_ack() const { return flags & 0x10; }
};

// The packet a script line describes, before sequence mapping: payload of zeros (packetdrill's
// buffers), addresses and ports left for the runner to fill in.
TcpPacket FromSpec(const PacketSpec& spec);

// Ethernet + IPv4 + TCP with correct checksums. nullopt if the packet exceeds 65535 IP bytes.
std::optional<std::vector<uint8_t>> BuildFrame(const TcpPacket& p, wire::MacAddress eth_dst,
                                               wire::MacAddress eth_src, uint16_t ip_id);

// The TCP/IPv4 packet in an Ethernet frame, or nullopt for anything else (ARP, ICMP...).
// Checksum errors and malformed options are reported in `malformed`, not dropped: the matcher
// fails on them with the reason.
std::optional<TcpPacket> ParseFrame(std::span<const uint8_t> frame);

// packetdrill's flag letters, in its order: F S R P . U E W A.
std::string FlagsString(uint8_t flags, uint8_t reserved);
// "P. 1:1001(1000) ack 1 win 257 <nop,nop,TS val 1 ecr 2>"; the window only when `with_window`.
std::string FormatTcp(const TcpPacket& p, bool with_window = true, bool options_wildcard = false);
// The script line's packet as packetdrill shows it (no window when the script gave none).
std::string FormatSpec(const PacketSpec& spec);

}  // namespace taptcp::pkt
