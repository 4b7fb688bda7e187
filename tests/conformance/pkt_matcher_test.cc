// The outbound packet check (packetdrill's verify_outbound_live_packet): which fields it compares,
// which it ignores, and the message for each mismatch.
#include <gtest/gtest.h>

#include "conformance/pkt/matcher.h"
#include "conformance/pkt/parser.h"
#include "conformance/pkt/tcp_options.h"

namespace taptcp::pkt {
namespace {

// The `>` packet of a one-line script.
PacketSpec Spec(const std::string& line) {
  absl::StatusOr<Script> s = ParseScript("0 " + line + "\n");
  EXPECT_TRUE(s.ok()) << s.status();
  return std::get<PacketSpec>(s->events[0].action);
}

// What a stack would send for that line, field for field.
TcpPacket Sent(const std::string& line) { return FromSpec(Spec(line)); }

std::string Match(const TcpPacket& actual, const std::string& line, MatchConfig c = {}) {
  std::optional<std::string> e = MatchOutbound(actual, Spec(line), c);
  return e ? *e : "match";
}

TEST(PktMatcher, AnIdenticalPacketMatches) {
  const std::string line =
      "> S. 0:0(0) ack 1 win 65160 <mss 1460,sackOK,TS val 1 ecr 2,nop,wscale 7>";
  EXPECT_EQ(Match(Sent(line), line), "match");
}

TEST(PktMatcher, FieldMismatchesSayWhichFieldAndBothValues) {
  TcpPacket p = Sent("> . 1:1(0) ack 1001");
  EXPECT_EQ(Match(p, "> . 1:1(0) ack 1002"),
            "live packet field tcp_ack_seq: expected: 1002 (0x3ea) vs actual: 1001 (0x3e9)");
  EXPECT_EQ(Match(p, "> . 2:2(0) ack 1001"),
            "live packet field tcp_seq: expected: 2 (0x2) vs actual: 1 (0x1)");
  EXPECT_EQ(Match(p, "> P. 1:1(0) ack 1001"),
            "live packet field tcp_psh: expected: 1 (0x1) vs actual: 0 (0x0)");
  EXPECT_EQ(Match(p, "> F. 1:1(0) ack 1001"),
            "live packet field tcp_fin: expected: 1 (0x1) vs actual: 0 (0x0)");
  EXPECT_EQ(Match(p, "> . 1:101(100) ack 1001"),
            "live packet field ipv4_total_length: expected: 140 (0x8c) vs actual: 40 (0x28)");
  EXPECT_EQ(Match(p, "> . 1:1(0) ack 1001 win 5"),
            "live packet field tcp_window: expected: 5 (0x5) vs actual: 0 (0x0)");
  EXPECT_EQ(Match(p, "> . 1:1(0) ack 1001 urg 3"),
            "live packet field tcp_urg_ptr: expected: 3 (0x3) vs actual: 0 (0x0)");
  EXPECT_EQ(Match(p, "> E. 1:1(0) ack 1001"),
            "live packet field tcp_ece: expected: 1 (0x1) vs actual: 0 (0x0)");
}

TEST(PktMatcher, WindowIsCheckedOnlyWhenTheScriptGivesOne) {
  TcpPacket p = Sent("> . 1:1(0) ack 1 win 1234");
  EXPECT_EQ(Match(p, "> . 1:1(0) ack 1"), "match");
}

TEST(PktMatcher, AckFieldIsCheckedEvenWithoutTheAckFlag) {
  // A RST answering an ACK carries ack_seq 0; the script's line without "ack" means 0.
  TcpPacket p = Sent("> R 5:5(0)");
  p.ack = 7;
  EXPECT_EQ(Match(p, "> R 5:5(0)"),
            "live packet field tcp_ack_seq: expected: 0 (0x0) vs actual: 7 (0x7)");
}

TEST(PktMatcher, OptionsAreComparedKindByKindNopsIncluded) {
  TcpPacket p = Sent("> S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 7>");
  EXPECT_EQ(Match(p, "> S. 0:0(0) ack 1 <mss 1460,sackOK,nop,nop,nop,wscale 7>"),
            "bad outbound TCP options: expected <mss 1460,sackOK,nop,nop,nop,wscale 7> vs actual "
            "<mss 1460,nop,nop,sackOK,nop,wscale 7>");
  EXPECT_EQ(Match(p, "> S. 0:0(0) ack 1 <mss 1400,nop,nop,sackOK,nop,wscale 7>"),
            "bad value outbound TCP option 2: expected <mss 1400> vs actual <mss 1460>");
  EXPECT_EQ(Match(p, "> S. 0:0(0) ack 1 <...>"), "match");
  TcpPacket sack = Sent("> . 1:1(0) ack 1 <nop,nop,sack 1:2 3:4>");
  EXPECT_EQ(Match(sack, "> . 1:1(0) ack 1 <nop,nop,sack 1:2>"),
            "live packet field ipv4_total_length: expected: 52 (0x34) vs actual: 60 (0x3c); the "
            "TCP options differ: expected <nop,nop,sack 1:2> vs actual <nop,nop,sack 1:2 3:4>");
}

TEST(PktMatcher, TsValIsCheckedOnlyWithATickAndEcrNever) {
  TcpPacket p = Sent("> . 1:1(0) ack 1 <nop,nop,TS val 1000 ecr 5>");
  const std::string line = "> . 1:1(0) ack 1 <nop,nop,TS val 1010 ecr 77>";
  EXPECT_EQ(Match(p, line), "match");  // packetdrill's default: tcp_ts_tick_usecs = 0
  MatchConfig ticks{4000, 1000};       // 1 ms per tick, 4 ms tolerance: 10 ticks is too many
  EXPECT_EQ(Match(p, line, ticks), "bad outbound TCP timestamp value, tolerance 4000");
  EXPECT_EQ(Match(p, "> . 1:1(0) ack 1 <nop,nop,TS val 1003 ecr 77>", ticks), "match");
}

TEST(PktMatcher, PayloadMustBeTheScriptsZeros) {
  TcpPacket p = Sent("> P. 1:11(10) ack 1");
  p.payload[3] = 0x41;
  EXPECT_EQ(Match(p, "> P. 1:11(10) ack 1"), "incorrect outbound data payload");
}

TEST(PktMatcher, AMalformedPacketFailsWithTheReason) {
  TcpPacket p = Sent("> . 1:1(0) ack 1");
  p.malformed = "bad outbound TCP checksum";
  EXPECT_EQ(Match(p, "> . 1:1(0) ack 1"), "bad outbound TCP checksum");
}

TEST(PktPacket, FramesRoundTripWithChecksums) {
  TcpPacket p = Sent("> P. 7:107(100) ack 9 win 300 <nop,nop,TS val 1 ecr 2>");
  p.src = wire::Ipv4Address::FromOctets(192, 0, 2, 1);
  p.dst = wire::Ipv4Address::FromOctets(192, 0, 2, 2);
  p.src_port = 8080;
  p.dst_port = 40000;
  std::optional<std::vector<uint8_t>> f = BuildFrame(p, {}, {}, 1);
  ASSERT_TRUE(f.has_value());
  std::optional<TcpPacket> back = ParseFrame(*f);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->malformed, "");
  EXPECT_EQ(FormatTcp(*back), "P. 7:107(100) ack 9 win 300 <nop,nop,TS val 1 ecr 2>");
  (*f)[60] ^= 1;  // a payload bit
  EXPECT_EQ(ParseFrame(*f)->malformed, "bad outbound TCP checksum");
}

}  // namespace
}  // namespace taptcp::pkt
