// Whole scripts run against taptcp in virtual time: what passes, and the message of each failure
// (the line, what was expected and what the stack did).
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "conformance/pkt/runner.h"

namespace taptcp::pkt {
namespace {

// A passive open with a 100 ms handshake, the accepted socket as fd 4.
constexpr char kServer[] = R"(0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 65535 <mss 1000,sackOK,nop,nop,nop,wscale 7>
+0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 7>
+.1 < . 1:1(0) ack 1 win 512
+0 accept(3, ..., ...) = 4
)";

RunResult RunPkt(const std::string& script, RunOptions options = {}) {
  return RunScript("t.pkt", script, options);
}

// The first line of a failure, which is what packetdrill users read first.
std::string FirstLine(const RunResult& r) { return r.error.substr(0, r.error.find('\n')); }

::testing::AssertionResult StartsWith(const std::string& s, const std::string& prefix) {
  if (s.rfind(prefix, 0) == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "\"" << s << "\" does not start with \"" << prefix << "\"";
}

class CountingLink final : public Link {
 public:
  void Transmit(std::span<const uint8_t>, Instant) override { ++frames; }
  int frames = 0;
};

TEST(PktRunner, AHandshakeAndDataPass) {
  CountingLink capture;
  RunOptions options;
  options.capture = &capture;
  RunResult r = RunPkt(std::string(kServer) + R"(+.1 < P. 1:101(100) ack 1 win 512
+0 > . 1:1(0) ack 101
+0 read(4, ..., 1000) = 100
)",
                       options);
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.events, 11u);
  EXPECT_EQ(r.virtual_time, milliseconds(200));
  // Both directions, ARP included: request, reply, SYN, SYN-ACK, ACK, data, ACK.
  EXPECT_EQ(capture.frames, 7);
}

TEST(PktRunner, AWrongFieldNamesItAndShowsBothPackets) {
  RunResult r = RunPkt(std::string(kServer) + R"(+.1 < P. 1:101(100) ack 1 win 512
+0 > . 1:1(0) ack 100
)");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error_line, 10);
  EXPECT_EQ(r.error,
            "t.pkt:10: error: handling packet: live packet field tcp_ack_seq: expected: 100 "
            "(0x64) vs actual: 101 (0x65)\n"
            "     10 | +0 > . 1:1(0) ack 100\n"
            "  expected: 0.200000 > . 1:1(0) ack 100\n"
            "  actual:   0.200000 > . 1:1(0) ack 101 win 1023");
}

TEST(PktRunner, ALateOrEarlyPacketIsATimingError) {
  RunResult r = RunPkt(std::string(kServer) + R"(+.1 < P. 1:101(100) ack 1 win 512
+.04 > . 1:1(0) ack 101
)");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(FirstLine(r),
            "t.pkt:10: error: timing error: expected outbound packet at 0.240000 sec but happened "
            "at 0.200000 sec; tolerance 0.005000 sec");
}

TEST(PktRunner, APacketThatNeverComesSaysSo) {
  RunResult r = RunPkt(std::string(kServer) + "+1 > . 1:1(0) ack 1\n");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(FirstLine(r),
            "t.pkt:9: error: timing error: expected outbound packet at 1.100000 sec but the stack "
            "sent none (and had nothing more to do after 94.208000 sec)");
}

TEST(PktRunner, AWrongResultShowsTheErrno) {
  RunResult r = RunPkt(R"(0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
+0 connect(3, ..., ...) = 0
)");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(FirstLine(r),
            "t.pkt:3: error: runtime error in connect call: Expected result 0 but got -1 with "
            "errno 115 (Operation now in progress)");
}

TEST(PktRunner, BlockingCallsWaitInVirtualTimeAndTheirReturnIsTimed) {
  RunResult r = RunPkt(R"(0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0...0.5 connect(3, ..., ...) = 0
+0 > S 0:0(0) <...>
+.5 < S. 0:0(0) ack 1 win 1000
+0 > . 1:1(0) ack 1
)");
  EXPECT_TRUE(r.ok) << r.error;
  RunResult late = RunPkt(R"(0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0...0.2 connect(3, ..., ...) = 0
+0 > S 0:0(0) <...>
+.5 < S. 0:0(0) ack 1 win 1000
)");
  ASSERT_FALSE(late.ok);
  EXPECT_EQ(FirstLine(late),
            "t.pkt:2: error: timing error: expected system call return at 0.200000 sec but "
            "happened at 0.500000 sec; tolerance 0.025000 sec");
}

