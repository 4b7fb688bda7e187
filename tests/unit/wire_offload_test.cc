// stack/wire/offload: the software fallback for TSO and checksum offload (tcp_gso_segment,
// skb_checksum_help) must produce exactly the frames the stack would have sent without offloads.
#include <numeric>
#include <vector>

#include "gtest/gtest.h"
#include "stack/wire/bytes.h"
#include "stack/wire/ethernet.h"
#include "stack/wire/frame.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/offload.h"
#include "stack/wire/tcp.h"

namespace taptcp::wire {
namespace {

const Ipv4Address kSrc = *Ipv4Address::Parse("192.0.2.1");
const Ipv4Address kDst = *Ipv4Address::Parse("192.0.2.2");
const MacAddress kMacA = *MacAddress::Parse("02:00:00:00:00:01");
const MacAddress kMacB = *MacAddress::Parse("02:00:00:00:00:02");

// An Ethernet/IPv4/TCP frame with timestamps, `payload` bytes 0,1,2..., flags, IP ID 100.
std::vector<uint8_t> Frame(size_t payload, uint8_t flags, bool partial) {
  std::vector<uint8_t> f(kEthernetHeaderSize + kIpv4MinHeaderSize + 32 + payload);
  WriteEthernetHeader(f, kMacB, kMacA, kIpv4);
  std::vector<uint8_t> data(payload);
  std::iota(data.begin(), data.end(), uint8_t{0});
  TcpHeaderFields h;
  h.src_port = 40000;
  h.dst_port = 80;
  h.seq = 0xFFFFF000;  // pieces wrap the sequence space
  h.ack = 7;
  h.flags = flags;
  h.window = 502;
  TcpOptions o;
  o.timestamp = std::make_pair(11u, 22u);
  std::span<uint8_t> tcp = std::span(f).subspan(kEthernetHeaderSize + kIpv4MinHeaderSize);
  const size_t n = WriteTcpSegment(tcp, kSrc, kDst, h, o, data, partial);
  Ipv4HeaderFields ip;
  ip.src = kSrc;
  ip.dst = kDst;
  ip.protocol = kProtoTcp;
  ip.id = 100;
  WriteIpv4Header(std::span(f).subspan(kEthernetHeaderSize), ip, static_cast<uint16_t>(n));
  return f;
}

std::vector<std::vector<uint8_t>> Segment(const std::vector<uint8_t>& frame, const Offload& o) {
  std::vector<std::vector<uint8_t>> out;
  std::vector<uint8_t> scratch(kEthernetHeaderSize + 65535);
  SegmentFrame(frame, o, scratch,
               [&](std::span<uint8_t> piece) { out.emplace_back(piece.begin(), piece.end()); });
  return out;
}

TEST(Offload, PartialChecksumHoldsThePseudoHeaderSumAndCompletesToTheFullOne) {
  const std::vector<uint8_t> full = Frame(300, kAck | kPsh, false);
  std::vector<uint8_t> partial = Frame(300, kAck | kPsh, true);
  ASSERT_NE(full, partial);  // only the checksum field differs
  ParsedFrame parsed;
  EXPECT_EQ(ParseFrame(partial, &parsed), DropReason::kTcpBadChecksum);
  ASSERT_TRUE(CompleteTcpChecksum(std::span(partial).subspan(kEthernetHeaderSize)));
  EXPECT_EQ(partial, full);
}

TEST(Offload, CompleteRefusesWhatIsNotTcp) {
  std::vector<uint8_t> f = Frame(10, kAck, true);
  std::span<uint8_t> ip = std::span(f).subspan(kEthernetHeaderSize);
  ip[9] = 17;  // UDP
  const std::vector<uint8_t> before = f;
  EXPECT_FALSE(CompleteTcpChecksum(ip));
  EXPECT_EQ(f, before);
  EXPECT_FALSE(CompleteTcpChecksum(ip.first(30)));  // truncated
}

TEST(Offload, SuperSegmentIsCutIntoValidPiecesWithTheirOwnSeqIdAndFlags) {
  constexpr uint16_t kMss = 1448;
  const size_t payload = 3 * kMss + 100;
  const std::vector<uint8_t> super = Frame(payload, kAck | kPsh | kFin | kCwr, true);
  const auto pieces = Segment(super, {.gso_size = kMss, .csum_partial = true});
  ASSERT_EQ(pieces.size(), 4u);
  EXPECT_EQ(GsoSegments(payload, kMss), 4u);
  std::vector<uint8_t> joined;
  for (size_t i = 0; i < pieces.size(); ++i) {
    ParsedFrame p;
    ASSERT_EQ(ParseFrame(pieces[i], &p), DropReason::kNone) << "piece " << i;  // checksums good
    const size_t len = i < 3 ? kMss : 100;
    EXPECT_EQ(p.tcp.payload().size(), len);
    EXPECT_EQ(p.tcp.seq(), 0xFFFFF000u + static_cast<uint32_t>(i * kMss));
    EXPECT_EQ(p.tcp.ack(), 7u);
    EXPECT_EQ(p.ip.id(), 100 + i);
    EXPECT_EQ(p.ip.total_length(), 20 + 32 + len);
    const bool last = i == 3;
    EXPECT_EQ(p.tcp.fin(), last);
    EXPECT_EQ(p.tcp.psh(), last);
    EXPECT_EQ(p.tcp.cwr(), i == 0);
    EXPECT_TRUE(p.tcp.options().timestamp.has_value());  // every piece keeps the options
    joined.insert(joined.end(), p.tcp.payload().begin(), p.tcp.payload().end());
  }
  const std::vector<uint8_t> expect(super.end() - static_cast<std::ptrdiff_t>(payload),
                                    super.end());
  EXPECT_EQ(joined, expect);
}

TEST(Offload, EachPieceEqualsTheFrameSentWithoutOffload) {
  // One piece of a super-segment whose payload is exactly one segment: identical to the frame
  // built with a full checksum.
  const auto pieces = Segment(Frame(500, kAck, true), {.gso_size = 1448, .csum_partial = true});
  ASSERT_EQ(pieces.size(), 1u);
  EXPECT_EQ(pieces[0], Frame(500, kAck, false));
}

TEST(Offload, MalformedOrForeignFramesPassUnchanged) {
  std::vector<uint8_t> arp(60, 0);
  WriteEthernetHeader(arp, kMacB, kMacA, kArp);
  auto pieces = Segment(arp, {.gso_size = 1448, .csum_partial = true});
  ASSERT_EQ(pieces.size(), 1u);
  EXPECT_EQ(pieces[0], arp);
  std::vector<uint8_t> bad = Frame(5000, kAck, true);
  Store16(bad.data() + kEthernetHeaderSize + 2, 6000);  // total length past the frame's end
  pieces = Segment(bad, {.gso_size = 1448, .csum_partial = true});
  ASSERT_EQ(pieces.size(), 1u);
  EXPECT_EQ(pieces[0], bad);
  pieces = Segment(std::vector<uint8_t>(5, 0xAB), {.gso_size = 1});  // shorter than Ethernet
  ASSERT_EQ(pieces.size(), 1u);
}

}  // namespace
}  // namespace taptcp::wire
