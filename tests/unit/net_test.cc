// ARP, IPv4 and ICMP of one Stack, driven frame by frame in virtual time. Each test asserts the
// frames the stack sends (parsed with our views), the counters under their Linux names, and the
// drop reasons.
#include <gtest/gtest.h>

#include <vector>

#include "stack/stack.h"
#include "stack/wire/arp.h"
#include "stack/wire/checksum.h"
#include "stack/wire/ethernet.h"
#include "stack/wire/icmp.h"
#include "stack/wire/ipv4.h"
#include "tests/support/test_frames.h"

namespace taptcp {
namespace {

using namespace taptcp::testing;
using wire::DropReason;

class NetTest : public ::testing::Test {
 protected:
  NetTest() : stack_(Config(), &link_) {}
  static StackConfig Config() {
    StackConfig c;
    c.mac = kStackMac;
    c.addr = kStackIp;
    c.prefix_len = 24;
    return c;
  }
  void In(const std::vector<uint8_t>& f, Instant at = kEpoch) { stack_.Input(f, at); }
  uint64_t C(Counter c) const { return stack_.mib().Get(c); }

  // Teaches the stack the peer's MAC the way the kernel would: an ARP request for our address.
  void LearnPeer() {
    In(ArpFrame(wire::kArpOpRequest, wire::MacAddress::Broadcast(), kPeerMac, kPeerIp, {},
                kStackIp));
    link_.frames.clear();
  }

