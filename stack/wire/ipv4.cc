#include "stack/wire/ipv4.h"

#include "stack/wire/bytes.h"
#include "stack/wire/checksum.h"

namespace taptcp::wire {
namespace {

constexpr uint8_t kIpOptEol = 0;
constexpr uint8_t kIpOptNop = 1;

// The structural part of Linux ip_options_compile: EOL ends the list, NOP is one byte, every
// other option has a length byte >= 2 that stays inside the header. The per-option semantic
// checks (record-route / timestamp pointers, source-route handling) are not done: we never
// act on IP options, and Linux drops source-routed packets by default anyway
// (accept_source_route = 0).
bool IpOptionsWellFormed(std::span<const uint8_t> options) {
  size_t i = 0;
  while (i < options.size()) {
    const uint8_t kind = options[i];
    if (kind == kIpOptEol) return true;
    if (kind == kIpOptNop) {
      ++i;
      continue;
    }
    if (options.size() - i < 2) return false;
    const uint8_t len = options[i + 1];
    if (len < 2 || len > options.size() - i) return false;
    i += len;
  }
  return true;
}

}  // namespace

DropReason Ipv4View::Parse(std::span<const uint8_t> packet, Ipv4View* out) {
  // The order follows Linux ip_rcv_core so a frame with several defects is counted under the
  // same reason Linux would count it.
  if (packet.size() < kIpv4MinHeaderSize) return DropReason::kIpTruncated;
  const uint8_t* p = packet.data();
  if ((p[0] >> 4) != 4) return DropReason::kIpBadVersion;
  const size_t ihl = size_t{p[0] & 0x0Fu} * 4;
  if (ihl < kIpv4MinHeaderSize) return DropReason::kIpBadHeaderLength;
  if (packet.size() < ihl) return DropReason::kIpTruncated;
  const std::span<const uint8_t> header = packet.first(ihl);
  // RFC 791 §3.1 / RFC 1071: the sum over the header, checksum field included, verifies to 0.
  if (InternetChecksum(header) != 0) return DropReason::kIpBadChecksum;
  const size_t total = Load16(p + 2);
  // Linux: total > skb->len is IpExtInTruncatedPkts, total < ihl is IpInHdrErrors; both drop.
  if (total > packet.size() || total < ihl) return DropReason::kIpBadTotalLength;
  if (!IpOptionsWellFormed(header.subspan(kIpv4MinHeaderSize))) {
    return DropReason::kIpBadOptions;
  }
  const uint16_t frag = Load16(p + 6);
  // MF (0x2000) or a fragment offset (low 13 bits): a fragment, which only reassembly
  // (ip_local_deliver -> ip_defrag in Linux) could use. DF (0x4000) and the reserved bit
  // (0x8000) do not matter for reception.
  if ((frag & 0x3FFF) != 0) return DropReason::kIpFragment;
  out->header_ = header;
  // Trailing bytes beyond total length are link-layer padding (Linux pskb_trim_rcsum).
  out->payload_ = packet.subspan(ihl, total - ihl);
  return DropReason::kNone;
}

uint16_t Ipv4View::total_length() const { return Load16(header_.data() + 2); }
uint16_t Ipv4View::id() const { return Load16(header_.data() + 4); }
uint16_t Ipv4View::fragment_offset() const { return Load16(header_.data() + 6) & 0x1FFF; }
uint16_t Ipv4View::header_checksum() const { return Load16(header_.data() + 10); }
Ipv4Address Ipv4View::src() const { return Ipv4Address{Load32(header_.data() + 12)}; }
Ipv4Address Ipv4View::dst() const { return Ipv4Address{Load32(header_.data() + 16)}; }

size_t WriteIpv4Header(std::span<uint8_t> out, const Ipv4HeaderFields& fields,
                       uint16_t payload_length) {
  const size_t total = kIpv4MinHeaderSize + size_t{payload_length};
  if (out.size() < kIpv4MinHeaderSize || total > 0xFFFF) return 0;
  uint8_t* p = out.data();
  p[0] = 0x45;  // version 4, IHL 5: we never send IP options
  p[1] = fields.tos;
  Store16(p + 2, static_cast<uint16_t>(total));
  Store16(p + 4, fields.id);
  Store16(p + 6, fields.dont_fragment ? 0x4000 : 0);
  p[8] = fields.ttl;
  p[9] = fields.protocol;
  Store16(p + 10, 0);
  Store32(p + 12, fields.src.value);
  Store32(p + 16, fields.dst.value);
  Store16(p + 10, InternetChecksum(out.first(kIpv4MinHeaderSize)));
  return kIpv4MinHeaderSize;
}

}  // namespace taptcp::wire
