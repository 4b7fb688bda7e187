// conformance/replay: the JSON subset, descriptions, re-basing, comparison and alignment, and
// whole replays of a capture made with taptcp itself standing in for Linux (so the replay must
// match it exactly): as recorded it passes; doctored, it fails with the expected row; with the
// doctored packet listed as a deviation it passes again.
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "conformance/replay/app_calls.h"
#include "conformance/replay/compare.h"
#include "conformance/replay/description.h"
#include "conformance/replay/json_subset.h"
#include "conformance/replay/rebase.h"
#include "conformance/replay/replayer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "stack/stack.h"
#include "stack/wire/bytes.h"
#include "tests/support/test_frames.h"

namespace taptcp::replay {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const wire::MacAddress kDutMac = *wire::MacAddress::Parse("02:54:41:50:00:01");
const wire::MacAddress kPeerMac = *wire::MacAddress::Parse("02:54:41:50:00:02");
const wire::Ipv4Address kDutIp = *wire::Ipv4Address::Parse("192.0.2.1");
const wire::Ipv4Address kPeerIp = *wire::Ipv4Address::Parse("192.0.2.2");
constexpr uint16_t kDutPort = 8080, kPeerPort = 40000;

// A TCP frame between the peer and the DUT.
std::vector<uint8_t> Frame(bool from_peer, uint8_t flags, uint32_t seq, uint32_t ack,
                           const wire::TcpOptions& o = {}, size_t payload = 0) {
  wire::TcpHeaderFields h;
  h.src_port = from_peer ? kPeerPort : kDutPort;
  h.dst_port = from_peer ? kDutPort : kPeerPort;
  h.seq = seq;
  h.ack = ack;
  h.flags = flags;
  h.window = 1000;
  const std::vector<uint8_t> data(payload, 'p');
  std::vector<uint8_t> seg(wire::kTcpMaxHeaderSize + payload);
  const wire::Ipv4Address src = from_peer ? kPeerIp : kDutIp, dst = from_peer ? kDutIp : kPeerIp;
  seg.resize(wire::WriteTcpSegment(seg, src, dst, h, o, data));
  return taptcp::testing::Ipv4Frame(from_peer ? kDutMac : kPeerMac, from_peer ? kPeerMac : kDutMac,
                                    src, dst, wire::kProtoTcp, seg);
}

TcpPacket Decode(const std::vector<uint8_t>& frame) {
  std::string problem;
  std::optional<TcpPacket> p = DecodeTcpFrame(frame, true, &problem);
  EXPECT_TRUE(p.has_value()) << problem;
  return p.value_or(TcpPacket{});
}

wire::TcpOptions Ts(uint32_t val, uint32_t ecr) {
  wire::TcpOptions o;
  o.timestamp = std::make_pair(val, ecr);
  return o;
}

// --- JSON ---------------------------------------------------------------------------------------

TEST(JsonSubsetTest, ParsesNestedValues) {
  absl::StatusOr<JsonValue> v =
      ParseJson(R"( {"a": [1, -2.5e1, true, false, null], "b": {"c": "d"}} )");
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_TRUE(v->is_object());
  const JsonValue* a = v->Find("a");
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->items().size(), 5u);
  EXPECT_EQ(a->items()[1].number(), -25);
  EXPECT_TRUE(a->items()[2].bool_value());
  EXPECT_TRUE(a->items()[4].is_null());
  EXPECT_EQ(v->Find("b")->Find("c")->string(), "d");
  EXPECT_EQ(v->Find("missing"), nullptr);
}

TEST(JsonSubsetTest, DecodesEscapesAndSurrogatePairs) {
  absl::StatusOr<JsonValue> v = ParseJson(R"("a\"b\\c\/\n\u00e9\ud83d\ude00")");
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->string(), "a\"b\\c/\n\xC3\xA9\xF0\x9F\x98\x80");
}

TEST(JsonSubsetTest, ErrorsNameLineAndColumn) {
  absl::StatusOr<JsonValue> v = ParseJson("{\n  \"a\": tru\n}");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().message(), "line 2 column 8: invalid literal");
}

TEST(JsonSubsetTest, RejectsMalformedText) {
  for (const char* bad : {"", "{", "[1,]", "{\"a\" 1}", "01", "1.", "-", "1e", "\"\\x\"",
                          "\"\\ud800\"", "\"tab\there\"", "{} x", "1e999", "nul"}) {
    EXPECT_FALSE(ParseJson(bad).ok()) << bad;
  }
}