TEST(PktRunner, PollWaitsForEventsOrItsTimeout) {
  // Data wakes it before the timeout (a relative `...` end counts from the call's own start).
  RunResult data = RunPkt(std::string(kServer) +
                          R"(+0...0.1 poll([{fd=4, events=POLLIN, revents=POLLIN}], 1, 1000) = 1
+.1 < P. 1:101(100) ack 1 win 512
)");
  EXPECT_TRUE(data.ok) << data.error;
  // Nothing happens: it returns 0 when the timeout runs out, in virtual time.
  RunResult timeout =
      RunPkt(std::string(kServer) + R"(+0...0.5 poll([{fd=4, events=POLLIN, revents=0}], 1, 500) = 0
+.6 < P. 1:101(100) ack 1 win 512
)");
  EXPECT_TRUE(timeout.ok) << timeout.error;
  // Without `...` it holds the script for those 500 ms: a packet due meanwhile is late.
  RunResult held =
      RunPkt(std::string(kServer) + R"(+0 poll([{fd=4, events=POLLIN, revents=0}], 1, 500) = 0
0.2 < P. 1:101(100) ack 1 win 512
)");
  ASSERT_FALSE(held.ok);
  EXPECT_EQ(FirstLine(held),
            "t.pkt:10: error: timing error: expected inbound packet at 0.200000 sec but happened "
            "at 0.600000 sec; tolerance 0.012500 sec");
}

TEST(PktRunner, ABlockingCallNothingCanCompleteIsReported) {
  RunResult r = RunPkt(std::string(kServer) + "+0 read(4, ..., 100) = 100\n");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(FirstLine(r),
            "t.pkt:9: error: runtime error in read call: it blocks and nothing the stack has "
            "scheduled completes it (packetdrill would hang here); give it a `...` end time or "
            "use O_NONBLOCK");
}

TEST(PktRunner, SixtySecondsOfTimeWaitTakeNoTime) {
  const auto start = std::chrono::steady_clock::now();
  RunResult r = RunPkt(std::string(kServer) + R"(+0 close(4) = 0
+0 > F. 1:1(0) ack 1
+0 < F. 1:1(0) ack 2 win 512
+0 > . 2:2(0) ack 2
+70 < . 2:2(0) ack 2 win 512
+0 > R 2:2(0)
)");
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_GE(r.virtual_time, seconds(70));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(PktRunner, SysctlCommandsApplyAndOthersAreRefused) {
  RunResult ok = RunPkt(R"(0 `sysctl -q net.ipv4.tcp_timestamps=0 net.ipv4.tcp_sack=0`
+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK) = 0
+0 connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)
+0 > S 0:0(0) win 64240 <mss 1460,nop,wscale 7>
)");
  EXPECT_TRUE(ok.ok) << ok.error;
  RunResult unknown = RunPkt("0 `sysctl -q net.ipv4.tcp_no_such_knob=1`\n");
  ASSERT_FALSE(unknown.ok);
  EXPECT_TRUE(StartsWith(unknown.error, "t.pkt:1: error: sysctl: "));
  RunResult shell =
      RunPkt("`../common/defaults.sh`\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n");
  ASSERT_FALSE(shell.ok);
  EXPECT_EQ(FirstLine(shell),
            "t.pkt:1: error: unsupported command `../common/defaults.sh` ('../common/defaults.sh' "
            "is not sysctl): taptcp pkt runs only `sysctl -q net.ipv4.NAME=VALUE` (and net.core)");
}

TEST(PktRunner, SyntaxAndFlagErrorsNameLineAndColumn) {
  RunResult r = RunPkt("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 < S 0:0:0(0) win 1\n");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.error,
            "t.pkt:2:11: error: syntax error: unexpected ':', expected '('\n"
            "      2 | +0 < S 0:0:0(0) win 1\n"
            "        |           ^");
  EXPECT_EQ(r.error_line, 2);
  RunResult flag = RunPkt("--tolerance=5\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n");
  EXPECT_TRUE(
      StartsWith(flag.error, "t.pkt:1:1: error: unknown flag --tolerance (taptcp pkt knows: "));
}

TEST(PktRunner, FastOpenIsAnsweredAsLinuxWithoutFastOpen) {
  RunResult r = RunPkt(R"(0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 sendto(3, ..., 1000, MSG_FASTOPEN, ..., ...) = -1 EOPNOTSUPP (Operation not supported)
)");
  EXPECT_TRUE(r.ok) << r.error;
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_TRUE(StartsWith(r.notes[0], "line 2: sendto(MSG_FASTOPEN): taptcp has no TCP Fast Open"));
}

TEST(PktRunner, AnEcrNamingNoOutboundValIsAnError) {
  RunResult r = RunPkt(R"(0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 65535 <mss 1000,sackOK,TS val 1 ecr 0,nop,wscale 7>
+0 > S. 0:0(0) ack 1 <mss 1460,sackOK,TS val 100 ecr 1,nop,wscale 7>
+.1 < . 1:1(0) ack 1 win 512 <nop,nop,TS val 2 ecr 99>
)");
  ASSERT_FALSE(r.ok);
  EXPECT_TRUE(
      StartsWith(r.error,
                 "t.pkt:7: error: handling packet: unable to infer live TS ecr for script TS "
                 "ecr 99; no matching or preceding outbound TS val"));
}

