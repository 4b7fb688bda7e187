#include "stack/wire/icmp.h"

#include <cstring>

#include "stack/wire/bytes.h"
#include "stack/wire/checksum.h"

namespace taptcp::wire {

DropReason IcmpView::Parse(std::span<const uint8_t> message, IcmpView* out) {
  // Linux icmp_rcv order: the checksum over whatever arrived (RFC 792: the whole message from
  // the type field on), then the 8-byte header. So a short message with a bad sum counts as a
  // checksum error (IcmpInCsumErrors) and a short one with a good sum as IcmpInErrors.
  if (InternetChecksum(message) != 0) return DropReason::kIcmpBadChecksum;
  if (message.size() < kIcmpHeaderSize) return DropReason::kIcmpTruncated;
  out->message_ = message;
  return DropReason::kNone;
}

uint16_t IcmpView::checksum() const { return Load16(message_.data() + 2); }
uint16_t IcmpView::echo_id() const { return Load16(message_.data() + 4); }
uint16_t IcmpView::echo_seq() const { return Load16(message_.data() + 6); }
uint32_t IcmpView::rest_of_header() const { return Load32(message_.data() + 4); }

size_t WriteIcmpMessage(std::span<uint8_t> out, uint8_t type, uint8_t code, uint32_t rest_of_header,
                        std::span<const uint8_t> payload) {
  const size_t total = kIcmpHeaderSize + payload.size();
  if (out.size() < total) return 0;
  uint8_t* p = out.data();
  // Move the payload before writing the header: it may overlap the header bytes.
  if (!payload.empty() && payload.data() != p + kIcmpHeaderSize) {
    std::memmove(p + kIcmpHeaderSize, payload.data(), payload.size());
  }
  p[0] = type;
  p[1] = code;
  Store16(p + 2, 0);
  Store32(p + 4, rest_of_header);
  Store16(p + 2, InternetChecksum(out.first(total)));
  return total;
}

size_t WriteIcmpEcho(std::span<uint8_t> out, uint8_t type, uint16_t id, uint16_t seq,
                     std::span<const uint8_t> payload) {
  return WriteIcmpMessage(out, type, 0, (uint32_t{id} << 16) | seq, payload);
}

}  // namespace taptcp::wire
