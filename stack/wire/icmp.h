// ICMP for IPv4 (RFC 792): echo and the error messages the net layer sends.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "stack/wire/drop_reason.h"

namespace taptcp::wire {

constexpr size_t kIcmpHeaderSize = 8;

constexpr uint8_t kEchoReply = 0;
constexpr uint8_t kDestUnreachable = 3;
constexpr uint8_t kEchoRequest = 8;
constexpr uint8_t kTimeExceeded = 11;
constexpr uint8_t kParameterProblem = 12;

// Destination Unreachable codes (RFC 792, RFC 1191 for code 4).
constexpr uint8_t kCodeNetUnreachable = 0;
constexpr uint8_t kCodeHostUnreachable = 1;
constexpr uint8_t kCodeProtocolUnreachable = 2;
constexpr uint8_t kCodePortUnreachable = 3;
constexpr uint8_t kCodeFragmentationNeeded = 4;

// Accessors read the caller's buffer through a span: valid only after Parse returned kNone and
// while that buffer lives. A default-constructed view must not be read.
class IcmpView {
 public:
  // As Linux icmp_rcv: a correct checksum over the whole message (kIcmpBadChecksum), then the
  // 8-byte header (kIcmpTruncated). The type is not checked here.
  static DropReason Parse(std::span<const uint8_t> message, IcmpView* out);

  uint8_t type() const { return message_[0]; }
  uint8_t code() const { return message_[1]; }
  uint16_t checksum() const;
  // Bytes 4..7 ("rest of header"): identifier and sequence number for echo (RFC 792 p.14),
  // unused / next-hop MTU for errors.
  uint16_t echo_id() const;
  uint16_t echo_seq() const;
  uint32_t rest_of_header() const;
  // After the 8-byte header: echo data, or the quoted IP header + 8 bytes for errors.
  std::span<const uint8_t> payload() const { return message_.subspan(kIcmpHeaderSize); }
  std::span<const uint8_t> message() const { return message_; }

 private:
  std::span<const uint8_t> message_;
};

// Writes type, code, checksum, the 4-byte rest of header and `payload`; computes the checksum.
// `payload` may already sit at out[8..] (then it is not copied) or overlap `out` in any other way
// (memmove). Returns 8 + payload.size(), or 0 if `out` is too small.
size_t WriteIcmpMessage(std::span<uint8_t> out, uint8_t type, uint8_t code, uint32_t rest_of_header,
                        std::span<const uint8_t> payload);

// Echo request/reply (type kEchoRequest / kEchoReply, code 0). Same contract as above.
size_t WriteIcmpEcho(std::span<uint8_t> out, uint8_t type, uint16_t id, uint16_t seq,
                     std::span<const uint8_t> payload);

}  // namespace taptcp::wire
