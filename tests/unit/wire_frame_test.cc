#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "stack/wire/bytes.h"
#include "stack/wire/checksum.h"
#include "stack/wire/frame.h"

namespace taptcp::wire {
namespace {

const MacAddress kMacA = *MacAddress::Parse("02:00:00:00:00:01");
const MacAddress kMacB = *MacAddress::Parse("02:00:00:00:00:02");
const Ipv4Address kIpA = *Ipv4Address::Parse("192.0.2.1");
const Ipv4Address kIpB = *Ipv4Address::Parse("192.0.2.2");

TEST(DropReasonTest, NamesAreUniqueSnakeCase) {
  std::set<std::string_view> seen;
  for (size_t i = 0; i < kDropReasonCount; ++i) {
    const std::string_view name = DropReasonName(static_cast<DropReason>(i));
    ASSERT_FALSE(name.empty()) << i;
    EXPECT_TRUE(seen.insert(name).second) << name;
    for (char c : name) EXPECT_TRUE((c >= 'a' && c <= 'z') || c == '_') << name;
  }
  EXPECT_EQ(DropReasonName(DropReason::kNone), "none");
  EXPECT_EQ(DropReasonName(DropReason::kIpBadChecksum), "ip_bad_checksum");
  EXPECT_EQ(DropReasonName(DropReason::kTcpBadOption), "tcp_bad_option");
  EXPECT_EQ(DropReasonName(DropReason::kCount), "unknown");
}

// Builds Ethernet + IPv4 + TCP with our builders.
std::vector<uint8_t> TcpFrame(size_t payload_size) {
  std::vector<uint8_t> f(kMaxEthernetFrame);
  size_t n = WriteEthernetHeader(f, kMacB, kMacA, kIpv4);
  TcpOptions o;
  o.timestamp = {{5, 6}};
  std::vector<uint8_t> payload(payload_size, 0x5A);
  const size_t tcp_len = WriteTcpSegment(
      std::span(f).subspan(n + 20), kIpA, kIpB,
      {.src_port = 1, .dst_port = 2, .seq = 3, .ack = 4, .flags = kAck, .window = 9}, o, payload);
  n += WriteIpv4Header(std::span(f).subspan(n), {.src = kIpA, .dst = kIpB, .protocol = kProtoTcp},
                       static_cast<uint16_t>(tcp_len));
  f.resize(std::max(n + tcp_len, kMinEthernetFrame));
  return f;
}

TEST(ParseFrameTest, Tcp) {
  const std::vector<uint8_t> f = TcpFrame(3);  // padded to 60
  ParsedFrame p;
  ASSERT_EQ(ParseFrame(f, &p), DropReason::kNone);
  EXPECT_EQ(p.layer, ParsedFrame::Layer::kTcp);
  EXPECT_EQ(p.eth.src(), kMacA);
  EXPECT_EQ(p.ip.dst(), kIpB);
  EXPECT_EQ(p.tcp.seq(), 3u);
  EXPECT_EQ(p.tcp.payload().size(), 3u);  // padding trimmed by the IP layer
  EXPECT_EQ(p.tcp.options().timestamp, std::make_pair(5u, 6u));
}

TEST(ParseFrameTest, ArpAndIcmp) {
  std::vector<uint8_t> f(kMinEthernetFrame, 0);
  size_t n = WriteEthernetHeader(f, MacAddress::Broadcast(), kMacA, kArp);
  WriteArp(std::span(f).subspan(n), kArpOpRequest, kMacA, kIpA, MacAddress{}, kIpB);
  ParsedFrame p;
  ASSERT_EQ(ParseFrame(f, &p), DropReason::kNone);
  EXPECT_EQ(p.layer, ParsedFrame::Layer::kArp);
  EXPECT_EQ(p.arp.target_ip(), kIpB);

  std::vector<uint8_t> g(100, 0);
  n = WriteEthernetHeader(g, kMacB, kMacA, kIpv4);
  const std::vector<uint8_t> data = {1, 2, 3};
  const size_t icmp_len = WriteIcmpEcho(std::span(g).subspan(n + 20), kEchoRequest, 1, 2, data);
  n += WriteIpv4Header(std::span(g).subspan(n), {.src = kIpA, .dst = kIpB, .protocol = kProtoIcmp},
                       static_cast<uint16_t>(icmp_len));
  g.resize(n + icmp_len);
  ASSERT_EQ(ParseFrame(g, &p), DropReason::kNone);
  EXPECT_EQ(p.layer, ParsedFrame::Layer::kIcmp);
  EXPECT_EQ(p.icmp.echo_seq(), 2);
  EXPECT_EQ(p.icmp.payload().size(), 3u);
}

TEST(ParseFrameTest, ReportsFirstFailingLayer) {
  ParsedFrame p;
  std::vector<uint8_t> f = TcpFrame(0);
  EXPECT_EQ(ParseFrame(std::span(f).first(10), &p), DropReason::kEthTruncated);
  EXPECT_EQ(p.layer, ParsedFrame::Layer::kNone);
  EXPECT_EQ(ParseFrame(std::span(f).first(30), &p), DropReason::kIpTruncated);
  EXPECT_EQ(p.layer, ParsedFrame::Layer::kEthernet);

  f = TcpFrame(10);
  f.back() ^= 0xFF;  // payload byte: TCP checksum
  EXPECT_EQ(ParseFrame(f, &p), DropReason::kTcpBadChecksum);
  EXPECT_EQ(p.layer, ParsedFrame::Layer::kIpv4);
  EXPECT_EQ(ParseFrame(f, &p, /*verify_tcp_checksum=*/false), DropReason::kNone);

  f = TcpFrame(10);
  f[14 + 9] = 17;  // UDP; fix the IP checksum
  Store16(f.data() + 14 + 10, 0);
  Store16(f.data() + 14 + 10, InternetChecksum(std::span(f).subspan(14, 20)));
  EXPECT_EQ(ParseFrame(f, &p), DropReason::kIpUnsupportedProtocol);
  EXPECT_EQ(p.layer, ParsedFrame::Layer::kIpv4);

  Store16(f.data() + 12, 0x86DD);
  EXPECT_EQ(ParseFrame(f, &p), DropReason::kEthUnsupportedType);
}

}  // namespace
}  // namespace taptcp::wire
