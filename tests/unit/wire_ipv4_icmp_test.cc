#include <vector>

#include "gtest/gtest.h"
#include "stack/wire/bytes.h"
#include "stack/wire/checksum.h"
#include "stack/wire/icmp.h"
#include "stack/wire/ipv4.h"

namespace taptcp::wire {
namespace {

const Ipv4Address kIpA = *Ipv4Address::Parse("192.0.2.1");
const Ipv4Address kIpB = *Ipv4Address::Parse("192.0.2.2");

// IPv4 + ICMP echo request 192.0.2.1 -> 192.0.2.2, id 0x1234, seq 1, data "abcdefgh";
// checksums computed independently (Python, RFC 1071).
std::vector<uint8_t> EchoPacket() {
  return {0x45, 0x00, 0x00, 0x24, 0x00, 0x01, 0x40, 0x00, 0x40, 0x01,
          0xb6, 0xd4, 0xc0, 0x00, 0x02, 0x01, 0xc0, 0x00, 0x02, 0x02,  // IPv4
          0x08, 0x00, 0x54, 0x35, 0x12, 0x34, 0x00, 0x01,              // ICMP header
          'a',  'b',  'c',  'd',  'e',  'f',  'g',  'h'};
}

// Recomputes the header checksum after a test edits header bytes, so the edit reaches the check
// it is aimed at.
void FixIpChecksum(std::vector<uint8_t>& p) {
  const size_t ihl = size_t{p[0] & 0x0Fu} * 4;
  Store16(p.data() + 10, 0);
  Store16(p.data() + 10, InternetChecksum(std::span(p).first(std::min(ihl, p.size()))));
}

TEST(Ipv4Test, ParsesKnownPacket) {
  const std::vector<uint8_t> p = EchoPacket();
  Ipv4View ip;
  ASSERT_EQ(Ipv4View::Parse(p, &ip), DropReason::kNone);
  EXPECT_EQ(ip.version(), 4);
  EXPECT_EQ(ip.ihl_bytes(), 20);
  EXPECT_EQ(ip.tos(), 0);
  EXPECT_EQ(ip.total_length(), 36);
  EXPECT_EQ(ip.id(), 1);
  EXPECT_TRUE(ip.dont_fragment());
  EXPECT_FALSE(ip.more_fragments());
  EXPECT_EQ(ip.fragment_offset(), 0);
  EXPECT_EQ(ip.ttl(), 64);
  EXPECT_EQ(ip.protocol(), kProtoIcmp);
  EXPECT_EQ(ip.header_checksum(), 0xB6D4);
  EXPECT_EQ(ip.src(), kIpA);
  EXPECT_EQ(ip.dst(), kIpB);
  EXPECT_TRUE(ip.options().empty());
  EXPECT_EQ(ip.payload().size(), 16u);
  EXPECT_EQ(ip.payload().data(), p.data() + 20);
}

TEST(Ipv4Test, TrimsLinkPadding) {
  std::vector<uint8_t> p = EchoPacket();
  p.resize(46, 0);  // Ethernet pads to 60 bytes: 46 of IP payload area
  Ipv4View ip;
  ASSERT_EQ(Ipv4View::Parse(p, &ip), DropReason::kNone);
  EXPECT_EQ(ip.payload().size(), 16u);
}

TEST(Ipv4Test, DropReasons) {
  Ipv4View ip;
  const std::vector<uint8_t> good = EchoPacket();
  EXPECT_EQ(Ipv4View::Parse(std::span(good).first(19), &ip), DropReason::kIpTruncated);
  EXPECT_EQ(Ipv4View::Parse({}, &ip), DropReason::kIpTruncated);

  std::vector<uint8_t> p = good;
  p[0] = 0x65;  // version 6
  EXPECT_EQ(Ipv4View::Parse(p, &ip), DropReason::kIpBadVersion);
  p[0] = 0x44;  // IHL 4
  EXPECT_EQ(Ipv4View::Parse(p, &ip), DropReason::kIpBadHeaderLength);
  p[0] = 0x4F;  // IHL 15 = 60 bytes, more than the 36 we have
  EXPECT_EQ(Ipv4View::Parse(p, &ip), DropReason::kIpTruncated);

  p = good;
  p[10] ^= 0x01;
  EXPECT_EQ(Ipv4View::Parse(p, &ip), DropReason::kIpBadChecksum);
  p = good;
  p[15] ^= 0x80;  // a source address bit
  EXPECT_EQ(Ipv4View::Parse(p, &ip), DropReason::kIpBadChecksum);

  p = good;
  Store16(p.data() + 2, 37);  // one byte more than we have
  FixIpChecksum(p);
  EXPECT_EQ(Ipv4View::Parse(p, &ip), DropReason::kIpBadTotalLength);
  Store16(p.data() + 2, 19);  // less than the header
  FixIpChecksum(p);
  EXPECT_EQ(Ipv4View::Parse(p, &ip), DropReason::kIpBadTotalLength);
  Store16(p.data() + 2, 20);  // header only: fine
  FixIpChecksum(p);
  ASSERT_EQ(Ipv4View::Parse(p, &ip), DropReason::kNone);
  EXPECT_TRUE(ip.payload().empty());

  for (uint16_t frag : {0x2000, 0x0001, 0x1FFF, 0x6000, 0x4001}) {
    p = good;
    Store16(p.data() + 6, frag);
    FixIpChecksum(p);
    EXPECT_EQ(Ipv4View::Parse(p, &ip), DropReason::kIpFragment) << frag;
  }
  for (uint16_t flags : {0x0000, 0x4000, 0x8000, 0xC000}) {  // DF, reserved bit: no effect
    p = good;
    Store16(p.data() + 6, flags);
    FixIpChecksum(p);
    EXPECT_EQ(Ipv4View::Parse(p, &ip), DropReason::kNone) << flags;
  }
}

// Builds the echo packet with `options` (a multiple of 4 bytes) inserted after the header.
std::vector<uint8_t> WithOptions(std::vector<uint8_t> options) {
  std::vector<uint8_t> p = EchoPacket();
  p.insert(p.begin() + 20, options.begin(), options.end());
  p[0] = static_cast<uint8_t>(0x40 | (p.size() - 16) / 4);
  Store16(p.data() + 2, static_cast<uint16_t>(p.size()));
  FixIpChecksum(p);
  return p;
}

TEST(Ipv4Test, Options) {
  Ipv4View ip;
  // Router alert (RFC 2113): 94 04 00 00.
  std::vector<uint8_t> p = WithOptions({0x94, 0x04, 0x00, 0x00});
  ASSERT_EQ(Ipv4View::Parse(p, &ip), DropReason::kNone);
  EXPECT_EQ(ip.ihl_bytes(), 24);
  EXPECT_EQ(ip.options().size(), 4u);
  EXPECT_EQ(ip.options()[0], 0x94);
  EXPECT_EQ(ip.payload().size(), 16u);
  EXPECT_EQ(ip.payload()[0], 0x08);
  // NOPs then EOL, then garbage after EOL: fine (the list ended).
  EXPECT_EQ(Ipv4View::Parse(WithOptions({0x01, 0x01, 0x00, 0xFF}), &ip), DropReason::kNone);
  // Length 1, length 0, length past the header, a kind without its length byte.
  EXPECT_EQ(Ipv4View::Parse(WithOptions({0x94, 0x01, 0x00, 0x00}), &ip), DropReason::kIpBadOptions);
  EXPECT_EQ(Ipv4View::Parse(WithOptions({0x94, 0x00, 0x00, 0x00}), &ip), DropReason::kIpBadOptions);
  EXPECT_EQ(Ipv4View::Parse(WithOptions({0x94, 0x05, 0x00, 0x00}), &ip), DropReason::kIpBadOptions);
  EXPECT_EQ(Ipv4View::Parse(WithOptions({0x01, 0x01, 0x01, 0x07}), &ip), DropReason::kIpBadOptions);
}

TEST(Ipv4Test, WriteRoundTrip) {
  std::vector<uint8_t> buf(20 + 100);
  Ipv4HeaderFields f;
  f.src = kIpA;
  f.dst = kIpB;
  f.protocol = kProtoTcp;
  f.id = 0xBEEF;
  f.tos = 0x10;
  ASSERT_EQ(WriteIpv4Header(buf, f, 100), 20u);
  Ipv4View ip;
  ASSERT_EQ(Ipv4View::Parse(buf, &ip), DropReason::kNone);
  EXPECT_EQ(ip.src(), kIpA);
  EXPECT_EQ(ip.dst(), kIpB);
  EXPECT_EQ(ip.protocol(), kProtoTcp);
  EXPECT_EQ(ip.ttl(), 64);
  EXPECT_EQ(ip.id(), 0xBEEF);
  EXPECT_EQ(ip.tos(), 0x10);
  EXPECT_TRUE(ip.dont_fragment());
  EXPECT_EQ(ip.total_length(), 120);
  EXPECT_EQ(ip.payload().size(), 100u);
  f.dont_fragment = false;
  ASSERT_EQ(WriteIpv4Header(buf, f, 100), 20u);
  ASSERT_EQ(Ipv4View::Parse(buf, &ip), DropReason::kNone);
  EXPECT_FALSE(ip.dont_fragment());
  // Byte-exact against the known packet.
  std::vector<uint8_t> known = EchoPacket();
  Ipv4HeaderFields e{.src = kIpA, .dst = kIpB, .protocol = kProtoIcmp, .ttl = 64, .id = 1};
  ASSERT_EQ(WriteIpv4Header(buf, e, 16), 20u);
  EXPECT_TRUE(std::equal(known.begin(), known.begin() + 20, buf.begin()));
  // Errors.
  std::vector<uint8_t> small(19);
  EXPECT_EQ(WriteIpv4Header(small, f, 0), 0u);
  EXPECT_EQ(WriteIpv4Header(buf, f, 65516), 0u);
  EXPECT_EQ(WriteIpv4Header(buf, f, 65515), 20u);
}

TEST(IcmpTest, ParsesKnownEcho) {
  const std::vector<uint8_t> p = EchoPacket();
  IcmpView icmp;
  ASSERT_EQ(IcmpView::Parse(std::span(p).subspan(20), &icmp), DropReason::kNone);
  EXPECT_EQ(icmp.type(), kEchoRequest);
  EXPECT_EQ(icmp.code(), 0);
  EXPECT_EQ(icmp.checksum(), 0x5435);
  EXPECT_EQ(icmp.echo_id(), 0x1234);
  EXPECT_EQ(icmp.echo_seq(), 1);
  EXPECT_EQ(icmp.rest_of_header(), 0x12340001u);
  ASSERT_EQ(icmp.payload().size(), 8u);
  EXPECT_EQ(icmp.payload()[0], 'a');
}

TEST(IcmpTest, DropReasons) {
  IcmpView icmp;
  const std::vector<uint8_t> packet = EchoPacket();
  std::vector<uint8_t> m(packet.begin() + 20, packet.end());
  m[9] ^= 0x20;
  EXPECT_EQ(IcmpView::Parse(m, &icmp), DropReason::kIcmpBadChecksum);
  // Fewer than 8 bytes: bad checksum first (Linux icmp_rcv order), truncated if the sum is fine.
  EXPECT_EQ(IcmpView::Parse({}, &icmp), DropReason::kIcmpBadChecksum);
  const std::vector<uint8_t> short_good = {0x08, 0x00, 0xF7, 0xFF};  // sums to 0xFFFF
  EXPECT_EQ(IcmpView::Parse(short_good, &icmp), DropReason::kIcmpTruncated);
  const std::vector<uint8_t> short_bad = {0x08, 0x00, 0xF7, 0xFE};
  EXPECT_EQ(IcmpView::Parse(short_bad, &icmp), DropReason::kIcmpBadChecksum);
}

TEST(IcmpTest, WriteRoundTripAndInPlace) {
  const std::vector<uint8_t> data = {'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'};
  std::vector<uint8_t> buf(16);
  ASSERT_EQ(WriteIcmpEcho(buf, kEchoRequest, 0x1234, 1, data), 16u);
  const std::vector<uint8_t> known = EchoPacket();
  EXPECT_TRUE(std::equal(buf.begin(), buf.end(), known.begin() + 20));

  // Echo reply built in place over the request, as the net layer will do: the payload already
  // sits at offset 8.
  ASSERT_EQ(WriteIcmpEcho(buf, kEchoReply, 0x1234, 1, std::span(buf).subspan(8)), 16u);
  IcmpView icmp;
  ASSERT_EQ(IcmpView::Parse(buf, &icmp), DropReason::kNone);
  EXPECT_EQ(icmp.type(), kEchoReply);
  EXPECT_TRUE(std::equal(data.begin(), data.end(), icmp.payload().begin()));

  // Overlapping source (shifted by 4): memmove semantics.
  std::vector<uint8_t> big(20, 0);
  std::copy(data.begin(), data.end(), big.begin() + 4);
  ASSERT_EQ(WriteIcmpEcho(big, kEchoReply, 7, 9, std::span(big).subspan(4, 8)), 16u);
  ASSERT_EQ(IcmpView::Parse(std::span(big).first(16), &icmp), DropReason::kNone);
  EXPECT_TRUE(std::equal(data.begin(), data.end(), icmp.payload().begin()));

  // An error message quoting a header (protocol unreachable, RFC 792).
  std::vector<uint8_t> err(8 + 28);
  ASSERT_EQ(WriteIcmpMessage(err, kDestUnreachable, kCodeProtocolUnreachable, 0,
                             std::span(known).first(28)),
            36u);
  ASSERT_EQ(IcmpView::Parse(err, &icmp), DropReason::kNone);
  EXPECT_EQ(icmp.type(), kDestUnreachable);
  EXPECT_EQ(icmp.code(), kCodeProtocolUnreachable);
  EXPECT_EQ(icmp.rest_of_header(), 0u);
  EXPECT_EQ(icmp.payload().size(), 28u);

  std::vector<uint8_t> small(15);
  EXPECT_EQ(WriteIcmpEcho(small, kEchoReply, 1, 1, data), 0u);
}

}  // namespace
}  // namespace taptcp::wire
