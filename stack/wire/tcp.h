// TCP header (RFC 9293 §3.1): zero-copy view with checksum and option parsing, and the segment
// builder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "stack/wire/addresses.h"
#include "stack/wire/drop_reason.h"
#include "stack/wire/tcp_options.h"

namespace taptcp::wire {

constexpr size_t kTcpMinHeaderSize = 20;
constexpr size_t kTcpMaxHeaderSize = 60;

// Control bits (RFC 9293 §3.1; ECE/CWR from RFC 3168 §6.1).
constexpr uint8_t kFin = 0x01;
constexpr uint8_t kSyn = 0x02;
constexpr uint8_t kRst = 0x04;
constexpr uint8_t kPsh = 0x08;
constexpr uint8_t kAck = 0x10;
constexpr uint8_t kUrg = 0x20;
constexpr uint8_t kEce = 0x40;
constexpr uint8_t kCwr = 0x80;

// Accessors read the caller's buffer through a span: valid only after Parse returned kNone and
// while that buffer lives. A default-constructed view must not be read.
class TcpView {
 public:
  // `segment` is the whole IPv4 payload. Checks, in Linux tcp_v4_rcv's order: at least 20
  // bytes (kTcpTruncated); data offset >= 5 and data offset * 4 <= segment size
  // (kTcpBadDataOffset); the checksum over the RFC 9293 §3.1 pseudo-header built from src, dst
  // and the segment length (kTcpBadChecksum; skipped when verify_checksum is false, e.g. for
  // frames a test or a pcap produced with checksum offload). Then the options are parsed
  // (ParseTcpOptions). A malformed option list does NOT drop the segment: like Linux
  // tcp_parse_options we keep the options before the bad one and the segment; options_status()
  // says kTcpBadOption so the caller can count or trace it.
  static DropReason Parse(std::span<const uint8_t> segment, Ipv4Address src, Ipv4Address dst,
                          TcpView* out, bool verify_checksum = true);

  uint16_t src_port() const;
  uint16_t dst_port() const;
  uint32_t seq() const;
  uint32_t ack() const;
  uint8_t data_offset_bytes() const { return static_cast<uint8_t>((segment_[12] >> 4) * 4); }
  // The 4 bits between data offset and CWR (RFC 9293 "Rsrvd"; bit 0x01 was RFC 3540's NS).
  uint8_t reserved_bits() const { return segment_[12] & 0x0F; }
  uint8_t flags() const { return segment_[13]; }
  bool fin() const { return (flags() & kFin) != 0; }
  bool syn() const { return (flags() & kSyn) != 0; }
  bool rst() const { return (flags() & kRst) != 0; }
  bool psh() const { return (flags() & kPsh) != 0; }
  bool ack_flag() const { return (flags() & kAck) != 0; }
  bool urg() const { return (flags() & kUrg) != 0; }
  bool ece() const { return (flags() & kEce) != 0; }
  bool cwr() const { return (flags() & kCwr) != 0; }
  uint16_t window() const;  // unscaled, as on the wire
  uint16_t checksum() const;
  uint16_t urgent() const;
  std::span<const uint8_t> header() const { return segment_.first(data_offset_bytes()); }
  std::span<const uint8_t> options_bytes() const {
    return segment_.subspan(kTcpMinHeaderSize, data_offset_bytes() - kTcpMinHeaderSize);
  }
  const TcpOptions& options() const { return options_; }
  // kNone, or kTcpBadOption if the option list was malformed (see Parse).
  DropReason options_status() const { return options_status_; }
  std::span<const uint8_t> payload() const { return segment_.subspan(data_offset_bytes()); }
  // Sequence space the segment occupies: payload bytes + 1 for SYN + 1 for FIN (RFC 9293 §3.4).
  uint32_t seg_len() const {
    return static_cast<uint32_t>(payload().size()) + (syn() ? 1 : 0) + (fin() ? 1 : 0);
  }
  std::span<const uint8_t> segment() const { return segment_; }

 private:
  std::span<const uint8_t> segment_;
  TcpOptions options_;
  DropReason options_status_ = DropReason::kNone;
};

struct TcpHeaderFields {
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint8_t flags = 0;
  uint16_t window = 0;  // already scaled down by the caller
  uint16_t urgent = 0;
};

// Writes header + options (WriteTcpOptions) + payload and the checksum (with the pseudo-header
// for src/dst). `payload` may already sit where it belongs (out[20 + TcpOptionsSize(options)..])
// so a caller can place data first and avoid a copy; any other overlap is handled (memmove).
// Returns the segment length, or 0 if `out` is too small or the options are invalid (see
// WriteTcpOptions) or the segment would exceed 65535 - 20 bytes. With `partial_checksum` the
// checksum field gets only the pseudo-header sum, for a device to complete (offload.h).
size_t WriteTcpSegment(std::span<uint8_t> out, Ipv4Address src, Ipv4Address dst,
                       const TcpHeaderFields& fields, const TcpOptions& options,
                       std::span<const uint8_t> payload, bool partial_checksum = false);

}  // namespace taptcp::wire
