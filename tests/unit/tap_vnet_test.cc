// tap/: the virtio_net_hdr a TAP device with IFF_VNET_HDR puts in front of every frame, encoded
// for what we send and decoded for what the kernel hands us (pure functions: no device needed),
// and hostile headers reaching the stack without harm.

#include <numeric>
#include <optional>
#include <vector>

#include "gtest/gtest.h"
#include "stack/stack.h"
#include "stack/wire/bytes.h"
#include "stack/wire/ethernet.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/offload.h"
#include "stack/wire/tcp.h"
#include "tap/tap_device.h"

namespace taptcp::tap {
namespace {

using wire::Offload;

const wire::Ipv4Address kSrc = *wire::Ipv4Address::Parse("192.0.2.1");
const wire::Ipv4Address kDst = *wire::Ipv4Address::Parse("192.0.2.2");
const wire::MacAddress kMacA = *wire::MacAddress::Parse("02:00:00:00:00:01");
const wire::MacAddress kMacB = *wire::MacAddress::Parse("02:54:41:50:00:02");

// Ethernet (14) + IPv4 (20) + TCP with timestamps (32).
constexpr size_t kHeaders = 14 + 20 + 32;

// An Ethernet/IPv4/TCP frame with timestamps and `payload` bytes, its TCP checksum full or partial
// (the pseudo-header sum, as the stack leaves it for a device with checksum offload).
std::vector<uint8_t> TcpFrame(size_t payload, bool partial) {
  std::vector<uint8_t> f(kHeaders + payload);
  wire::WriteEthernetHeader(f, kMacB, kMacA, wire::kIpv4);
  std::vector<uint8_t> data(payload);
  std::iota(data.begin(), data.end(), uint8_t{7});
  wire::TcpHeaderFields h;
  h.src_port = 40000;
  h.dst_port = 7;
  h.seq = 1000;
  h.ack = 2000;
  h.flags = wire::kAck | wire::kPsh;
  h.window = 502;
  wire::TcpOptions o;
  o.timestamp = std::make_pair(11u, 22u);
  const size_t n = wire::WriteTcpSegment(std::span(f).subspan(34), kSrc, kDst, h, o, data, partial);
  wire::Ipv4HeaderFields ip;
  ip.src = kSrc;
  ip.dst = kDst;
  ip.protocol = wire::kProtoTcp;
  ip.id = 100;
  wire::WriteIpv4Header(std::span(f).subspan(14), ip, static_cast<uint16_t>(n));
  return f;
}

// An IPv4 frame of another protocol (UDP), `payload` bytes.
std::vector<uint8_t> UdpFrame(size_t payload) {
  std::vector<uint8_t> f(14 + 20 + 8 + payload);
  wire::WriteEthernetHeader(f, kMacB, kMacA, wire::kIpv4);
  wire::Ipv4HeaderFields ip;
  ip.src = kSrc;
  ip.dst = kDst;
  ip.protocol = wire::kProtoUdp;
  wire::WriteIpv4Header(std::span(f).subspan(14), ip, static_cast<uint16_t>(8 + payload));
  return f;
}

std::vector<uint8_t> Header(uint8_t flags, uint8_t gso_type, uint16_t gso_size = 0,
                            uint16_t csum_start = 0, uint16_t csum_offset = 0) {
  std::vector<uint8_t> h(kVnetHeaderSize, 0);
  h[0] = flags;
  h[1] = gso_type;
  h[4] = static_cast<uint8_t>(gso_size & 0xFF);  // little-endian
  h[5] = static_cast<uint8_t>(gso_size >> 8);
  h[6] = static_cast<uint8_t>(csum_start & 0xFF);
  h[7] = static_cast<uint8_t>(csum_start >> 8);
  h[8] = static_cast<uint8_t>(csum_offset & 0xFF);
  h[9] = static_cast<uint8_t>(csum_offset >> 8);
  return h;
}

uint16_t Le16(const std::vector<uint8_t>& h, size_t at) {
  return static_cast<uint16_t>(h[at] | (h[at + 1] << 8));
}

// What the kernel (or a NIC) does with kVnetFlagNeedsCsum: sum the bytes from csum_start
// to the end, the field included, and store the complement at csum_start + csum_offset.
void DeviceCompletesChecksum(std::vector<uint8_t>& f, size_t start, size_t offset) {
  uint32_t sum = 0;
  for (size_t i = start; i < f.size(); i += 2) {
    sum += static_cast<uint32_t>(f[i]) << 8;
    if (i + 1 < f.size()) sum += f[i + 1];
  }
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  wire::Store16(f.data() + start + offset, static_cast<uint16_t>(~sum & 0xFFFF));
}

TEST(TapVnetDecode, NoFlagsIsAnOrdinaryFrame) {
  std::optional<Offload> o = DecodeVnetHeader(Header(0, kVnetGsoNone), 100);
  ASSERT_TRUE(o.has_value());
  EXPECT_FALSE(o->any());
}

TEST(TapVnetDecode, NeedsCsumAndDataValidAreBothTrustedChecksums) {
  std::optional<Offload> partial = DecodeVnetHeader(Header(kVnetFlagNeedsCsum, 0, 0, 34, 16), 100);
  ASSERT_TRUE(partial.has_value());
  EXPECT_TRUE(partial->csum_partial);
  EXPECT_EQ(partial->gso_size, 0);
  std::optional<Offload> valid = DecodeVnetHeader(Header(kVnetFlagDataValid, 0), 100);
  ASSERT_TRUE(valid.has_value());
  EXPECT_TRUE(valid->csum_partial);
}

TEST(TapVnetDecode, TcpV4GsoGivesGsoSize) {
  std::optional<Offload> o =
      DecodeVnetHeader(Header(kVnetFlagNeedsCsum, kVnetGsoTcpV4, 1448, 34, 16), 30000);
  ASSERT_TRUE(o.has_value());
  EXPECT_TRUE(o->csum_partial);
  EXPECT_EQ(o->gso_size, 1448);
}

TEST(TapVnetDecode, GsoSizeNoSmallerThanTheFrameIsNoGso) {
  for (uint16_t gso : {uint16_t{100}, uint16_t{101}, uint16_t{65535}}) {
    std::optional<Offload> o =
        DecodeVnetHeader(Header(kVnetFlagNeedsCsum, kVnetGsoTcpV4, gso), 100);
    ASSERT_TRUE(o.has_value()) << gso;
    EXPECT_EQ(o->gso_size, 0) << gso;
    EXPECT_TRUE(o->csum_partial);
  }
}

TEST(TapVnetDecode, WhatWeDidNotOfferIsDropped) {
  // gso_size 0 on a GSO frame (the kernel refuses it too).
  EXPECT_FALSE(DecodeVnetHeader(Header(1, kVnetGsoTcpV4, 0), 3000).has_value());
  // UFO, TCPv6, UDP_L4 (USO), and TCPv4 with the ECN bit: not in TUNSETOFFLOAD.
  for (uint8_t type :
       {uint8_t{kVnetGsoUdp}, uint8_t{kVnetGsoTcpV6}, kVnetGsoUdpL4,
        uint8_t{kVnetGsoTcpV4 | kVnetGsoEcn}, uint8_t{kVnetGsoEcn}, uint8_t{2}, uint8_t{0xFF}}) {
    EXPECT_FALSE(DecodeVnetHeader(Header(1, type, 1448), 3000).has_value()) << int{type};
  }
  // Flags beyond NEEDS_CSUM and DATA_VALID (RSC_INFO, unknown bits).
  for (uint8_t flags : {uint8_t{kVnetFlagRscInfo}, uint8_t{0x80}, uint8_t{0xFF}}) {
    EXPECT_FALSE(DecodeVnetHeader(Header(flags, 0), 100).has_value()) << int{flags};
  }
  // A header shorter than the struct.
  EXPECT_FALSE(DecodeVnetHeader(std::vector<uint8_t>(kVnetHeaderSize - 1, 0), 100).has_value());
}

TEST(TapVnetEncode, NoOffloadIsAZeroHeader) {
  std::vector<uint8_t> h(kVnetHeaderSize, 0xAA);
  ASSERT_TRUE(EncodeVnetHeader(TcpFrame(10, false), Offload{}, h));
  EXPECT_EQ(h, std::vector<uint8_t>(kVnetHeaderSize, 0));
  // Any frame at all: ARP, a runt.
  EXPECT_TRUE(EncodeVnetHeader(std::vector<uint8_t>(3, 0), Offload{}, h));
}

TEST(TapVnetEncode, PartialChecksumPointsAtTcpsChecksumAndTheDeviceCompletesIt) {
  std::vector<uint8_t> frame = TcpFrame(301, /*partial=*/true);
  std::vector<uint8_t> h(kVnetHeaderSize);
  Offload o;
  o.csum_partial = true;
  ASSERT_TRUE(EncodeVnetHeader(frame, o, h));
  EXPECT_EQ(h[0], kVnetFlagNeedsCsum);
  EXPECT_EQ(h[1], kVnetGsoNone);
  EXPECT_EQ(Le16(h, 2), kHeaders);  // hdr_len
  EXPECT_EQ(Le16(h, 4), 0);         // gso_size
  EXPECT_EQ(Le16(h, 6), 34);        // csum_start: the TCP header
  EXPECT_EQ(Le16(h, 8), 16);        // csum_offset: offsetof(struct tcphdr, check)
  // The stack's partial checksum is the one virtio means: completing it as the device does gives
  // the frame with the full checksum, byte for byte.
  DeviceCompletesChecksum(frame, Le16(h, 6), Le16(h, 8));
  EXPECT_EQ(frame, TcpFrame(301, /*partial=*/false));
}

TEST(TapVnetEncode, SuperFrameIsTcpV4GsoWithHeaderLength) {
  const std::vector<uint8_t> frame = TcpFrame(10000, true);
  std::vector<uint8_t> h(kVnetHeaderSize);
  Offload o;
  o.csum_partial = true;
  o.gso_size = 1448;
  ASSERT_TRUE(EncodeVnetHeader(frame, o, h));
  EXPECT_EQ(h[0], kVnetFlagNeedsCsum);
  EXPECT_EQ(h[1], kVnetGsoTcpV4);
  EXPECT_EQ(Le16(h, 2), kHeaders);
  EXPECT_EQ(Le16(h, 4), 1448);
  EXPECT_EQ(h[4], 0xA8);  // little-endian on the wire of the fd
  EXPECT_EQ(h[5], 0x05);
  // Decoding what we encode gives the offload back.
  std::optional<Offload> back = DecodeVnetHeader(h, frame.size());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->gso_size, 1448);
  EXPECT_TRUE(back->csum_partial);
}

TEST(TapVnetEncode, PayloadWithinOneSegmentIsNoGso) {
  std::vector<uint8_t> h(kVnetHeaderSize);
  Offload o;
  o.csum_partial = true;
  o.gso_size = 1448;
  ASSERT_TRUE(EncodeVnetHeader(TcpFrame(1448, true), o, h));
  EXPECT_EQ(h[1], kVnetGsoNone);
  EXPECT_EQ(h[0], kVnetFlagNeedsCsum);
}

TEST(TapVnetEncode, WhatTheHeaderCannotDescribeIsLeftToSoftware) {
  std::vector<uint8_t> h(kVnetHeaderSize);
  Offload gso_only;
  gso_only.gso_size = 1448;  // TSO without a partial checksum
  EXPECT_FALSE(EncodeVnetHeader(TcpFrame(5000, false), gso_only, h));
  Offload partial;
  partial.csum_partial = true;
  EXPECT_FALSE(EncodeVnetHeader(UdpFrame(100), partial, h));  // not TCP
  std::vector<uint8_t> arp(60, 0);
  arp[12] = 0x08;
  arp[13] = 0x06;
  EXPECT_FALSE(EncodeVnetHeader(arp, partial, h));
  std::vector<uint8_t> truncated = TcpFrame(0, true);
  truncated.resize(14 + 20 + 10);  // TCP header cut short
  EXPECT_FALSE(EncodeVnetHeader(truncated, partial, h));
  std::vector<uint8_t> bad_doff = TcpFrame(0, true);
  bad_doff[34 + 12] = 0xF0;  // data offset 60 > the frame
  EXPECT_FALSE(EncodeVnetHeader(bad_doff, partial, h));
  std::vector<uint8_t> short_header(4);
  EXPECT_FALSE(EncodeVnetHeader(TcpFrame(10, true), partial, short_header));
}

// Frames the stack sends back; nothing else.
class CollectLink final : public Link {
 public:
  void Transmit(std::span<const uint8_t> frame, Instant) override {
    frames.emplace_back(frame.begin(), frame.end());
  }
  std::vector<std::vector<uint8_t>> frames;
};

// Hostile headers from the fd: a GSO claim on a UDP frame, on a truncated TCP frame, with a tiny
// gso_size, on a runt. Decoded, then fed to a stack and to the capture's software segmentation
// exactly as TapHost does: nothing crashes, nothing loops for long.
TEST(TapVnetHostile, MalformedSuperFramesReachTheStackHarmlessly) {
  CollectLink link;
  StackConfig config;
  config.mac = kMacB;
  config.addr = kDst;
  Stack stack(config, &link);
  std::vector<uint8_t> truncated = TcpFrame(3000, true);
  wire::Store16(truncated.data() + 14 + 2, 60000);  // IPv4 total length beyond the frame
  const std::vector<std::vector<uint8_t>> frames = {UdpFrame(3000), truncated, TcpFrame(3000, true),
                                                    std::vector<uint8_t>(20, 0xFF)};
  std::vector<uint8_t> scratch(14 + 65535);
  for (const std::vector<uint8_t>& frame : frames) {
    for (uint16_t gso : {uint16_t{1}, uint16_t{7}, uint16_t{1448}, uint16_t{65535}}) {
      std::optional<Offload> o =
          DecodeVnetHeader(Header(kVnetFlagNeedsCsum, kVnetGsoTcpV4, gso, 34, 16), frame.size());
      ASSERT_TRUE(o.has_value());
      size_t pieces = 0;
      wire::SegmentFrame(frame, *o, scratch, [&](std::span<uint8_t>) { ++pieces; });
      EXPECT_GE(pieces, 1u);
      EXPECT_LE(pieces, frame.size());
      stack.InputOffloaded(frame, *o, kEpoch);
      static_cast<Driveable&>(stack).Driveable::InputOffloaded(frame, *o, kEpoch);
    }
  }
  // The valid TCP frame is for a closed port: answered with RSTs, nothing else.
  for (const std::vector<uint8_t>& f : link.frames) EXPECT_LE(f.size(), 1514u);
}

}  // namespace
}  // namespace taptcp::tap
