// taptcp ss / nstat: ss.c's timer format, the columns, --summary, --peers, nstat increments, and
// what the control socket answers about a live pair of stacks (states, queues, timers).
#include <gtest/gtest.h>

#include "apps/control_server.h"
#include "apps/ss_format.h"
#include "tests/support/tcp_pair.h"

namespace taptcp::apps {
namespace {

TEST(SsFormat, TimersPrintAsSsPrintsThem) {
  // ss.c print_ms_timer: milliseconds under a second, "N.MMMms" under 10 s, whole seconds up to
  // a minute, then minutes (and seconds under 10 minutes).
  EXPECT_EQ(PrintMsTimer(200), "200ms");
  EXPECT_EQ(PrintMsTimer(5200), "5.200ms");
  EXPECT_EQ(PrintMsTimer(52300), "52sec");
  EXPECT_EQ(PrintMsTimer(60000), "1min");
  EXPECT_EQ(PrintMsTimer(92000), "1min32sec");
  EXPECT_EQ(PrintMsTimer(7'200'000), "120min");
  EXPECT_EQ(PrintMsTimer(0), "");
}

TEST(SsFormat, RowsRoundTripAndBadLinesAreErrors) {
  std::vector<tcp::DiagSocket> in(1);
  in[0].state = "TIME-WAIT";
  in[0].local_ip = *wire::Ipv4Address::Parse("192.0.2.2");
  in[0].local_port = 80;
  in[0].remote_ip = *wire::Ipv4Address::Parse("192.0.2.1");
  in[0].remote_port = 40000;
  in[0].timer = tcp::DiagTimer{"timewait", milliseconds(52300), 0};
  absl::StatusOr<std::vector<SsRow>> rows = DecodeSockets(EncodeSockets(in));
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].local, "192.0.2.2:80");
  EXPECT_EQ((*rows)[0].peer, "192.0.2.1:40000");
  const std::string table = FormatSs(*rows, {.listening = false, .timers = true});
  EXPECT_NE(table.find("TIME-WAIT"), std::string::npos);
  EXPECT_NE(table.find("timer:(timewait,52sec,0)"), std::string::npos) << table;
  EXPECT_FALSE(DecodeSockets("ESTAB\t1\n").ok());
  EXPECT_FALSE(DecodeCounters("TcpInSegs\tmany\n").ok());
}

TEST(SsFormat, SummaryAndPeersCountConnections) {
  auto row = [](const char* state, const char* local, const char* peer) {
    SsRow r;
    r.state = state;
    r.local = local;
    r.peer = peer;
    return r;
  };
  const std::vector<SsRow> rows = {
      row("LISTEN", "0.0.0.0:80", "0.0.0.0:*"), row("ESTAB", "192.0.2.2:80", "192.0.2.1:1"),
      row("ESTAB", "192.0.2.2:80", "192.0.2.1:2"), row("TIME-WAIT", "192.0.2.2:80", "192.0.2.9:3")};
  EXPECT_EQ(FormatSummary(rows), "ESTABLISHED 2\nTIME_WAIT 1\n");
  EXPECT_EQ(FormatPeers(rows), "      2 192.0.2.1\n      1 192.0.2.9\n");
  const std::string listening = FormatSs(rows, {.listening = true, .timers = false});
  EXPECT_NE(listening.find("LISTEN"), std::string::npos);
  EXPECT_EQ(listening.find("ESTAB"), std::string::npos);
}

TEST(SsFormat, NstatPrintsIncrementsUnlessAbsoluteAndHidesZeros) {
  const CounterRows before = {{"TcpInSegs", 10}, {"TcpOutRsts", 2}};
  const CounterRows now = {{"TcpInSegs", 15}, {"TcpOutRsts", 2}};
  const std::string inc = FormatNstat(now, before, false);
  EXPECT_NE(inc.find("TcpInSegs                       5"), std::string::npos) << inc;
  EXPECT_EQ(inc.find("TcpOutRsts"), std::string::npos);  // no change, -z not given
  const std::string abs = FormatNstat(now, {}, true);
  EXPECT_NE(abs.find("TcpInSegs                       15"), std::string::npos) << abs;
  EXPECT_NE(abs.find("TcpOutRsts                      2"), std::string::npos) << abs;
}