TEST(JsonSubsetTest, BoundsNesting) {
  absl::StatusOr<JsonValue> v = ParseJson(std::string(10000, '['));
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(std::string(v.status().message()), HasSubstr("nested deeper than 64"));
}

// --- descriptions -------------------------------------------------------------------------------

constexpr char kDescription[] = R"({
 "format": 1, "name": "x", "summary": "s", "linux": "6.1",
 "dut": {"ip": "192.0.2.1", "mac": "02:54:41:50:00:01", "mtu": 1500},
 "peer": {"ip": "192.0.2.2", "mac": "02:54:41:50:00:02"},
 "sysctls": {"net.ipv4.tcp_sack": "1", "net.core.somaxconn": 4096},
 "calls": [{"t": -0.01, "sock": "l", "call": "socket", "result": 0},
           {"t": 0.02, "sock": "c", "call": "recv", "bytes": 10, "result": "EAGAIN"}],
 "end": 1.5, "tolerance_ms": 20, "compare_window": "all",
 "deviations": [{"packet": 3, "why": "because"}],
 "kernel_only_sysctls": [{"name": "net.ipv4.tcp_early_retrans", "value": "0", "why": "w"}]
})";

TEST(DescriptionTest, ReadsWhatTheRecorderWrites) {
  absl::StatusOr<Description> d = ParseDescription(kDescription, "x.json");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->dut_ip, kDutIp);
  EXPECT_EQ(d->peer_mac, kPeerMac);
  ASSERT_EQ(d->sysctls.size(), 2u);
  EXPECT_EQ(d->sysctls[1].second, "4096");
  ASSERT_EQ(d->calls.size(), 2u);
  EXPECT_EQ(d->calls[0].t, -std::chrono::milliseconds(10));
  EXPECT_EQ(d->calls[0].result, "0");
  EXPECT_EQ(d->calls[1].bytes, 10);
  EXPECT_EQ(d->calls[1].result, "EAGAIN");
  EXPECT_EQ(d->end, std::chrono::milliseconds(1500));
  EXPECT_EQ(d->tolerance_ms, 20);
  EXPECT_EQ(d->compare_window, WindowCompare::kAll);
  EXPECT_EQ(d->deviations.at(3), "because");
}

TEST(DescriptionTest, ErrorsAreOneLineNamingFileAndMember) {
  std::string text = kDescription;
  text.replace(text.find("\"t\": 0.02"), 9, "\"t\": \"0\"");
  absl::StatusOr<Description> d = ParseDescription(text, "pcaps/x.json");
  ASSERT_FALSE(d.ok());
  EXPECT_EQ(d.status().message(), "pcaps/x.json: calls[1].t: expected a number, got a string");

  for (const auto& [bad, want] : std::vector<std::pair<std::string, std::string>>{
           {"[]", "description: expected an object, got an array"},
           {"{\"peer\": {}}", "missing \"dut\""},
           {R"({"dut": {"ip": "192.0.2.300", "mac": "x"}})", "dut.ip: not a dotted-quad"},
           {"{\"dut\": 1", "not valid JSON: line 1 column 10"}}) {
    absl::StatusOr<Description> e = ParseDescription(bad, "y.json");
    ASSERT_FALSE(e.ok()) << bad;
    EXPECT_THAT(std::string(e.status().message()), HasSubstr("y.json: ")) << bad;
    EXPECT_THAT(std::string(e.status().message()), HasSubstr(want)) << bad;
    EXPECT_THAT(std::string(e.status().message()), Not(HasSubstr("\n")));
  }
}

TEST(DescriptionTest, RefusesUnknownCallsAndBadDeviations) {
  std::string text = kDescription;
  text.replace(text.find("\"recv\""), 6, "\"ioctl\"");
  EXPECT_THAT(std::string(ParseDescription(text, "z.json").status().message()),
              HasSubstr("calls[1].call: unknown call \"ioctl\""));
  text = kDescription;
  text.replace(text.find("\"because\""), 9, "\"\"");
  EXPECT_THAT(std::string(ParseDescription(text, "z.json").status().message()),
              HasSubstr("deviations[0].why: must say why"));
}

