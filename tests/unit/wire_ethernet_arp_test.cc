#include <vector>

#include "gtest/gtest.h"
#include "stack/wire/arp.h"
#include "stack/wire/bytes.h"
#include "stack/wire/ethernet.h"

namespace taptcp::wire {
namespace {

const MacAddress kMacA = *MacAddress::Parse("02:00:00:00:00:01");
const MacAddress kMacB = *MacAddress::Parse("02:00:00:00:00:02");
const Ipv4Address kIpA = *Ipv4Address::Parse("192.0.2.1");
const Ipv4Address kIpB = *Ipv4Address::Parse("192.0.2.2");

// An ARP request "who has 192.0.2.2? tell 192.0.2.1" as it appears on the wire (RFC 826),
// padded to the 60-byte Ethernet minimum the way Linux sends it.
std::vector<uint8_t> ArpRequestFrame() {
  std::vector<uint8_t> f = {
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06,  // eth
      0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,                                      // hdr
      0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0xc0, 0x00, 0x02, 0x01,                          // sender
      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x00, 0x02, 0x02,                          // target
  };
  f.resize(kMinEthernetFrame, 0);
  return f;
}

TEST(EthernetTest, ParsesKnownFrame) {
  const std::vector<uint8_t> f = ArpRequestFrame();
  EthernetView eth;
  ASSERT_EQ(EthernetView::Parse(f, &eth), DropReason::kNone);
  EXPECT_TRUE(eth.dst().IsBroadcast());
  EXPECT_EQ(eth.src(), kMacA);
  EXPECT_EQ(eth.ethertype(), kArp);
  EXPECT_EQ(eth.payload().size(), 46u);
  EXPECT_EQ(eth.payload().data(), f.data() + 14);  // a view, not a copy
}

TEST(EthernetTest, DropReasons) {
  std::vector<uint8_t> f = ArpRequestFrame();
  EthernetView eth;
  EXPECT_EQ(EthernetView::Parse(std::span(f).first(13), &eth), DropReason::kEthTruncated);
  EXPECT_EQ(EthernetView::Parse({}, &eth), DropReason::kEthTruncated);
  // A bare header is fine at this layer (the next one will complain).
  EXPECT_EQ(EthernetView::Parse(std::span(f).first(14), &eth), DropReason::kNone);
  for (uint16_t type : {0x86DD, 0x8100, 0x88A8, 0x0000, 0x05DC, 0x0801}) {
    Store16(f.data() + 12, type);
    EXPECT_EQ(EthernetView::Parse(f, &eth), DropReason::kEthUnsupportedType) << type;
  }
}

TEST(EthernetTest, WriteRoundTrip) {
  std::vector<uint8_t> buf(14);
  ASSERT_EQ(WriteEthernetHeader(buf, kMacB, kMacA, kIpv4), 14u);
  EthernetView eth;
  ASSERT_EQ(EthernetView::Parse(buf, &eth), DropReason::kNone);
  EXPECT_EQ(eth.dst(), kMacB);
  EXPECT_EQ(eth.src(), kMacA);
  EXPECT_EQ(eth.ethertype(), kIpv4);
  EXPECT_TRUE(eth.payload().empty());
  std::vector<uint8_t> small(13);
  EXPECT_EQ(WriteEthernetHeader(small, kMacB, kMacA, kIpv4), 0u);
}

TEST(ArpTest, ParsesKnownRequest) {
  const std::vector<uint8_t> f = ArpRequestFrame();
  ArpView arp;
  ASSERT_EQ(ArpView::Parse(std::span(f).subspan(14), &arp), DropReason::kNone);
  EXPECT_EQ(arp.hardware_type(), 1);
  EXPECT_EQ(arp.op(), kArpOpRequest);
  EXPECT_EQ(arp.sender_mac(), kMacA);
  EXPECT_EQ(arp.sender_ip(), kIpA);
  EXPECT_TRUE(arp.target_mac().IsZero());
  EXPECT_EQ(arp.target_ip(), kIpB);
  EXPECT_FALSE(arp.IsGratuitous());
}

TEST(ArpTest, DropReasons) {
  const std::vector<uint8_t> good = ArpRequestFrame();
  const std::span<const uint8_t> pkt = std::span(good).subspan(14);
  ArpView arp;
  EXPECT_EQ(ArpView::Parse(pkt.first(27), &arp), DropReason::kArpTruncated);
  EXPECT_EQ(ArpView::Parse(pkt.first(0), &arp), DropReason::kArpTruncated);
  EXPECT_EQ(ArpView::Parse(pkt.first(28), &arp), DropReason::kNone);  // no padding needed
  auto mutated = [&](size_t offset, uint8_t value) {
    std::vector<uint8_t> m(pkt.begin(), pkt.end());
    m[offset] = value;
    return ArpView::Parse(m, &arp);
  };
  EXPECT_EQ(mutated(1, 0x02), DropReason::kArpUnsupported);  // hardware type 2
  EXPECT_EQ(mutated(1, 0x06), DropReason::kNone);            // IEEE 802, accepted like Linux
  EXPECT_EQ(mutated(2, 0x86), DropReason::kArpUnsupported);  // protocol 0x86dd
  EXPECT_EQ(mutated(4, 0x08), DropReason::kArpUnsupported);  // hlen 8
  EXPECT_EQ(mutated(5, 0x10), DropReason::kArpUnsupported);  // plen 16
  EXPECT_EQ(mutated(7, 0x03), DropReason::kArpBadOp);        // RARP request
  EXPECT_EQ(mutated(7, 0x00), DropReason::kArpBadOp);
  EXPECT_EQ(mutated(7, 0x02), DropReason::kNone);  // reply
}

TEST(ArpTest, WriteRoundTrip) {
  std::vector<uint8_t> buf(28);
  ASSERT_EQ(WriteArp(buf, kArpOpReply, kMacB, kIpB, kMacA, kIpA), kArpPacketSize);
  ArpView arp;
  ASSERT_EQ(ArpView::Parse(buf, &arp), DropReason::kNone);
  EXPECT_EQ(arp.op(), kArpOpReply);
  EXPECT_EQ(arp.sender_mac(), kMacB);
  EXPECT_EQ(arp.sender_ip(), kIpB);
  EXPECT_EQ(arp.target_mac(), kMacA);
  EXPECT_EQ(arp.target_ip(), kIpA);
  // Byte-exact against the hand-written request.
  ASSERT_EQ(WriteArp(buf, kArpOpRequest, kMacA, kIpA, MacAddress{}, kIpB), 28u);
  const std::vector<uint8_t> f = ArpRequestFrame();
  EXPECT_TRUE(std::equal(buf.begin(), buf.end(), f.begin() + 14));
  std::vector<uint8_t> small(27);
  EXPECT_EQ(WriteArp(small, kArpOpReply, kMacB, kIpB, kMacA, kIpA), 0u);
}

TEST(ArpTest, Gratuitous) {
  std::vector<uint8_t> buf(28);
  WriteArp(buf, kArpOpRequest, kMacA, kIpA, MacAddress{}, kIpA);
  ArpView arp;
  ASSERT_EQ(ArpView::Parse(buf, &arp), DropReason::kNone);
  EXPECT_TRUE(arp.IsGratuitous());
}

}  // namespace
}  // namespace taptcp::wire