TEST(PktRunner, ScriptTimeRules) {
  EXPECT_TRUE(StartsWith(RunPkt("1 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n").error,
                         "t.pkt:1: error: first event should be at time 0\n"));
  EXPECT_TRUE(StartsWith(
      RunPkt("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n2 close(3) = 0\n1 close(3) = 0\n").error,
      "t.pkt:3: error: time goes backward in script from 2000000 usec to 1000000 usec\n"));
}

TEST(PktRunner, AggregatesASegmentTrainIntoTheScriptsPacket) {
  // packetdrill's default: several segments of one burst match one line (a TSO packet in Linux).
  const std::string script = std::string(kServer) + R"(+0 write(4, ..., 3000) = 3000
+0 > P. 1:3001(3000) ack 1
)";
  EXPECT_TRUE(RunPkt(script).ok);
  RunResult strict = RunPkt("--strict_segments\n" + script);
  ASSERT_FALSE(strict.ok);
  EXPECT_EQ(FirstLine(strict),
            "t.pkt:11: error: handling packet: live packet payload: expected 3000 bytes vs actual "
            "1000 bytes");
}

// Ports name a connection (README.md "Several connections"): each has its own sequence numbers,
// accept() finds it by the peer's port, and lines without ports still mean the socket under test.
constexpr char kListener[] = R"(0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 10) = 0
)";

TEST(PktRunner, PortsNameSeveralConnectionsAtOnce) {
  RunResult r = RunPkt(std::string(kListener) + R"(+0 < 1001>8080 S 0:0(0) win 65535 <mss 1460>
+0 < 1002>8080 S 1000:1000(0) win 65535 <mss 1460>
+0 > 8080>1002 S. 0:0(0) ack 1001 <mss 1460>
+0 > 8080>1001 S. 0:0(0) ack 1 <mss 1460>
+.1 < 1002>8080 . 1:1(0) ack 1 win 65535
+0 < 1001>8080 . 1:1(0) ack 1 win 65535
+0 accept(3, ..., ...) = 4
+0 accept(3, ..., ...) = 5
+0 write(4, ..., 10) = 10
+0 > 8080>1002 P. 1:11(10) ack 1
+0 < S 0:0(0) win 65535 <mss 1460>
+0 > S. 0:0(0) ack 1 <mss 1460>
+0 < . 1:1(0) ack 1 win 65535
+0 accept(3, ..., ...) = 6
+0 write(5, ..., 20) = 20
+0 > 8080>1001 P. 1:21(20) ack 1
)");
  EXPECT_TRUE(r.ok) << r.error;
}

TEST(PktRunner, ANamedConnectionsPacketsWaitForItsOwnLines) {
  // 1001's first SYN-ACK goes out at 0 while the script waits for 1002's retransmission at 1 s:
  // it is kept, and fails 1001's line that expected a packet at 1 s.
  RunResult r = RunPkt(std::string(kListener) + R"(+0 < 1001>8080 S 0:0(0) win 65535 <mss 1460>
+0 < 1002>8080 S 0:0(0) win 65535 <mss 1460>
+0 > 8080>1002 S. 0:0(0) ack 1 <mss 1460>
+1 > 8080>1002 S. 0:0(0) ack 1 <mss 1460>
+0 > 8080>1001 S. 0:0(0) ack 1 <mss 1460>
)");
  ASSERT_FALSE(r.ok);
  EXPECT_TRUE(
      StartsWith(FirstLine(r), "t.pkt:8: error: timing error: expected outbound packet at 1.0"))
      << r.error;
  EXPECT_NE(r.error.find("but happened at 0.000000 sec"), std::string::npos) << r.error;
}

TEST(PktRunner, AConnectionStartsWithAnInboundLine) {
  RunResult r = RunPkt(std::string(kListener) + "+0 > 8080>1001 S. 0:0(0) ack 1\n");
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(FirstLine(r),
            "t.pkt:4: error: no connection 8080>1001: its first packet must be inbound "
            "(< 1001>8080)");
}

TEST(PktRunner, AnUnnamedConnectionTakesAPortNoNamedOneHas) {
  // 40000 is the first port-less connection's peer port; named already, the next is 40001, which
  // its ports name as well.
  RunResult r = RunPkt(std::string(kListener) + R"(+0 < 40000>8080 S 0:0(0) win 65535 <mss 1460>
+0 > 8080>40000 S. 0:0(0) ack 1 <mss 1460>
+0 < S 0:0(0) win 65535 <mss 1460>
+0 > S. 0:0(0) ack 1 <mss 1460>
+0 < . 1:1(0) ack 1 win 65535
+0 accept(3, ..., ...) = 4
+0 write(4, ..., 10) = 10
+0 > 8080>40001 P. 1:11(10) ack 1
+0 < 40000>8080 . 1:1(0) ack 1 win 65535
+0 accept(3, ..., ...) = 5
)");
  EXPECT_TRUE(r.ok) << r.error;
}

}  // namespace
}  // namespace taptcp::pkt