TEST(DescriptionTest, LivesBesideTheCapture) {
  EXPECT_EQ(DescriptionPathFor("pcaps/linux/a.pcap"), "pcaps/linux/a.json");
  EXPECT_EQ(DescriptionPathFor("b.pcapng"), "b.json");
  EXPECT_EQ(DescriptionPathFor("c"), "c.json");
  EXPECT_THAT(std::string(LoadDescription("/nonexistent/q.json").status().message()),
              HasSubstr("/nonexistent/q.json: cannot open"));
}

// --- re-basing ----------------------------------------------------------------------------------

TEST(RebaserTest, MovesAckAndSackFromLinuxIsnToTaptcps) {
  Rebaser r;
  r.OnPeer(Decode(Frame(true, wire::kSyn, 100, 0)));
  r.OnDut(Side::kLinux, Decode(Frame(false, wire::kSyn | wire::kAck, 1000, 101)), Duration{0});
  r.OnDut(Side::kTaptcp, Decode(Frame(false, wire::kSyn | wire::kAck, 0xFFFFFF00, 101)),
          Duration{0});
  wire::TcpOptions o;
  o.sack_count = 1;
  o.sack[0] = {1201, 1301};
  std::vector<uint8_t> f = Frame(true, wire::kAck, 101, 1101, o);
  EXPECT_EQ(r.RebasePeerFrame(f, Decode(f), Duration{0}), "ack, sack");
  const TcpPacket p = Decode(f);        // the checksum was fixed: Decode verifies it
  EXPECT_EQ(p.ack, 0xFFFFFF00u + 101);  // wraps like sequence numbers do
  ASSERT_EQ(p.options.sack_count, 1);
  EXPECT_EQ(p.options.sack[0].left, 0xFFFFFF00u + 201);
  EXPECT_EQ(p.options.sack[0].right, 0xFFFFFF00u + 301);
  EXPECT_EQ(p.seq, 101u);  // the peer's own numbers stay
}

TEST(RebaserTest, MapsTsEcrToTaptcpsTsvalSentAtTheSameMoment) {
  Rebaser r;
  const auto ms = [](int n) { return Duration(std::chrono::milliseconds(n)); };
  r.OnDut(Side::kLinux, Decode(Frame(false, wire::kSyn | wire::kAck, 1, 1, Ts(100, 7))), ms(0));
  r.OnDut(Side::kLinux, Decode(Frame(false, wire::kAck, 2, 1, Ts(150, 7))), ms(50));
  r.OnDut(Side::kLinux, Decode(Frame(false, wire::kAck, 2, 1, Ts(300, 7))), ms(200));
  r.OnDut(Side::kTaptcp, Decode(Frame(false, wire::kSyn | wire::kAck, 9, 1, Ts(9000, 7))), ms(0));
  r.OnDut(Side::kTaptcp, Decode(Frame(false, wire::kAck, 10, 1, Ts(9052, 7))), ms(52));
  const ConnKey k{kDutPort, kPeerPort};
  EXPECT_EQ(r.MapEcr(k, 100, ms(60)), 9000u);
  EXPECT_EQ(r.MapEcr(k, 150, ms(60)), 9052u);
  EXPECT_EQ(r.MapEcr(k, 151, ms(60)), 9053u);  // nearest Linux TSval, shifted alike
  // Causality: Linux's segment at 200 ms cannot be what a peer segment at 60 ms echoes.
  EXPECT_EQ(r.MapEcr(k, 300, ms(60)), 9052u + 150);
  EXPECT_EQ(r.MapEcr(ConnKey{1, 2}, 100, ms(60)), std::nullopt);

  std::vector<uint8_t> f = Frame(true, wire::kAck, 2, 2, Ts(555, 150));
  EXPECT_EQ(r.RebasePeerFrame(f, Decode(f), ms(60)), "ack, tsecr");
  EXPECT_EQ(Decode(f).options.timestamp->second, 9052u);
  EXPECT_EQ(Decode(f).options.timestamp->first, 555u);
}

TEST(RebaserTest, LeavesFramesAloneWithoutBothBases) {
  Rebaser r;
  r.OnDut(Side::kLinux, Decode(Frame(false, wire::kSyn | wire::kAck, 1000, 101)), Duration{0});
  std::vector<uint8_t> f = Frame(true, wire::kAck, 101, 1001, Ts(5, 0));
  const std::vector<uint8_t> before = f;
  EXPECT_EQ(r.RebasePeerFrame(f, Decode(f), Duration{0}), "");
  EXPECT_EQ(f, before);
}