// What `taptcp ss` gets from a live stack: the listener's queues, each connection's state,
// queues and timer; TIME-WAIT on the side that closed first, with the time it has left.
TEST(ControlAnswer, SsShowsStatesQueuesAndTimersOfALiveStack) {
  testing::TcpPair p;
  const int l = p.Listen(80, 7);
  const auto [c, s] = p.Establish(l, 80);
  const int c2 = p.client->sockets().Socket();
  ASSERT_EQ(p.client->sockets().Connect(c2, p.ServerAddr(80)), -EINPROGRESS);
  const std::vector<uint8_t> msg(100, 'x');
  ASSERT_EQ(p.client->sockets().Send(c, msg), 100);
  p.net.RunFor(milliseconds(10));
  auto server_rows = [&] {
    absl::StatusOr<std::vector<SsRow>> rows =
        DecodeSockets(ControlServer::Answer("ss", *p.server, p.net.now()));
    EXPECT_TRUE(rows.ok());
    return rows.ok() ? *rows : std::vector<SsRow>{};
  };
  std::vector<SsRow> rows = server_rows();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].state, "LISTEN");
  EXPECT_EQ(rows[0].recv_q, 1u);  // c2 waits in the accept queue
  EXPECT_EQ(rows[0].send_q, 7u);  // the backlog
  EXPECT_EQ(rows[1].state, "ESTAB");
  EXPECT_EQ(rows[1].recv_q + rows[2].recv_q, 100u);  // unread by the server
  // The server closes first: TIME-WAIT is its, with 60 s (less what has passed) to go.
  ASSERT_EQ(p.server->sockets().Close(s), 0);
  ASSERT_EQ(p.client->sockets().Close(c), 0);
  p.net.RunFor(seconds(1));
  rows = server_rows();
  bool time_wait = false;
  for (const SsRow& r : rows) {
    if (r.state != "TIME-WAIT") continue;
    time_wait = true;
    EXPECT_EQ(r.timer, "timewait");
    EXPECT_GE(r.timer_ms, 58'000u);
    EXPECT_LE(r.timer_ms, 60'000u);
  }
  // Unread data at close means RST (tcp_close), not a FIN: no TIME-WAIT then.
  EXPECT_FALSE(time_wait) << "the server closed with 100 unread bytes: RST, not TIME-WAIT";
  const std::string counters = ControlServer::Answer("nstat", *p.server, p.net.now());
  EXPECT_NE(counters.find("TcpExtTCPAbortOnClose\t1"), std::string::npos) << counters;
  EXPECT_NE(ControlServer::Answer("bogus", *p.server, p.net.now()).find("error:"),
            std::string::npos);
}

TEST(ControlAnswer, TimeWaitOnTheSideThatClosedFirst) {
  testing::TcpPair p;
  const int l = p.Listen(80);
  const auto [c, s] = p.Establish(l, 80);
  ASSERT_EQ(p.server->sockets().Close(s), 0);  // the server closes first
  p.net.RunFor(milliseconds(10));
  ASSERT_EQ(p.client->sockets().Recv(c, std::span<uint8_t>()), 0);
  ASSERT_EQ(p.client->sockets().Close(c), 0);
  p.net.RunFor(seconds(2));
  absl::StatusOr<std::vector<SsRow>> rows =
      DecodeSockets(ControlServer::Answer("ss", *p.server, p.net.now()));
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[1].state, "TIME-WAIT");
  EXPECT_EQ((*rows)[1].timer, "timewait");
  EXPECT_EQ(PrintMsTimer((*rows)[1].timer_ms), "58sec");
  rows = DecodeSockets(ControlServer::Answer("ss", *p.client, p.net.now()));
  ASSERT_TRUE(rows.ok());
  EXPECT_TRUE(rows->empty());  // the client's LAST-ACK ended when its FIN was acknowledged
}

}  // namespace
}  // namespace taptcp::apps
