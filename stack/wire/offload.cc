#include "stack/wire/offload.h"

#include <algorithm>
#include <cstring>

#include "stack/wire/bytes.h"
#include "stack/wire/checksum.h"
#include "stack/wire/ethernet.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/tcp.h"

namespace taptcp::wire {
namespace {

// The header lengths of an IPv4/TCP packet whose headers are all present, or 0.
struct Layout {
  size_t ihl = 0;    // IPv4 header bytes
  size_t doff = 0;   // TCP header bytes
  size_t total = 0;  // IPv4 total length (<= the buffer)
};

Layout TcpLayout(std::span<const uint8_t> ip) {
  Layout l;
  if (ip.size() < kIpv4MinHeaderSize || (ip[0] >> 4) != 4 || ip[9] != kProtoTcp) return {};
  const size_t ihl = static_cast<size_t>(ip[0] & 0x0F) * 4;
  const size_t total = Load16(ip.data() + 2);
  if (ihl < kIpv4MinHeaderSize || total > ip.size() || total < ihl + kTcpMinHeaderSize) return {};
  const size_t doff = static_cast<size_t>(ip[ihl + 12] >> 4) * 4;
  if (doff < kTcpMinHeaderSize || ihl + doff > total) return {};
  l.ihl = ihl;
  l.doff = doff;
  l.total = total;
  return l;
}

Ipv4Address Addr(const uint8_t* p) { return Ipv4Address{Load32(p)}; }

// The full checksum of the TCP segment at `ip + ihl` (field zeroed first).
void WriteFullTcpChecksum(std::span<uint8_t> ip, const Layout& l) {
  uint8_t* tcp = ip.data() + l.ihl;
  Store16(tcp + 16, 0);
  Checksum sum;
  const size_t len = l.total - l.ihl;
  sum.AddPseudoHeader(Addr(ip.data() + 12), Addr(ip.data() + 16), kProtoTcp,
                      static_cast<uint16_t>(len));
  sum.Add(std::span<const uint8_t>(tcp, len));
  Store16(tcp + 16, sum.Finish());
}

void WriteIpChecksum(std::span<uint8_t> ip, size_t ihl) {
  Store16(ip.data() + 10, 0);
  Store16(ip.data() + 10, InternetChecksum(ip.first(ihl)));
}

}  // namespace

bool CompleteTcpChecksum(std::span<uint8_t> ip_packet) {
  const Layout l = TcpLayout(ip_packet);
  if (l.total == 0) return false;
  // The field already holds the pseudo-header sum, so summing the segment as it is completes it
  // (what a NIC does from csum_start); recomputing from scratch gives the same value.
  WriteFullTcpChecksum(ip_packet, l);
  return true;
}

void SegmentFrame(std::span<const uint8_t> frame, const Offload& offload,
                  std::span<uint8_t> scratch, absl::FunctionRef<void(std::span<uint8_t>)> emit) {
  const auto emit_as_is = [&] {
    const size_t n = std::min(frame.size(), scratch.size());
    std::memcpy(scratch.data(), frame.data(), n);
    emit(scratch.first(n));
  };
  if (frame.size() < kEthernetHeaderSize || Load16(frame.data() + 12) != kIpv4) {
    emit_as_is();
    return;
  }
  const Layout l = TcpLayout(frame.subspan(kEthernetHeaderSize));
  if (l.total == 0) {
    emit_as_is();
    return;
  }
  const size_t headers = kEthernetHeaderSize + l.ihl + l.doff;
  const size_t payload = l.total - l.ihl - l.doff;
  const size_t piece =
      offload.gso_size == 0 ? std::max<size_t>(payload, 1) : size_t{offload.gso_size};
  const uint8_t* tcp_in = frame.data() + kEthernetHeaderSize + l.ihl;
  const uint32_t seq = Load32(tcp_in + 4);
  const uint16_t id = Load16(frame.data() + kEthernetHeaderSize + 4);
  const uint8_t flags = tcp_in[13];
  size_t offset = 0;
  uint16_t index = 0;
  do {
    const size_t len = std::min(piece, payload - offset);
    const bool first = offset == 0;
    const bool last = offset + len == payload;
    if (headers + len > scratch.size()) return;  // the caller's scratch fits its MTU: a bug
    std::memcpy(scratch.data(), frame.data(), headers);
    std::memcpy(scratch.data() + headers, frame.data() + headers + offset, len);
    std::span<uint8_t> ip = scratch.subspan(kEthernetHeaderSize);
    Layout pl = l;
    pl.total = l.ihl + l.doff + len;
    Store16(ip.data() + 2, static_cast<uint16_t>(pl.total));
    Store16(ip.data() + 4, static_cast<uint16_t>(id + index));
    WriteIpChecksum(ip, l.ihl);
    uint8_t* tcp = ip.data() + l.ihl;
    Store32(tcp + 4, seq + static_cast<uint32_t>(offset));
    uint8_t f = flags;
    if (!last) f &= static_cast<uint8_t>(~(kFin | kPsh));
    if (!first) f &= static_cast<uint8_t>(~kCwr);
    tcp[13] = f;
    WriteFullTcpChecksum(ip, pl);
    emit(scratch.first(headers + len));
    offset += len;
    ++index;
  } while (offset < payload);
}

}  // namespace taptcp::wire