TEST(RebaserTest, SynInsideTheConnectionKeepsThePeerIsn) {
  Rebaser r;
  r.OnPeer(Decode(Frame(true, wire::kSyn, 100, 0)));
  r.OnPeer(Decode(Frame(true, wire::kSyn, 600, 0)));  // RFC 5961 §4 probe
  EXPECT_EQ(r.peer_isn(ConnKey{kDutPort, kPeerPort}), 100u);
}

// --- comparison and alignment -------------------------------------------------------------------

RelPacket Rel(uint8_t flags, uint32_t seq, uint32_t ack, int ms, uint32_t len = 0) {
  RelPacket p;
  p.t = std::chrono::milliseconds(ms);
  p.conn = {kDutPort, kPeerPort};
  p.flags = flags;
  p.seq = seq;
  p.seq_relative = p.ack_relative = true;
  p.ack = ack;
  p.payload = len;
  p.window = 64;
  return p;
}

TEST(CompareTest, ReportsEachFieldThatDiffers) {
  const CompareOptions o;
  RelPacket a = Rel(wire::kAck, 1, 101, 0), b = a;
  EXPECT_THAT(Differences(a, b, o), ::testing::IsEmpty());
  b.flags = wire::kAck | wire::kFin;
  b.ack = 102;
  b.payload = 3;
  b.t += std::chrono::milliseconds(40);
  b.option_kinds = {8};
  b.ts_ecr = 5;
  EXPECT_THAT(Differences(a, b, o),
              ::testing::ElementsAre("flags . vs F.", "ack 101 vs 102", "len 0 vs 3",
                                     "option kinds [] vs [8]", "time +40.0 ms"));
  b = a;
  b.t += std::chrono::milliseconds(10);  // exactly the tolerance: still on time
  EXPECT_THAT(Differences(a, b, o), ::testing::IsEmpty());
  a.sack = {{201, 301}};
  a.mss = 1460;
  b.mss = 1448;
  EXPECT_THAT(Differences(a, b, o),
              ::testing::ElementsAre("mss 1460 vs 1448", "sack 201:301 vs none"));
}

TEST(CompareTest, WindowsOnlyWhereTheDescriptionSays) {
  RelPacket a = Rel(wire::kAck, 1, 1, 0), b = a;
  b.window = 128;
  RelPacket sa = Rel(wire::kSyn | wire::kAck, 0, 1, 0), sb = sa;
  sb.window = 64240;
  CompareOptions o;
  o.window = WindowCompare::kSyn;
  EXPECT_THAT(Differences(a, b, o), ::testing::IsEmpty());
  EXPECT_THAT(Differences(sa, sb, o), ::testing::ElementsAre("win 64 vs 64240"));
  o.window = WindowCompare::kAll;
  EXPECT_THAT(Differences(a, b, o), ::testing::ElementsAre("win 64 vs 128"));
  o.window = WindowCompare::kNone;
  EXPECT_THAT(Differences(sa, sb, o), ::testing::IsEmpty());
}

TEST(CompareTest, AlignPairsRetransmissionsNearestInTime) {
  const uint8_t pa = wire::kPsh | wire::kAck;
  // Linux retransmits at 0.2, 0.6, 1.4 s; taptcp once, at 1.3 s.
  const std::vector<RelPacket> linux_p = {Rel(pa, 1, 1, 0, 100), Rel(pa, 1, 1, 200, 100),
                                          Rel(pa, 1, 1, 600, 100), Rel(pa, 1, 1, 1400, 100)};
  const std::vector<RelPacket> taptcp_p = {Rel(pa, 1, 1, 0, 100), Rel(pa, 1, 1, 1300, 100)};
  const std::vector<Pairing> a = Align(linux_p, taptcp_p, CompareOptions{});
  ASSERT_EQ(a.size(), 4u);
  EXPECT_EQ(a[0].linux_index, 0);
  EXPECT_EQ(a[0].taptcp_index, 0);
  EXPECT_EQ(a[1].taptcp_index, -1);
  EXPECT_EQ(a[2].taptcp_index, -1);
  EXPECT_EQ(a[3].linux_index, 3);
  EXPECT_EQ(a[3].taptcp_index, 1);
}

