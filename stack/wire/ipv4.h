// IPv4 header (RFC 791 §3.1).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "stack/wire/addresses.h"
#include "stack/wire/drop_reason.h"

namespace taptcp::wire {

constexpr uint8_t kProtoIcmp = 1;
constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kProtoUdp = 17;
constexpr size_t kIpv4MinHeaderSize = 20;
constexpr size_t kIpv4MaxHeaderSize = 60;

// Accessors read the caller's buffer through a span: valid only after Parse returned kNone and
// while that buffer lives. A default-constructed view must not be read.
class Ipv4View {
 public:
  // Checks in the order Linux ip_rcv_core does: at least 20 bytes (kIpTruncated); version 4
  // (kIpBadVersion); IHL >= 5 (kIpBadHeaderLength); IHL * 4 bytes present (kIpTruncated); header
  // checksum (kIpBadChecksum); total length within [IHL * 4, buffer size] (kIpBadTotalLength).
  // Then, as ip_rcv_options/ip_options_compile would, the option list's structure
  // (kIpBadOptions: a length < 2 or running past the header; option semantics such as record-
  // route pointers are not checked). Last, MF or a nonzero fragment offset is kIpFragment: we do
  // not reassemble. Bytes past total length (Ethernet padding) are not part of payload().
  // The reserved flag bit is ignored, as Linux does.
  static DropReason Parse(std::span<const uint8_t> packet, Ipv4View* out);

  uint8_t version() const { return header_[0] >> 4; }
  uint8_t ihl_bytes() const { return static_cast<uint8_t>((header_[0] & 0x0F) * 4); }
  uint8_t tos() const { return header_[1]; }
  uint8_t dscp() const { return header_[1] >> 2; }
  uint8_t ecn() const { return header_[1] & 0x03; }  // RFC 3168 §5
  uint16_t total_length() const;
  uint16_t id() const;
  bool dont_fragment() const { return (header_[6] & 0x40) != 0; }
  bool more_fragments() const { return (header_[6] & 0x20) != 0; }
  uint16_t fragment_offset() const;  // in 8-byte units
  uint8_t ttl() const { return header_[8]; }
  uint8_t protocol() const { return header_[9]; }
  uint16_t header_checksum() const;
  Ipv4Address src() const;
  Ipv4Address dst() const;
  std::span<const uint8_t> header() const { return header_; }
  std::span<const uint8_t> options() const { return header_.subspan(kIpv4MinHeaderSize); }
  // Exactly total_length() - ihl_bytes() bytes.
  std::span<const uint8_t> payload() const { return payload_; }

 private:
  std::span<const uint8_t> header_;   // ihl_bytes() long
  std::span<const uint8_t> payload_;  // up to total length
};

struct Ipv4HeaderFields {
  Ipv4Address src;
  Ipv4Address dst;
  uint8_t protocol = 0;
  uint8_t ttl = 64;  // Linux net.ipv4.ip_default_ttl
  uint16_t id = 0;
  bool dont_fragment = true;  // Linux sets DF on TCP (path MTU discovery, RFC 1191)
  uint8_t tos = 0;
};

// Writes a 20-byte header (no options) with its checksum for a payload of `payload_length`
// bytes. Returns 20, or 0 if `out` is smaller than 20 or 20 + payload_length > 65535.
size_t WriteIpv4Header(std::span<uint8_t> out, const Ipv4HeaderFields& fields,
                       uint16_t payload_length);

}  // namespace taptcp::wire
