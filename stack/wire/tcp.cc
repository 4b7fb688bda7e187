#include "stack/wire/tcp.h"

#include <array>
#include <cstring>

#include "stack/wire/bytes.h"
#include "stack/wire/checksum.h"
#include "stack/wire/ipv4.h"

namespace taptcp::wire {

DropReason TcpView::Parse(std::span<const uint8_t> segment, Ipv4Address src, Ipv4Address dst,
                          TcpView* out, bool verify_checksum) {
  // Linux tcp_v4_rcv: pull the fixed header, check doff >= 5 (TcpInErrs), pull doff * 4 bytes,
  // then verify the checksum (TCPCsumErrors), then parse options later in the state machine.
  if (segment.size() < kTcpMinHeaderSize) return DropReason::kTcpTruncated;
  const size_t doff = static_cast<size_t>(segment[12] >> 4) * 4;
  if (doff < kTcpMinHeaderSize || doff > segment.size()) return DropReason::kTcpBadDataOffset;
  if (verify_checksum) {
    // RFC 9293 §3.1: the pseudo-header's TCP length is the header plus data length. `segment`
    // is an IPv4 payload, so it fits 16 bits.
    Checksum sum;
    sum.AddPseudoHeader(src, dst, kProtoTcp, static_cast<uint16_t>(segment.size()));
    sum.Add(segment);
    if (sum.Finish() != 0) return DropReason::kTcpBadChecksum;
  }
  out->segment_ = segment;
  out->options_status_ =
      ParseTcpOptions(segment.subspan(kTcpMinHeaderSize, doff - kTcpMinHeaderSize), &out->options_);
  return DropReason::kNone;
}

uint16_t TcpView::src_port() const { return Load16(segment_.data()); }
uint16_t TcpView::dst_port() const { return Load16(segment_.data() + 2); }
uint32_t TcpView::seq() const { return Load32(segment_.data() + 4); }
uint32_t TcpView::ack() const { return Load32(segment_.data() + 8); }
uint16_t TcpView::window() const { return Load16(segment_.data() + 14); }
uint16_t TcpView::checksum() const { return Load16(segment_.data() + 16); }
uint16_t TcpView::urgent() const { return Load16(segment_.data() + 18); }

size_t WriteTcpSegment(std::span<uint8_t> out, Ipv4Address src, Ipv4Address dst,
                       const TcpHeaderFields& fields, const TcpOptions& options,
                       std::span<const uint8_t> payload, bool partial_checksum) {
  // Options go through a small buffer first so that nothing in `out` is touched when they are
  // invalid, and so that a payload overlapping the header area is moved before it is
  // overwritten.
  std::array<uint8_t, kTcpMaxOptionsSize> opts;
  const size_t opt_size = TcpOptionsSize(options);
  if (opt_size > 0 && WriteTcpOptions(opts, options) != opt_size) return 0;
  const size_t header_size = kTcpMinHeaderSize + opt_size;
  const size_t total = header_size + payload.size();
  if (out.size() < total || total > 0xFFFF - kIpv4MinHeaderSize) return 0;
  uint8_t* p = out.data();
  if (!payload.empty() && payload.data() != p + header_size) {
    std::memmove(p + header_size, payload.data(), payload.size());
  }
  Store16(p, fields.src_port);
  Store16(p + 2, fields.dst_port);
  Store32(p + 4, fields.seq);
  Store32(p + 8, fields.ack);
  p[12] = static_cast<uint8_t>((header_size / 4) << 4);  // data offset; reserved bits zero
  p[13] = fields.flags;
  Store16(p + 14, fields.window);
  Store16(p + 16, 0);
  Store16(p + 18, fields.urgent);
  std::memcpy(p + kTcpMinHeaderSize, opts.data(), opt_size);
  Checksum sum;
  sum.AddPseudoHeader(src, dst, kProtoTcp, static_cast<uint16_t>(total));
  if (partial_checksum) {
    // CHECKSUM_PARTIAL (Linux tcp_v4_send_check): only the pseudo-header sum, folded and not
    // inverted, for the device to complete over the segment.
    Store16(p + 16, static_cast<uint16_t>(~sum.Finish()));
    return total;
  }
  sum.Add(out.first(total));
  Store16(p + 16, sum.Finish());
  return total;
}

}  // namespace taptcp::wire