TEST(CompareTest, AlignKeepsOrderWithMissingAndExtra) {
  const std::vector<RelPacket> linux_p = {Rel(wire::kAck, 1, 101, 0), Rel(wire::kAck, 1, 201, 50)};
  const std::vector<RelPacket> taptcp_p = {Rel(wire::kAck, 1, 101, 0), Rel(wire::kRst, 1, 0, 2000)};
  const std::vector<Pairing> a = Align(linux_p, taptcp_p, CompareOptions{});
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[1].linux_index, 1);
  EXPECT_EQ(a[1].taptcp_index, -1);  // missing: an RST 2 s later is no stand-in
  EXPECT_EQ(a[2].linux_index, -1);
  EXPECT_EQ(a[2].taptcp_index, 1);  // extra
}

// --- whole replays ------------------------------------------------------------------------------

// Records a passive open with data both ways, with a taptcp Stack (seed 77) where Linux would be:
// the peer's segments are written against that stack's ISN and TSvals, so the replay (seed 1,
// other ISN and TS offset) has to re-base them to match.
struct Recording {
  Description d;
  std::vector<std::pair<Duration, std::vector<uint8_t>>> frames;
  std::vector<int> dut_frames;  // indexes of the DUT's frames in `frames`
};

AppCall MakeCall(const char* sock, const char* call) {
  AppCall c;
  c.sock = sock;
  c.call = call;
  return c;
}

Recording RecordTaptcpAsLinux() {
  Recording r;
  r.d.path = "self.json";
  r.d.name = "self";
  r.d.dut_ip = kDutIp;
  r.d.dut_mac = kDutMac;
  r.d.peer_ip = kPeerIp;
  r.d.peer_mac = kPeerMac;
  r.d.end = std::chrono::milliseconds(100);
  const Instant base = kEpoch + std::chrono::hours(2);
  taptcp::testing::RecordingLink link;
  StackConfig config;
  config.mac = kDutMac;
  config.addr = kDutIp;
  Stack stack(config, &link, base - std::chrono::seconds(1), 77);
  stack.interface().arp().Learn(kPeerIp, kPeerMac, true, true);
  AppCalls app(stack.sockets(), kDutIp);
  const auto at = [&](int ms) { return base + std::chrono::milliseconds(ms); };
  const auto take = [&] {
    for (taptcp::testing::SentFrame& f : link.frames) {
      r.dut_frames.push_back(static_cast<int>(r.frames.size()));
      r.frames.emplace_back(f.at - base, std::move(f.bytes));
    }
    link.frames.clear();
  };
  const auto call = [&](int ms, AppCall c) {
    stack.Advance(at(ms));
    c.t = std::chrono::milliseconds(ms);
    c.result = app.Run(c);
    r.d.calls.push_back(c);
    take();
  };
  const auto peer = [&](int ms, std::vector<uint8_t> f) {
    stack.Advance(at(ms));
    r.frames.emplace_back(std::chrono::milliseconds(ms), f);
    stack.Input(f, at(ms));
    take();
  };
  AppCall c = MakeCall("l", "socket");
  call(-10, c);
  c = MakeCall("l", "bind");
  c.port = kDutPort;
  call(-10, c);
  c = MakeCall("l", "listen");
  c.backlog = 8;
  call(-10, c);
  wire::TcpOptions syn = Ts(500, 0);
  syn.mss = 1460;
  syn.sack_permitted = true;
  syn.window_scale = 7;
  peer(0, Frame(true, wire::kSyn, 1000, 0, syn));
  const TcpPacket synack = Decode(r.frames.back().second);
  const uint32_t isn = synack.seq;
  peer(5, Frame(true, wire::kAck, 1001, isn + 1, Ts(505, synack.options.timestamp->first)));
  c = MakeCall("l", "accept");
  c.as = "c";
  call(10, c);
  peer(30, Frame(true, wire::kAck | wire::kPsh, 1001, isn + 1,
                 Ts(530, synack.options.timestamp->first), 100));
  c = MakeCall("c", "recv");
  c.bytes = 4096;
  call(50, c);
  c = MakeCall("c", "send");
  c.bytes = 200;
  call(50, c);
  const TcpPacket data = Decode(r.frames.back().second);
  peer(55, Frame(true, wire::kAck, 1101, isn + 201, Ts(555, data.options.timestamp->first)));
  stack.Advance(at(100));
  take();
  return r;
}

// The index in `frames` of the DUT's segment with these flags and payload.
int FindDut(const Recording& r, uint8_t flags, uint32_t payload) {
  for (int i : r.dut_frames) {
    const TcpPacket p = Decode(r.frames[i].second);
    if (p.flags == flags && p.payload == payload) return i;
  }
  return -1;
}