  RecordingLink link_;
  Stack stack_;
};

struct ParsedIcmp {
  wire::EthernetView eth;
  wire::Ipv4View ip;
  wire::IcmpView icmp;
};

ParsedIcmp ParseIcmpFrame(const std::vector<uint8_t>& f) {
  ParsedIcmp p;
  EXPECT_EQ(wire::EthernetView::Parse(f, &p.eth), DropReason::kNone);
  EXPECT_EQ(p.eth.ethertype(), wire::kIpv4);
  EXPECT_EQ(wire::Ipv4View::Parse(p.eth.payload(), &p.ip), DropReason::kNone);
  EXPECT_EQ(p.ip.protocol(), wire::kProtoIcmp);
  EXPECT_EQ(wire::IcmpView::Parse(p.ip.payload(), &p.icmp), DropReason::kNone);
  return p;
}

TEST_F(NetTest, AnswersArpRequestForItsAddressAndLearnsTheSender) {
  In(ArpFrame(wire::kArpOpRequest, wire::MacAddress::Broadcast(), kPeerMac, kPeerIp, {}, kStackIp));
  ASSERT_EQ(link_.frames.size(), 1u);
  const auto& f = link_.frames[0].bytes;
  EXPECT_EQ(f.size(), wire::kMinEthernetFrame);  // padded like a NIC pads
  wire::EthernetView eth;
  ASSERT_EQ(wire::EthernetView::Parse(f, &eth), DropReason::kNone);
  EXPECT_EQ(eth.dst(), kPeerMac);
  EXPECT_EQ(eth.src(), kStackMac);
  wire::ArpView arp;
  ASSERT_EQ(wire::ArpView::Parse(eth.payload(), &arp), DropReason::kNone);
  EXPECT_EQ(arp.op(), wire::kArpOpReply);
  EXPECT_EQ(arp.sender_mac(), kStackMac);
  EXPECT_EQ(arp.sender_ip(), kStackIp);
  EXPECT_EQ(arp.target_mac(), kPeerMac);
  EXPECT_EQ(arp.target_ip(), kPeerIp);
  EXPECT_EQ(C(Counter::kTaptcpArpInRequests), 1u);
  EXPECT_EQ(C(Counter::kTaptcpArpOutReplies), 1u);
  auto entry = stack_.arp().Lookup(kPeerIp);
  ASSERT_TRUE(entry.has_value());
  EXPECT_EQ(entry->mac, kPeerMac);
  EXPECT_EQ(entry->state, net::NeighState::kStale);  // a request does not prove reachability
}

TEST_F(NetTest, IgnoresArpForOtherAddressesAndCountsIt) {
  In(ArpFrame(wire::kArpOpRequest, wire::MacAddress::Broadcast(), kPeerMac, kPeerIp, {},
              *wire::Ipv4Address::Parse("192.0.2.99")));
  EXPECT_TRUE(link_.frames.empty());
  EXPECT_EQ(stack_.mib().Drops(DropReason::kArpNotForUs), 1u);
  EXPECT_FALSE(stack_.arp().Lookup(kPeerIp).has_value());  // not talking to us: no entry
}

TEST_F(NetTest, ArpProbeFromZeroAddressIsAnsweredWithoutAnEntry) {
  // RFC 5227 duplicate-address probe: sender IP 0.0.0.0.
  In(ArpFrame(wire::kArpOpRequest, wire::MacAddress::Broadcast(), kPeerMac,
              wire::Ipv4Address::Any(), {}, kStackIp));
  ASSERT_EQ(link_.frames.size(), 1u);
  EXPECT_EQ(stack_.arp().size(), 0u);
}

TEST_F(NetTest, UnsolicitedArpReplyCreatesNoEntry) {
  In(ArpFrame(wire::kArpOpReply, kStackMac, kPeerMac, kPeerIp, kStackMac, kStackIp));
  EXPECT_EQ(stack_.arp().size(), 0u);
  EXPECT_EQ(C(Counter::kTaptcpArpInReplies), 1u);
}

TEST_F(NetTest, RepliesToPingWithSameIdSeqAndPayload) {
  LearnPeer();
  const std::vector<uint8_t> payload = {'t', 'a', 'p', 't', 'c', 'p', 0, 1, 2, 3, 255};
  In(EchoRequestFrame(0x1234, 7, payload), kEpoch + milliseconds(5));
  ASSERT_EQ(link_.frames.size(), 1u);
  EXPECT_EQ(link_.frames[0].at, kEpoch + milliseconds(5));
  ParsedIcmp p = ParseIcmpFrame(link_.frames[0].bytes);
  EXPECT_EQ(p.eth.dst(), kPeerMac);
  EXPECT_EQ(p.ip.src(), kStackIp);
  EXPECT_EQ(p.ip.dst(), kPeerIp);
  EXPECT_EQ(p.ip.ttl(), 64);
  EXPECT_FALSE(p.ip.dont_fragment());
  EXPECT_EQ(p.icmp.type(), wire::kEchoReply);
  EXPECT_EQ(p.icmp.code(), 0);
  EXPECT_EQ(p.icmp.echo_id(), 0x1234);
  EXPECT_EQ(p.icmp.echo_seq(), 7);
  EXPECT_EQ(std::vector<uint8_t>(p.icmp.payload().begin(), p.icmp.payload().end()), payload);
  EXPECT_EQ(C(Counter::kIpInReceives), 1u);
  EXPECT_EQ(C(Counter::kIpInDelivers), 1u);
  EXPECT_EQ(C(Counter::kIcmpInMsgs), 1u);
  EXPECT_EQ(C(Counter::kIcmpInEchos), 1u);
  EXPECT_EQ(C(Counter::kIcmpOutMsgs), 1u);
  EXPECT_EQ(C(Counter::kIcmpOutEchoReps), 1u);
  EXPECT_EQ(C(Counter::kIpOutRequests), 1u);
  EXPECT_EQ(stack_.mib().TotalDrops(), 0u);
}

TEST_F(NetTest, PingFromUnknownPeerWaitsForArpThenReplies) {
  const std::vector<uint8_t> payload(56, 0xab);
  In(EchoRequestFrame(1, 1, payload));
  // The reply needs the peer's MAC: the stack asks first and holds the reply.
  ASSERT_EQ(link_.frames.size(), 1u);
  wire::EthernetView eth;
  ASSERT_EQ(wire::EthernetView::Parse(link_.frames[0].bytes, &eth), DropReason::kNone);
  EXPECT_TRUE(eth.dst().IsBroadcast());
  wire::ArpView arp;
  ASSERT_EQ(wire::ArpView::Parse(eth.payload(), &arp), DropReason::kNone);
  EXPECT_EQ(arp.op(), wire::kArpOpRequest);
  EXPECT_EQ(arp.target_ip(), kPeerIp);
  EXPECT_EQ(stack_.arp().Lookup(kPeerIp)->state, net::NeighState::kIncomplete);
  EXPECT_EQ(stack_.arp().Lookup(kPeerIp)->queued_packets, 1u);

  In(ArpFrame(wire::kArpOpReply, kStackMac, kPeerMac, kPeerIp, kStackMac, kStackIp),
     kEpoch + milliseconds(3));
  ASSERT_EQ(link_.frames.size(), 2u);
  ParsedIcmp p = ParseIcmpFrame(link_.frames[1].bytes);
  EXPECT_EQ(p.eth.dst(), kPeerMac);
  EXPECT_EQ(p.icmp.type(), wire::kEchoReply);
  EXPECT_EQ(p.icmp.payload().size(), 56u);
  EXPECT_EQ(stack_.arp().Lookup(kPeerIp)->state, net::NeighState::kReachable);
  EXPECT_EQ(stack_.arp().queued_bytes(), 0u);
}

TEST_F(NetTest, ArpResolutionRetriesThenFailsAndDiscardsTheQueue) {
  const wire::Ipv4Address silent = *wire::Ipv4Address::Parse("192.0.2.77");
  ASSERT_TRUE(stack_.icmp().SendEchoRequest(silent, 9, 1, {}));
  stack_.Advance(kEpoch + seconds(10));
  // mcast_solicit (3) requests, retrans_time_ms (1 s) apart, never early and at most 12.5% late.
  ASSERT_EQ(link_.frames.size(), 3u);
  for (int i = 1; i < 3; ++i) {
    const Duration gap = link_.frames[i].at - link_.frames[i - 1].at;
    EXPECT_GE(gap, seconds(1)) << i;
    EXPECT_LE(gap, milliseconds(1125)) << i;
  }
  EXPECT_FALSE(stack_.arp().Lookup(silent).has_value());
  EXPECT_EQ(C(Counter::kTaptcpArpOutRequests), 3u);
  EXPECT_EQ(C(Counter::kTaptcpArpResolveFailed), 1u);
  EXPECT_EQ(C(Counter::kTaptcpArpUnresolvedDiscards), 1u);
  EXPECT_FALSE(stack_.NextDeadline().has_value());
}

TEST_F(NetTest, ReachableBecomesStaleThenIsForgotten) {
  ASSERT_TRUE(stack_.icmp().SendEchoRequest(kPeerIp, 9, 1, {}));
  In(ArpFrame(wire::kArpOpReply, kStackMac, kPeerMac, kPeerIp, kStackMac, kStackIp));
  EXPECT_EQ(stack_.arp().Lookup(kPeerIp)->state, net::NeighState::kReachable);
  stack_.Advance(kEpoch + milliseconds(29999));
  EXPECT_EQ(stack_.arp().Lookup(kPeerIp)->state, net::NeighState::kReachable);
  stack_.Advance(kEpoch + seconds(34));  // base_reachable_time 30 s (+ wheel lateness)
  EXPECT_EQ(stack_.arp().Lookup(kPeerIp)->state, net::NeighState::kStale);
  stack_.Advance(kEpoch + seconds(34 + 68));  // gc_stale_time 60 s unused
  EXPECT_FALSE(stack_.arp().Lookup(kPeerIp).has_value());
}

TEST_F(NetTest, UsingAStaleEntryProbesByUnicastThenForgetsASilentNeighbour) {
  LearnPeer();  // STALE, from the peer's request
  ASSERT_TRUE(stack_.icmp().SendEchoRequest(kPeerIp, 9, 1, {}));
  ASSERT_EQ(link_.frames.size(), 1u);  // sent at once with the STALE MAC
  EXPECT_EQ(stack_.arp().Lookup(kPeerIp)->state, net::NeighState::kDelay);
  link_.frames.clear();
  stack_.Advance(kEpoch + seconds(30));
  // delay_first_probe_time (5 s), then ucast_solicit (3) unicast requests 1 s apart, then gone.
  ASSERT_EQ(link_.frames.size(), 3u);
  EXPECT_GE(link_.frames[0].at, kEpoch + seconds(5));
  EXPECT_LE(link_.frames[0].at, kEpoch + milliseconds(5625));
  for (const auto& f : link_.frames) {
    wire::EthernetView eth;
    ASSERT_EQ(wire::EthernetView::Parse(f.bytes, &eth), DropReason::kNone);
    EXPECT_EQ(eth.dst(), kPeerMac);  // unicast
    wire::ArpView arp;
    ASSERT_EQ(wire::ArpView::Parse(eth.payload(), &arp), DropReason::kNone);
    EXPECT_EQ(arp.op(), wire::kArpOpRequest);
    EXPECT_EQ(arp.target_mac(), kPeerMac);
  }
  EXPECT_FALSE(stack_.arp().Lookup(kPeerIp).has_value());
  EXPECT_EQ(C(Counter::kTaptcpArpResolveFailed), 1u);
}

TEST_F(NetTest, UnresolvedQueueIsBoundedByUnresQlenBytes) {
  stack_.sysctl().neigh_unres_qlen_bytes = 4000;
  const wire::Ipv4Address silent = *wire::Ipv4Address::Parse("192.0.2.77");
  const std::vector<uint8_t> payload(972, 1);  // 1000-byte IPv4 packets
  for (int i = 0; i < 100; ++i) stack_.icmp().SendEchoRequest(silent, 1, i, payload);
  EXPECT_EQ(stack_.arp().queued_bytes(), 4000u);
  EXPECT_EQ(stack_.arp().Lookup(silent)->queued_packets, 4u);
  EXPECT_EQ(C(Counter::kTaptcpArpUnresolvedDiscards), 96u);
}

TEST_F(NetTest, NeighbourTableIsBoundedByGcThresh3) {
  // A flood of ARP requests from ever new senders: each would like an entry.
  for (uint32_t i = 0; i < 5000; ++i) {
    wire::MacAddress mac = kPeerMac;
    mac.bytes[4] = static_cast<uint8_t>(i >> 8);
    mac.bytes[5] = static_cast<uint8_t>(i);
    const wire::Ipv4Address sender{0xC0000000u | (i + 1)};  // 192.0.x.y, all distinct
    In(ArpFrame(wire::kArpOpRequest, wire::MacAddress::Broadcast(), mac, sender, {}, kStackIp),
       kEpoch + microseconds(i));
  }
  EXPECT_EQ(stack_.arp().size(), static_cast<size_t>(stack_.sysctl().neigh_gc_thresh3));
  EXPECT_EQ(C(Counter::kTaptcpArpOutReplies), 5000u);
}

TEST_F(NetTest, BadIpChecksumIsDroppedAndCountedLikeLinux) {
  LearnPeer();
  auto f = EchoRequestFrame(1, 1, {});
  f[wire::kEthernetHeaderSize + 10] ^= 0x55;  // the header checksum
  In(f);
  EXPECT_TRUE(link_.frames.empty());
  EXPECT_EQ(C(Counter::kIpInReceives), 1u);
  EXPECT_EQ(C(Counter::kIpInHdrErrors), 1u);
  EXPECT_EQ(C(Counter::kIpExtInCsumErrors), 1u);
  EXPECT_EQ(stack_.mib().Drops(DropReason::kIpBadChecksum), 1u);
}

// Rewrites the IPv4 total length of a test frame and fixes the header checksum.
void SetTotalLength(std::vector<uint8_t>& f, uint16_t total) {
  uint8_t* ip = f.data() + wire::kEthernetHeaderSize;
  ip[2] = static_cast<uint8_t>(total >> 8);
  ip[3] = static_cast<uint8_t>(total);
  ip[10] = ip[11] = 0;
  const uint16_t sum = wire::InternetChecksum(std::span<const uint8_t>(ip, 20));
  ip[10] = static_cast<uint8_t>(sum >> 8);
  ip[11] = static_cast<uint8_t>(sum);
}

TEST_F(NetTest, TotalLengthErrorsCountAsLinuxCountsThem) {
  LearnPeer();
  auto longer = EchoRequestFrame(1, 1, std::vector<uint8_t>(40, 7));
  SetTotalLength(longer, 1000);  // more than the frame holds: truncated in transit
  In(longer);
  EXPECT_EQ(C(Counter::kIpExtInTruncatedPkts), 1u);
  EXPECT_EQ(C(Counter::kIpInHdrErrors), 0u);
  auto shorter = EchoRequestFrame(1, 1, std::vector<uint8_t>(40, 7));
  SetTotalLength(shorter, 12);  // less than the 20-byte header: a header error
  In(shorter);
  EXPECT_EQ(C(Counter::kIpInHdrErrors), 1u);
  EXPECT_EQ(stack_.mib().Drops(DropReason::kIpBadTotalLength), 2u);
  EXPECT_TRUE(link_.frames.empty());
}

TEST_F(NetTest, BadIcmpChecksumCountsIcmpErrors) {
  LearnPeer();
  // Flip a byte of the echo data: the IP header stays valid, the ICMP checksum does not.
  auto f = EchoRequestFrame(1, 1, std::vector<uint8_t>(40, 7));
  f[wire::kEthernetHeaderSize + 20 + 10] ^= 1;
  In(f);
  EXPECT_TRUE(link_.frames.empty());
  EXPECT_EQ(C(Counter::kIcmpInMsgs), 1u);
  EXPECT_EQ(C(Counter::kIcmpInCsumErrors), 1u);
  EXPECT_EQ(C(Counter::kIcmpInErrors), 1u);
}

TEST_F(NetTest, FragmentsAreDroppedAsReassemblyFailures) {
  LearnPeer();
  auto f = EchoRequestFrame(1, 1, std::vector<uint8_t>(40, 7));
  // Set MF and fix the header checksum so only the fragment rule applies.
  uint8_t* ip = f.data() + wire::kEthernetHeaderSize;
  ip[6] |= 0x20;
  ip[10] = ip[11] = 0;
  const uint16_t sum = wire::InternetChecksum(std::span<const uint8_t>(ip, 20));
  ip[10] = static_cast<uint8_t>(sum >> 8);
  ip[11] = static_cast<uint8_t>(sum);
  In(f);
  EXPECT_TRUE(link_.frames.empty());
  EXPECT_EQ(C(Counter::kIpReasmFails), 1u);
  EXPECT_EQ(stack_.mib().Drops(DropReason::kIpFragment), 1u);
}

TEST_F(NetTest, PacketsForOtherHostsAreNotForwarded) {
  LearnPeer();
  In(EchoRequestFrame(1, 1, {}, *wire::Ipv4Address::Parse("192.0.2.3")));
  EXPECT_TRUE(link_.frames.empty());
  EXPECT_EQ(C(Counter::kIpInAddrErrors), 1u);
  EXPECT_EQ(stack_.mib().Drops(DropReason::kIpNotForUs), 1u);
}

TEST_F(NetTest, FramesForAnotherMacAreDroppedBeforeIp) {
  auto f = EchoRequestFrame(1, 1, {});
  f[5] ^= 0xff;  // destination MAC
  In(f);
  EXPECT_EQ(C(Counter::kIpInReceives), 0u);
  EXPECT_EQ(stack_.mib().Drops(DropReason::kEthNotForUs), 1u);
}

TEST_F(NetTest, BroadcastPingIgnoredUnlessSysctlAllowsIt) {
  LearnPeer();
  auto f = EchoRequestFrame(1, 1, {}, *wire::Ipv4Address::Parse("192.0.2.255"));
  In(f);
  EXPECT_TRUE(link_.frames.empty());
  EXPECT_EQ(stack_.mib().Drops(DropReason::kIcmpBroadcastEcho), 1u);
  ASSERT_TRUE(stack_.sysctl().Set("net.ipv4.icmp_echo_ignore_broadcasts", "0").ok());
  In(f);
  EXPECT_EQ(link_.frames.size(), 1u);
}

TEST_F(NetTest, EchoIgnoreAllSilencesPing) {
  LearnPeer();
  ASSERT_TRUE(stack_.sysctl().Set("net.ipv4.icmp_echo_ignore_all", "1").ok());
  In(EchoRequestFrame(1, 1, {}));
  EXPECT_TRUE(link_.frames.empty());
  EXPECT_EQ(C(Counter::kIcmpInEchos), 1u);
  EXPECT_EQ(stack_.mib().Drops(DropReason::kIcmpEchoIgnored), 1u);
}

TEST_F(NetTest, MartianSourcesAreDropped) {
  LearnPeer();
  for (const char* src : {"127.0.0.1", "224.0.0.1", "255.255.255.255", "0.0.0.0", "192.0.2.2"}) {
    std::vector<uint8_t> icmp(8);
    wire::WriteIcmpEcho(icmp, wire::kEchoRequest, 1, 1, {});
    In(Ipv4Frame(kStackMac, kPeerMac, *wire::Ipv4Address::Parse(src), kStackIp, wire::kProtoIcmp,
                 icmp));
  }
  EXPECT_TRUE(link_.frames.empty());
  EXPECT_EQ(stack_.mib().Drops(DropReason::kIpMartianSource), 5u);
}

TEST_F(NetTest, UnknownProtocolCountsInUnknownProtos) {
  LearnPeer();
  const std::vector<uint8_t> udp(8, 0);
  In(Ipv4Frame(kStackMac, kPeerMac, kPeerIp, kStackIp, wire::kProtoUdp, udp));
  EXPECT_EQ(C(Counter::kIpInUnknownProtos), 1u);
  EXPECT_EQ(C(Counter::kIpInDelivers), 0u);
}

TEST_F(NetTest, OffLinkDestinationNeedsAGateway) {
  const wire::Ipv4Address far = *wire::Ipv4Address::Parse("198.51.100.7");
  EXPECT_FALSE(stack_.icmp().SendEchoRequest(far, 1, 1, {}));
  EXPECT_EQ(C(Counter::kIpOutNoRoutes), 1u);
  EXPECT_TRUE(link_.frames.empty());

  StackConfig c = Config();
  c.gateway = kPeerIp;
  RecordingLink link;
  Stack routed(c, &link);
  EXPECT_TRUE(routed.icmp().SendEchoRequest(far, 1, 1, {}));
  ASSERT_EQ(link.frames.size(), 1u);  // ARP for the gateway, not for the far host
  wire::EthernetView eth;
  ASSERT_EQ(wire::EthernetView::Parse(link.frames[0].bytes, &eth), DropReason::kNone);
  wire::ArpView arp;
  ASSERT_EQ(wire::ArpView::Parse(eth.payload(), &arp), DropReason::kNone);
  EXPECT_EQ(arp.target_ip(), kPeerIp);
}

TEST_F(NetTest, TruncatedAndGarbageFramesAreCountedNeverCrash) {
  const std::vector<std::vector<uint8_t>> bad = {
      {}, {1, 2, 3}, std::vector<uint8_t>(13, 0xff), std::vector<uint8_t>(14, 0)};
  for (const auto& f : bad) In(f);
  EXPECT_EQ(C(Counter::kTaptcpEthInFrames), 4u);
  EXPECT_EQ(stack_.mib().TotalDrops(), 4u);
  EXPECT_TRUE(link_.frames.empty());
}

}  // namespace
}  // namespace taptcp
