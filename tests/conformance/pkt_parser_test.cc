// The packetdrill-dialect lexer, parser and header flags: what they accept (packetdrill's grammar,
// gtests/net/packetdrill/parser.y) and the line:col of what they reject.
#include <gtest/gtest.h>

#include <string>

#include "conformance/pkt/config.h"
#include "conformance/pkt/lexer.h"
#include "conformance/pkt/packet.h"
#include "conformance/pkt/parser.h"
#include "conformance/pkt/tcp_options.h"

namespace taptcp::pkt {
namespace {

std::string ParseError(const std::string& script) {
  absl::StatusOr<Script> s = ParseScript(script);
  return s.ok() ? "ok" : std::string(s.status().message());
}

TEST(PktLexer, CutsTokensLikePacketdrillsFlexScanner) {
  absl::StatusOr<std::vector<Token>> t =
      Lex("+0.1 < S. 1:1001(1000) ack 0x10 win -1 ... 192.0.2.1 --mss=1000 `x` \"y\" // c\n");
  ASSERT_TRUE(t.ok()) << t.status();
  std::vector<std::pair<TokenKind, std::string>> want = {
      {TokenKind::kPunct, "+"},      {TokenKind::kFloat, "0.1"},      {TokenKind::kPunct, "<"},
      {TokenKind::kWord, "S"},       {TokenKind::kPunct, "."},        {TokenKind::kInteger, "1"},
      {TokenKind::kPunct, ":"},      {TokenKind::kInteger, "1001"},   {TokenKind::kPunct, "("},
      {TokenKind::kInteger, "1000"}, {TokenKind::kPunct, ")"},        {TokenKind::kWord, "ack"},
      {TokenKind::kHex, "0x10"},     {TokenKind::kWord, "win"},       {TokenKind::kInteger, "-1"},
      {TokenKind::kEllipsis, "..."}, {TokenKind::kIpv4, "192.0.2.1"}, {TokenKind::kOption, "mss"},
      {TokenKind::kPunct, "="},      {TokenKind::kInteger, "1000"},   {TokenKind::kBackquoted, "x"},
      {TokenKind::kString, "y"},     {TokenKind::kEnd, ""},
  };
  ASSERT_EQ(t->size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ((*t)[i].kind, want[i].first) << i;
    EXPECT_EQ((*t)[i].text, want[i].second) << i;
  }
  EXPECT_EQ((*t)[12].integer, 16);
  EXPECT_EQ((*t)[14].integer, -1);
}

TEST(PktLexer, EllipsisBetweenTimes) {
  absl::StatusOr<std::vector<Token>> t = Lex("0.100...0.200 0...1");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ((*t)[0].kind, TokenKind::kFloat);
  EXPECT_EQ((*t)[1].kind, TokenKind::kEllipsis);
  EXPECT_EQ((*t)[2].text, "0.200");
  EXPECT_EQ((*t)[3].kind, TokenKind::kInteger);
  EXPECT_EQ((*t)[4].kind, TokenKind::kEllipsis);
}

TEST(PktLexer, ErrorsNameLineAndColumn) {
  EXPECT_EQ(std::string(Lex("0 socket()\n  \"abc").status().message()), "2:3: unterminated string");
  EXPECT_EQ(std::string(Lex("\n\n /* x").status().message()), "3:2: unterminated /* comment");
  EXPECT_EQ(std::string(Lex("0 x(99999999999999999999)").status().message()),
            "1:5: number 99999999999999999999 does not fit 64 bits");
  EXPECT_EQ(std::string(Lex(std::string(kMaxScriptBytes + 1, ' ')).status().message()),
            "1:1: script is larger than 1048576 bytes");
}

TEST(PktParser, ParsesEventsTimesPacketsCallsAndCommands) {
  absl::StatusOr<Script> s = ParseScript(R"(--tolerance_usecs=10000
`sysctl -q net.ipv4.tcp_sack=1`
0   socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0.5 setsockopt(3, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0
0.1...0.2 connect(3, ..., ...) = -1 ECONNREFUSED (Connection refused)
*   > S 0:0(0) win 64240 <mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7>
1~2 > R. 0:0(0) ack 1
+1~+2 > . 1:1(0) ack 1 <...>
+.1 < P. 1:101(100) ack 1 win 257 <nop,nop,sack 1:2 3:4>
2   `sysctl -q net.ipv4.tcp_sack=0`
+0  poll([{fd=3, events=POLLIN|POLLOUT, revents=POLLOUT}], 1, 0) = 1
`true`
)");
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->options.size(), 1u);
  EXPECT_EQ(s->options[0].name, "tolerance_usecs");
  EXPECT_EQ(*s->options[0].value, "10000");
  ASSERT_TRUE(s->init_command.has_value());
  ASSERT_TRUE(s->cleanup_command.has_value());
  EXPECT_EQ(s->cleanup_command->command_line, "true");
  ASSERT_EQ(s->events.size(), 9u);

  EXPECT_EQ(s->events[1].time.type, TimeType::kRelative);
  EXPECT_EQ(s->events[1].time.usecs, 500000);
  const auto& connect = std::get<SyscallSpec>(s->events[2].action);
  EXPECT_EQ(*connect.end_usecs, 200000);
  EXPECT_EQ(connect.result.integer, -1);
  EXPECT_EQ(*connect.errno_name, "ECONNREFUSED");
  EXPECT_EQ(connect.note, "Connection refused");

  const auto& syn = std::get<PacketSpec>(s->events[3].action);
  EXPECT_EQ(s->events[3].time.type, TimeType::kAny);
  EXPECT_EQ(syn.direction, Direction::kOutbound);
  EXPECT_EQ(syn.flag_bits, 0x02);
  EXPECT_EQ(syn.window, 64240);
  EXPECT_EQ(
      EncodeOptions(syn.options),
      (std::vector<uint8_t>{2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7}));
  EXPECT_EQ(s->events[4].time.type, TimeType::kAbsoluteRange);
  EXPECT_EQ(s->events[4].time.end_usecs, 2000000);
  EXPECT_EQ(std::get<PacketSpec>(s->events[4].action).flag_bits, 0x14);
  EXPECT_EQ(s->events[5].time.type, TimeType::kRelativeRange);
  EXPECT_TRUE(std::get<PacketSpec>(s->events[5].action).options_wildcard);
  EXPECT_EQ(std::get<PacketSpec>(s->events[5].action).window, -1);

  const auto& data = std::get<PacketSpec>(s->events[6].action);
  EXPECT_EQ(data.start_seq, 1u);
  EXPECT_EQ(data.payload_len, 100);
  EXPECT_EQ(data.flag_bits, 0x18);
  EXPECT_EQ(FormatSpec(data), "P. 1:101(100) ack 1 win 257 <nop,nop,sack 1:2 3:4>");

  EXPECT_EQ(std::get<CommandSpec>(s->events[7].action).command_line,
            "sysctl -q net.ipv4.tcp_sack=0");
  // events=POLLIN|POLLOUT is events=(POLLIN|POLLOUT), as parser.y's precedence has it.
  const Expr& pollfd = std::get<SyscallSpec>(s->events[8].action).args[0].items[0];
  ASSERT_EQ(pollfd.kind, Expr::Kind::kBraced);
  ASSERT_EQ(pollfd.items.size(), 3u);
  EXPECT_EQ(pollfd.items[1].text, "=");
  EXPECT_EQ(pollfd.items[1].items[1].text, "|");
}

TEST(PktParser, FlagLettersAndFastOpenOptions) {
  absl::StatusOr<Script> s = ParseScript(
      "0 < SEW 0:0(0) win 1 <FO 0102030405060708,nop,nop>\n"
      "+0 > - 0:0(0) <FOEXP>\n"
      "+0 > FPU. 1:1(0) ack 1 urg 3 <md5 00112233445566778899aabbccddeeff,nop,nop>\n");
  ASSERT_TRUE(s.ok()) << s.status();
  const auto& a = std::get<PacketSpec>(s->events[0].action);
  EXPECT_EQ(a.flag_bits, 0x02 | 0x40 | 0x80);
  EXPECT_EQ(FormatOptions(a.options), "FO 0102030405060708,nop,nop");
  EXPECT_EQ(std::get<PacketSpec>(s->events[1].action).flag_bits, 0);
  EXPECT_EQ(EncodeOptions(std::get<PacketSpec>(s->events[1].action).options),
            (std::vector<uint8_t>{254, 4, 0xf9, 0x89}));
  EXPECT_EQ(std::get<PacketSpec>(s->events[2].action).flag_bits, 0x01 | 0x08 | 0x10 | 0x20);
  EXPECT_EQ(std::get<PacketSpec>(s->events[2].action).urg_ptr, 3);
}

// SPORT>DPORT after the direction (and ip info), as in packetdrill's grammar; taptcp reads it as
// the connection the line is about (README.md "Several connections"), so 0 is not a port.
TEST(PktParser, PortsNameTheConnection) {
  absl::StatusOr<Script> s = ParseScript(
      "0 < 1001>8080 S 0:0(0) win 1\n"
      "+0 > [noecn] 8080>1001 S. 0:0(0) ack 1\n"
      "+0 > S. 0:0(0) ack 1\n");
  ASSERT_TRUE(s.ok()) << s.status();
  const auto& in = std::get<PacketSpec>(s->events[0].action);
  EXPECT_EQ(in.src_port, 1001);
  EXPECT_EQ(in.dst_port, 8080);
  EXPECT_EQ(in.flag_bits, 0x02);
  const auto& out = std::get<PacketSpec>(s->events[1].action);
  EXPECT_EQ(out.ip.tos_check, IpInfo::TosCheck::kEcn);
  EXPECT_EQ(out.src_port, 8080);
  EXPECT_EQ(out.dst_port, 1001);
  EXPECT_EQ(out.flag_bits, 0x12);
  EXPECT_EQ(std::get<PacketSpec>(s->events[2].action).src_port, 0);  // the socket under test's
  EXPECT_EQ(ParseError("0 < 0>8080 S 0:0(0) win 1\n"), "1:5: src port 0 out of range 1..65535");
  EXPECT_EQ(ParseError("0 < 1001>70000 S 0:0(0) win 1\n"),
            "1:10: dst port 70000 out of range 1..65535");
  EXPECT_EQ(ParseError("0 < 1001> S 0:0(0) win 1\n"),
            "1:11: syntax error: unexpected 'S', expected an integer (dst port)");
}

TEST(PktParser, SyntaxErrorsNameLineAndColumn) {
  EXPECT_EQ(ParseError("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 < S 0:0(0) win 1 <mss>\n"),
            "2:25: syntax error: unexpected '>', expected an integer (mss value)");
  EXPECT_EQ(ParseError("0 < S 0:0(0) win 1 <frob 1>\n"),
            "1:21: syntax error: unknown TCP option 'frob'");
  EXPECT_EQ(ParseError("0 < S 0:0(0)\n"), "1:3: window must be specified for inbound packets");
  EXPECT_EQ(ParseError("0 < S 0:0(0) win 1 <mss 1000,nop>\n"),
            "1:20: TCP options are not padded correctly to ensure TCP header is a multiple of 4 "
            "bytes: 1 excess bytes");
  EXPECT_EQ(ParseError("0 < S 1:3(1) win 1\n"),
            "1:7: inconsistent TCP sequence numbers and payload size");
  EXPECT_EQ(ParseError("0 < S 0:0(0) win 70000\n"),
            "1:18: TCP window value 70000 out of range 0..65535");
  EXPECT_EQ(ParseError("* < S 0:0(0) win 1\n"),
            "1:1: event time <star> can only be used with outbound packets");
  EXPECT_EQ(ParseError("2~1 > S 0:0(0)\n"), "1:1: time range is backwards");
  EXPECT_EQ(ParseError("0 < Q 0:0(0) win 1\n"), "1:5: Invalid TCP flag: 'Q'");
  EXPECT_EQ(ParseError("0 > S 0:0(0) <FO 123>\n"),
            "1:18: TCP fast open cookie has an odd number of digits");
  EXPECT_EQ(ParseError("0 < S 0:0(0) win 1 <...>\n"),
            "1:20: <...> for TCP options can only be used with outbound packets");
  EXPECT_EQ(ParseError("0 read(3, ..., 1\n"),
            "2:1: syntax error: unexpected end of script, expected ')'");
  EXPECT_EQ(ParseError("// nothing\n"), "2:1: syntax error: the script has no events");
  EXPECT_EQ(ParseError("0 %{ print(1) }%\n"), "1:3: unsupported: %{ python code }% snippets");
  EXPECT_EQ(ParseError("-1 close(3) = 0\n"), "1:1: negative time");
  EXPECT_EQ(ParseError("0 < udp(10)\n"), "1:5: unsupported: udp packets (taptcp scripts are TCP)");
}

TEST(PktParser, NestingIsBounded) {
  std::string deep = "0 f(" + std::string(100, '[') + "1" + std::string(100, ']') + ") = 0\n";
  EXPECT_EQ(ParseError(deep), "1:38: expression nested too deeply");
  std::string ok = "0 f(" + std::string(20, '[') + "1" + std::string(20, ']') + ") = 0\n";
  EXPECT_EQ(ParseError(ok), "ok");
}

TEST(PktConfig, FlagsAreCheckedAndUnknownOnesRejected) {
  absl::StatusOr<Script> s = ParseScript(
      "--tolerance_usecs=10000\n--local_ip=10.0.0.1\n--remote_ip=10.0.0.2\n--mss=1000\n"
      "--tcp_ts_ecr_scaled\n0 close(3) = 0\n");
  ASSERT_TRUE(s.ok());
  absl::StatusOr<Config> c = ConfigFromOptions(s->options);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->tolerance_usecs, 10000);
  EXPECT_EQ(c->local_ip.ToString(), "10.0.0.1");
  EXPECT_EQ(c->mss, 1000);
  EXPECT_TRUE(c->tcp_ts_ecr_scaled);

  auto error = [](const std::string& script) {
    absl::StatusOr<Script> s = ParseScript(script);
    return std::string(ConfigFromOptions(s->options).status().message());
  };
  EXPECT_EQ(error("--frobnicate=1\n0 close(3) = 0\n").substr(0, 30),
            "1:1: unknown flag --frobnicate");
  EXPECT_EQ(error("\n--wire_client\n0 close(3) = 0\n"),
            "2:1: unsupported flag --wire_client (taptcp pkt runs the stack in process, in "
            "virtual time)");
  EXPECT_EQ(error("--local_ip=300.1.1.1\n0 close(3) = 0\n"),
            "1:1: bad --local_ip: '300.1.1.1' (a unicast IPv4 address)");
  EXPECT_EQ(error("--mss\n0 close(3) = 0\n"), "1:1: --mss needs a value: --mss=VALUE");
}

}  // namespace
}  // namespace taptcp::pkt