TEST(ReplayTest, TaptcpReplayedAgainstItselfPasses) {
  Recording r = RecordTaptcpAsLinux();
  ASSERT_EQ(r.dut_frames.size(), 3u);  // SYN-ACK, ACK of the data, the reply
  absl::StatusOr<ReplayOutcome> out = Replay(r.d, ClassifyFrames(r.frames, r.d), ReplayOptions{});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_TRUE(out->passed()) << FormatTable(out->rows);
  EXPECT_EQ(out->summary.ok, 3);
  EXPECT_EQ(out->summary.played, 4);
  EXPECT_EQ(out->summary.app_ok, 6);
  // The replay's stack has other ISNs: every peer segment after the SYN was re-based.
  int rebased = 0;
  for (const Row& row : out->rows) rebased += row.detail.find("ack") != std::string::npos;
  EXPECT_EQ(rebased, 3);
}

TEST(ReplayTest, DoctoredCaptureFailsWithTheExpectedRow) {
  Recording r = RecordTaptcpAsLinux();
  const int i = FindDut(r, wire::kAck, 0);
  ASSERT_GE(i, 0);
  // "Linux" acknowledged one byte more than it received.
  std::vector<uint8_t>& f = r.frames[i].second;
  wire::Store32(&f[wire::kEthernetHeaderSize + wire::kIpv4MinHeaderSize + 8], 1102);
  absl::StatusOr<ReplayOutcome> out = Replay(r.d, ClassifyFrames(r.frames, r.d), ReplayOptions{});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_FALSE(out->passed());
  EXPECT_EQ(out->summary.differs, 1);
  const std::string table = FormatTable(out->rows);
  std::string row;
  for (size_t pos = 0; pos < table.size();) {
    const size_t nl = table.find('\n', pos);
    const std::string line = table.substr(pos, nl - pos);
    if (line.find("DIFF") != std::string::npos) row = line;
    pos = nl + 1;
  }
  // Frame number, Linux's segment, taptcp's, and the verdict naming the field.
  EXPECT_THAT(row,
              ::testing::StartsWith(absl::StrCat("    ", i + 1, "    0.030000  . 1 ack 102 ")));
  EXPECT_THAT(row, HasSubstr("0.030000  . 1 ack 101 "));
  EXPECT_THAT(row, ::testing::EndsWith("DIFF: ack 102 vs 101"));
}

TEST(ReplayTest, ListedDeviationExplainsTheDifference) {
  Recording r = RecordTaptcpAsLinux();
  const int i = FindDut(r, wire::kAck, 0);
  wire::Store32(&r.frames[i].second[wire::kEthernetHeaderSize + wire::kIpv4MinHeaderSize + 8],
                1102);
  r.d.deviations[i + 1] = "taptcp acknowledges only what arrived";
  absl::StatusOr<ReplayOutcome> out = Replay(r.d, ClassifyFrames(r.frames, r.d), ReplayOptions{});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_TRUE(out->passed()) << FormatTable(out->rows);
  EXPECT_EQ(out->summary.deviations, 1);
  EXPECT_THAT(FormatTable(out->rows),
              HasSubstr("deviation: taptcp acknowledges only what arrived [ack 102 vs 101]"));
}

TEST(ReplayTest, MissingAndExtraSegmentsFail) {
  Recording r = RecordTaptcpAsLinux();
  // Without "Linux's" ACK of the data, taptcp's ACK is extra; with a second reply it is missing.
  const int ack = FindDut(r, wire::kAck, 0);
  Recording dup = r;
  r.frames.erase(r.frames.begin() + ack);
  absl::StatusOr<ReplayOutcome> out = Replay(r.d, ClassifyFrames(r.frames, r.d), ReplayOptions{});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->summary.extra, 1);
  const int reply = FindDut(dup, wire::kAck | wire::kPsh, 200);
  dup.frames.insert(dup.frames.begin() + reply + 1, dup.frames[reply]);
  dup.frames[reply + 1].first += std::chrono::milliseconds(20);
  out = Replay(dup.d, ClassifyFrames(dup.frames, dup.d), ReplayOptions{});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->summary.missing, 1);
  EXPECT_FALSE(out->passed());
}

