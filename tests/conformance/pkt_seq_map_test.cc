// Script <-> live sequence numbers as packetdrill maps them (socket.h, run_packet.c).
#include <gtest/gtest.h>

#include "conformance/pkt/seq_map.h"
#include "conformance/pkt/tcp_options.h"

namespace taptcp::pkt {
namespace {

TcpPacket Packet(uint8_t flags, uint32_t seq, uint32_t ack, std::vector<OptionSpec> options = {}) {
  TcpPacket p;
  p.flags = flags;
  p.seq = seq;
  p.ack = ack;
  p.options = std::move(options);
  return p;
}

OptionSpec Ts(uint32_t val, uint32_t ecr) {
  OptionSpec o{kOptTimestamp, {}};
  AppendU32(&o.data, val);
  AppendU32(&o.data, ecr);
  return o;
}

OptionSpec Sack(uint32_t l, uint32_t r) {
  OptionSpec o{kOptSack, {}};
  AppendU32(&o.data, l);
  AppendU32(&o.data, r);
  return o;
}

constexpr uint8_t kSyn = 0x02, kAck = 0x10;

// A passive connection: the peer's ISN is 100 (its SYN said so), the stack's live ISN is
// 0xfffffff0 and the script wrote its SYN-ACK as 0:0(0).
SeqMap Passive() {
  SeqMap m;
  m.script.remote_isn = m.live.remote_isn = 100;
  m.script.local_isn = 0;
  m.live.local_isn = 0xfffffff0;
  return m;
}

TEST(PktSeqMap, InboundSynIsAbsoluteOthersRelativeToThePeersIsn) {
  const SeqMap m = Passive();
  TcpPacket syn = Packet(kSyn, 100, 0);
  ASSERT_TRUE(m.MapInbound(&syn, false).ok());
  EXPECT_EQ(syn.seq, 100u);
  TcpPacket data = Packet(kAck, 1, 1);
  ASSERT_TRUE(m.MapInbound(&data, false).ok());
  EXPECT_EQ(data.seq, 101u);
  EXPECT_EQ(data.ack, 0xfffffff1u);  // wraps through zero
}

TEST(PktSeqMap, InboundAckOfASynAckCountsFromTheScriptsIsn) {
  // Simultaneous open: the peer's SYN-ACK acknowledges our SYN, which the script wrote as 5:5(0).
  SeqMap m = Passive();
  m.script.local_isn = 5;
  TcpPacket synack = Packet(kSyn | kAck, 100, 6);
  ASSERT_TRUE(m.MapInbound(&synack, false).ok());
  EXPECT_EQ(synack.ack, 0xfffffff1u);
}

TEST(PktSeqMap, SackBlocksMoveWithTheAckNumber) {
  const SeqMap m = Passive();
  TcpPacket in =
      Packet(kAck, 1, 1, {OptionSpec{kOptNop, {}}, OptionSpec{kOptNop, {}}, Sack(1001, 2001)});
  ASSERT_TRUE(m.MapInbound(&in, false).ok());
  EXPECT_EQ(FormatOptions(in.options), "nop,nop,sack 985:1985");  // + 0xfffffff0, mod 2^32
  // And back: an outbound SACK block is relative to the peer's ISN.
  SeqMap out = Passive();
  TcpPacket ack = Packet(kAck, 0xfffffff1u, 1101, {Sack(2101, 3101)});
  out.MapOutbound(&ack, std::nullopt);
  EXPECT_EQ(ack.seq, 1u);
  EXPECT_EQ(ack.ack, 1001u);
  EXPECT_EQ(FormatOptions(ack.options), "sack 2001:3001");
}

TEST(PktSeqMap, OutboundSynAckIsTheScriptsIsn) {
  SeqMap m = Passive();
  TcpPacket synack = Packet(kSyn | kAck, 0xfffffff0u, 101);
  m.MapOutbound(&synack, std::nullopt);
  EXPECT_EQ(synack.seq, 0u);
  EXPECT_EQ(synack.ack, 101u);  // a SYN's numbers are absolute
}

TEST(PktSeqMap, TsEcrNamesAnOutboundTsVal) {
  SeqMap m = Passive();
  // The stack sent TS val 5000 on a line where the script wrote TS val 100.
  TcpPacket out = Packet(kAck, 0xfffffff1u, 101, {Ts(5000, 7)});
  m.MapOutbound(&out, 100);
  EXPECT_EQ(FindTimestamp(out.options)->val, 100u);  // shown in script space
  TcpPacket in = Packet(kAck, 1, 1, {Ts(300, 100)});
  ASSERT_TRUE(m.MapInbound(&in, false).ok());
  EXPECT_EQ(FindTimestamp(in.options)->ecr, 5000u);
  EXPECT_EQ(FindTimestamp(in.options)->val, 300u);  // the peer's own clock: as written

  // A later outbound val moves with the stack's clock from the first one.
  TcpPacket later = Packet(kAck, 0xfffffff1u, 101, {Ts(5250, 300)});
  m.MapOutbound(&later, 999);
  EXPECT_EQ(FindTimestamp(later.options)->val, 350u);

  // An ecr that names no outbound val: an error, or interpolated with --tcp_ts_ecr_scaled.
  TcpPacket unknown = Packet(kAck, 1, 1, {Ts(400, 150)});
  absl::Status st = m.MapInbound(&unknown, false);
  EXPECT_EQ(std::string(st.message()).substr(0, 61),
            "unable to infer live TS ecr for script TS ecr 150; no matchin");
  ASSERT_TRUE(m.MapInbound(&unknown, true).ok());
  EXPECT_EQ(FindTimestamp(unknown.options)->ecr, 5050u);
}

TEST(PktSeqMap, TsEcrOfASynIsNotMapped) {
  const SeqMap m = Passive();
  TcpPacket syn = Packet(kSyn, 100, 0, {Ts(1, 0)});
  ASSERT_TRUE(m.MapInbound(&syn, false).ok());  // no ACK: ecr means nothing, as written
  EXPECT_EQ(FindTimestamp(syn.options)->ecr, 0u);
}

}  // namespace
}  // namespace taptcp::pkt
