#include <numeric>
#include <vector>

#include "gtest/gtest.h"
#include "stack/wire/bytes.h"
#include "stack/wire/checksum.h"
#include "stack/wire/tcp.h"

namespace taptcp::wire {
namespace {

const Ipv4Address kIpA = *Ipv4Address::Parse("192.0.2.1");
const Ipv4Address kIpB = *Ipv4Address::Parse("192.0.2.2");

// A Linux-style SYN 192.0.2.1:40000 -> 192.0.2.2:80, seq 0x12345678, window 64240, options
// MSS 1460, SACK-permitted, TS 0x01020304/0, NOP, WS 7. Checksum 0xbfc8 computed independently.
std::vector<uint8_t> SynSegment() {
  return {0x9c, 0x40, 0x00, 0x50, 0x12, 0x34, 0x56, 0x78, 0x00, 0x00, 0x00, 0x00, 0xa0, 0x02,
          0xfa, 0xf0, 0xbf, 0xc8, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a,
          0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07};
}

// Recomputes the checksum after a test edits the segment.
void FixTcpChecksum(std::vector<uint8_t>& s) {
  Store16(s.data() + 16, 0);
  Checksum c;
  c.AddPseudoHeader(kIpA, kIpB, 6, static_cast<uint16_t>(s.size()));
  c.Add(s);
  Store16(s.data() + 16, c.Finish());
}

TEST(TcpTest, ParsesKnownSyn) {
  const std::vector<uint8_t> s = SynSegment();
  TcpView tcp;
  ASSERT_EQ(TcpView::Parse(s, kIpA, kIpB, &tcp), DropReason::kNone);
  EXPECT_EQ(tcp.src_port(), 40000);
  EXPECT_EQ(tcp.dst_port(), 80);
  EXPECT_EQ(tcp.seq(), 0x12345678u);
  EXPECT_EQ(tcp.ack(), 0u);
  EXPECT_EQ(tcp.data_offset_bytes(), 40);
  EXPECT_EQ(tcp.flags(), kSyn);
  EXPECT_TRUE(tcp.syn());
  EXPECT_FALSE(tcp.ack_flag() || tcp.fin() || tcp.rst() || tcp.psh() || tcp.urg() || tcp.ece() ||
               tcp.cwr());
  EXPECT_EQ(tcp.window(), 64240);
  EXPECT_EQ(tcp.checksum(), 0xBFC8);
  EXPECT_EQ(tcp.urgent(), 0);
  EXPECT_EQ(tcp.options_bytes().size(), 20u);
  EXPECT_EQ(tcp.options_status(), DropReason::kNone);
  EXPECT_EQ(tcp.options().mss, 1460);
  EXPECT_TRUE(tcp.options().sack_permitted);
  EXPECT_EQ(tcp.options().timestamp, std::make_pair(0x01020304u, 0u));
  EXPECT_EQ(tcp.options().window_scale, 7);
  EXPECT_FALSE(tcp.options().fast_open.has_value());
  EXPECT_TRUE(tcp.payload().empty());
  EXPECT_EQ(tcp.seg_len(), 1u);
}

TEST(TcpTest, ChecksumCoversPseudoHeader) {
  const std::vector<uint8_t> s = SynSegment();
  TcpView tcp;
  // Same bytes, other addresses: the pseudo-header (RFC 9293 §3.1) makes the sum fail.
  EXPECT_EQ(TcpView::Parse(s, kIpA, *Ipv4Address::Parse("192.0.2.3"), &tcp),
            DropReason::kTcpBadChecksum);
  EXPECT_EQ(TcpView::Parse(s, kIpB, kIpA, &tcp), DropReason::kNone);  // order-insensitive sum
  EXPECT_EQ(TcpView::Parse(s, kIpA, *Ipv4Address::Parse("192.0.2.3"), &tcp,
                           /*verify_checksum=*/false),
            DropReason::kNone);
}

TEST(TcpTest, DropReasons) {
  const std::vector<uint8_t> good = SynSegment();
  TcpView tcp;
  EXPECT_EQ(TcpView::Parse(std::span(good).first(19), kIpA, kIpB, &tcp), DropReason::kTcpTruncated);
  EXPECT_EQ(TcpView::Parse({}, kIpA, kIpB, &tcp), DropReason::kTcpTruncated);
  std::vector<uint8_t> s = good;
  for (uint8_t doff : {0, 1, 4}) {
    s[12] = static_cast<uint8_t>(doff << 4);
    FixTcpChecksum(s);
    EXPECT_EQ(TcpView::Parse(s, kIpA, kIpB, &tcp), DropReason::kTcpBadDataOffset) << int{doff};
  }
  s = good;
  s[12] = 0xB0;  // 44 bytes of header in a 40-byte segment
  FixTcpChecksum(s);
  EXPECT_EQ(TcpView::Parse(s, kIpA, kIpB, &tcp), DropReason::kTcpBadDataOffset);
  s = good;
  s[30] ^= 0x01;  // a timestamp bit
  EXPECT_EQ(TcpView::Parse(s, kIpA, kIpB, &tcp), DropReason::kTcpBadChecksum);
  // A header truncated inside the options (the IP layer gave us fewer bytes).
  EXPECT_EQ(TcpView::Parse(std::span(good).first(36), kIpA, kIpB, &tcp, false),
            DropReason::kTcpBadDataOffset);
}

TEST(TcpTest, MalformedOptionsKeepTheSegmentLikeLinux) {
  std::vector<uint8_t> s = SynSegment();
  s[37] = 0x05;  // WS: kind 3, length 5 runs past the header
  s[36] = 0x03;
  FixTcpChecksum(s);
  TcpView tcp;
  ASSERT_EQ(TcpView::Parse(s, kIpA, kIpB, &tcp), DropReason::kNone);
  EXPECT_EQ(tcp.options_status(), DropReason::kTcpBadOption);
  // What came before the bad option is kept, as in tcp_parse_options.
  EXPECT_EQ(tcp.options().mss, 1460);
  EXPECT_TRUE(tcp.options().timestamp.has_value());
  EXPECT_FALSE(tcp.options().window_scale.has_value());
}

TEST(TcpTest, PayloadAndFlags) {
  std::vector<uint8_t> payload(1460);
  std::iota(payload.begin(), payload.end(), 0);
  std::vector<uint8_t> buf(1600);
  TcpHeaderFields f{.src_port = 80,
                    .dst_port = 40000,
                    .seq = 0xFFFFFFF0u,
                    .ack = 0x12345679u,
                    .flags = kAck | kPsh | kFin,
                    .window = 502,
                    .urgent = 0};
  TcpOptions o;
  o.timestamp = {{100, 200}};
  const size_t n = WriteTcpSegment(buf, kIpB, kIpA, f, o, payload);
  ASSERT_EQ(n, 20u + 12u + 1460u);
  TcpView tcp;
  ASSERT_EQ(TcpView::Parse(std::span(buf).first(n), kIpB, kIpA, &tcp), DropReason::kNone);
  EXPECT_EQ(tcp.src_port(), 80);
  EXPECT_EQ(tcp.dst_port(), 40000);
  EXPECT_EQ(tcp.seq(), 0xFFFFFFF0u);
  EXPECT_EQ(tcp.ack(), 0x12345679u);
  EXPECT_EQ(tcp.flags(), kAck | kPsh | kFin);
  EXPECT_TRUE(tcp.ack_flag() && tcp.psh() && tcp.fin());
  EXPECT_EQ(tcp.window(), 502);
  EXPECT_EQ(tcp.data_offset_bytes(), 32);
  EXPECT_EQ(tcp.options(), o);
  ASSERT_EQ(tcp.payload().size(), 1460u);
  EXPECT_TRUE(std::equal(payload.begin(), payload.end(), tcp.payload().begin()));
  EXPECT_EQ(tcp.seg_len(), 1461u);
  EXPECT_EQ(tcp.reserved_bits(), 0);
}

TEST(TcpTest, BuilderIsByteExactForLinuxSyn) {
  TcpOptions o;
  o.mss = 1460;
  o.sack_permitted = true;
  o.timestamp = {{0x01020304, 0}};
  o.window_scale = 7;
  std::vector<uint8_t> buf(60);
  const size_t n = WriteTcpSegment(
      buf, kIpA, kIpB,
      {.src_port = 40000, .dst_port = 80, .seq = 0x12345678, .flags = kSyn, .window = 64240}, o,
      {});
  ASSERT_EQ(n, 40u);
  const std::vector<uint8_t> known = SynSegment();
  EXPECT_TRUE(std::equal(known.begin(), known.end(), buf.begin()));
}

TEST(TcpTest, BuilderPayloadInPlaceAndErrors) {
  std::vector<uint8_t> buf(100, 0);
  const std::vector<uint8_t> data = {1, 2, 3, 4, 5};
  std::copy(data.begin(), data.end(), buf.begin() + 20);  // already where it belongs
  TcpView tcp;
  size_t n = WriteTcpSegment(buf, kIpA, kIpB, {.flags = kAck}, {}, std::span(buf).subspan(20, 5));
  ASSERT_EQ(n, 25u);
  ASSERT_EQ(TcpView::Parse(std::span(buf).first(n), kIpA, kIpB, &tcp), DropReason::kNone);
  EXPECT_TRUE(std::equal(data.begin(), data.end(), tcp.payload().begin()));
  // Payload overlapping the header area it is about to be moved over.
  std::copy(data.begin(), data.end(), buf.begin() + 2);
  n = WriteTcpSegment(buf, kIpA, kIpB, {.flags = kAck}, {}, std::span(buf).subspan(2, 5));
  ASSERT_EQ(TcpView::Parse(std::span(buf).first(n), kIpA, kIpB, &tcp), DropReason::kNone);
  EXPECT_TRUE(std::equal(data.begin(), data.end(), tcp.payload().begin()));
  // Too small an output, invalid options.
  std::vector<uint8_t> small(24);
  EXPECT_EQ(WriteTcpSegment(small, kIpA, kIpB, {}, {}, data), 0u);
  TcpOptions bad;
  bad.sack_count = 5;
  EXPECT_EQ(WriteTcpSegment(buf, kIpA, kIpB, {}, bad, {}), 0u);
}

}  // namespace
}  // namespace taptcp::wire