TEST(ReplayTest, AppResultsAreCompared) {
  Recording r = RecordTaptcpAsLinux();
  for (AppCall& c : r.d.calls) {
    if (c.call == "recv") c.result = "99";
  }
  absl::StatusOr<ReplayOutcome> out = Replay(r.d, ClassifyFrames(r.frames, r.d), ReplayOptions{});
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out->summary.app_differs, 1);
  EXPECT_THAT(FormatTable(out->rows), HasSubstr("DIFF: result 99 vs 100"));
}

TEST(ReplayTest, SysctlTaptcpRefusesIsAnError) {
  Recording r = RecordTaptcpAsLinux();
  r.d.sysctls = {{"net.ipv4.tcp_congestion_control", "bbr"}};
  absl::StatusOr<ReplayOutcome> out = Replay(r.d, ClassifyFrames(r.frames, r.d), ReplayOptions{});
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(std::string(out.status().message()),
              HasSubstr("self.json: sysctl net.ipv4.tcp_congestion_control"));
}

// --- hostile files ------------------------------------------------------------------------------

class HostileFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/replay_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    for (const std::string& f : files_) std::remove(f.c_str());
    rmdir(dir_.c_str());
  }
  std::string Write(const std::string& name, const std::string& bytes) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << bytes;
    files_.push_back(path);
    return path;
  }
  static std::string PcapHeader(uint32_t linktype) {
    std::string h(24, '\0');
    const uint32_t words[] = {0xA1B2C3D4, 0x00040002, 0, 0, 262144, linktype};
    std::memcpy(h.data(), words, sizeof(words));
    return h;
  }
  static std::string Record(const std::vector<uint8_t>& frame, uint32_t caplen) {
    std::string r(16, '\0');
    const uint32_t words[] = {1000, 0, caplen, static_cast<uint32_t>(frame.size())};
    std::memcpy(r.data(), words, sizeof(words));
    return r + std::string(frame.begin(), frame.end());
  }
  static void ExpectOneLineError(const absl::StatusOr<ReplayOutcome>& out, const std::string& path,
                                 const std::string& what) {
    ASSERT_FALSE(out.ok());
    const std::string message(out.status().message());
    EXPECT_THAT(message, HasSubstr(path));
    EXPECT_THAT(message, HasSubstr(what));
    EXPECT_THAT(message, Not(HasSubstr("\n")));
  }

  std::string dir_;
  std::vector<std::string> files_;
};

TEST_F(HostileFilesTest, TruncatedCapture) {
  const std::vector<uint8_t> f = Frame(true, wire::kSyn, 1, 0);
  std::string pcap = PcapHeader(1) + Record(f, static_cast<uint32_t>(f.size()));
  const std::string path = Write("t.pcap", pcap.substr(0, pcap.size() - 10));
  Write("t.json", kDescription);
  ExpectOneLineError(ReplayCapture(path, {}), path, "truncated");
}

TEST_F(HostileFilesTest, NonEthernetCapture) {
  const std::string path = Write("raw.pcap", PcapHeader(101));
  Write("raw.json", kDescription);
  ExpectOneLineError(ReplayCapture(path, {}), path, "Ethernet captures only");
}

TEST_F(HostileFilesTest, MissingOrMalformedDescription) {
  const std::vector<uint8_t> f = Frame(true, wire::kSyn, 1, 0);
  const std::string path =
      Write("m.pcap", PcapHeader(1) + Record(f, static_cast<uint32_t>(f.size())));
  ExpectOneLineError(ReplayCapture(path, {}), dir_ + "/m.json", "cannot open the description");
  Write("m.json", "{\"dut\": ");
  ExpectOneLineError(ReplayCapture(path, {}), dir_ + "/m.json", "not valid JSON: line 1");
}

TEST_F(HostileFilesTest, GarbageFramesAreNotesNotCrashes) {
  std::string pcap = PcapHeader(1);
  const std::vector<uint8_t> junk(7, 0xFF);
  std::vector<uint8_t> bad_ip = Frame(true, wire::kSyn, 1, 0);
  bad_ip[wire::kEthernetHeaderSize + 10] ^= 0xFF;  // IPv4 header checksum
  for (const std::vector<uint8_t>& f : {junk, bad_ip, Frame(true, wire::kSyn, 1, 0)}) {
    pcap += Record(f, static_cast<uint32_t>(f.size()));
  }
  const std::string path = Write("g.pcap", pcap);
  Write("g.json", kDescription);
  absl::StatusOr<ReplayOutcome> out = ReplayCapture(path, {});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->summary.played, 1);
}

}  // namespace
}  // namespace taptcp::replay
