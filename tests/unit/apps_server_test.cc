// Every `serve --app` mode on two stacks over a simulated wire in virtual time: the app serves the
// server stack, the test drives the client's sockets, and the packets each mode must put on the
// wire are asserted (the same checks tests/interop/apps_*.sh make against the kernel).
#include <gtest/gtest.h>

#include <cerrno>

#include "apps/payload.h"
#include "tests/unit/apps_test_support.h"

namespace taptcp::apps::testing {
namespace {

using tcp::State;

bool ServerFin(const Segment& s) { return s.from_server && s.fin(); }
bool ClientFin(const Segment& s) { return !s.from_server && s.fin(); }
bool ServerRst(const Segment& s) { return s.from_server && s.rst(); }
bool AnyRst(const Segment& s) { return s.rst(); }

TEST(ServerModeParse, TakesEveryModeAndNamesThemAllOnError) {
  for (const char* name : {"echo", "discard", "http", "hold", "noaccept", "close", "linger0",
                           "unread-close", "shutdown-wr"}) {
    ServerMode m;
    ASSERT_TRUE(ServerMode::Parse(name, &m).ok()) << name;
    EXPECT_EQ(m.Name(), name);
  }
  for (const char* wc : {"write-close:1000", "write-close 1000", "write-close=1000"}) {
    ServerMode m;
    ASSERT_TRUE(ServerMode::Parse(wc, &m).ok()) << wc;
    EXPECT_EQ(m.kind, ServerMode::kWriteClose);
    EXPECT_EQ(m.write_bytes, 1000u);
    EXPECT_EQ(m.Name(), "write-close:1000");
  }
  for (const char* bad : {"", "ECHO", "write-close", "write-close:", "write-close:-1",
                          "write-close:1k", "echo:1", "linger"}) {
    ServerMode m;
    const absl::Status s = ServerMode::Parse(bad, &m);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_NE(s.message().find("bad --app"), absl::string_view::npos);
    EXPECT_NE(s.message().find("unread-close, write-close:N"), absl::string_view::npos);
  }
}

TEST(ServeEcho, EchoesEveryByteAndClosesAfterThePeersFin) {
  AppPair a(ServerMode::kEcho);
  const int c = a.Connect();
  const std::string data = PayloadString(300000);
  a.SendAll(c, data);
  a.client().Shutdown(c, socket::kShutWr);
  std::string back;
  ASSERT_TRUE(a.ReadToEof(c, &back));
  EXPECT_EQ(back, data);
  EXPECT_EQ(a.app.stats().bytes_in, data.size());
  EXPECT_EQ(a.app.stats().bytes_out, data.size());
  EXPECT_EQ(a.app.open_connections(), 0u);
  // The client closed first: its FIN comes before the server's, and it is the one in TIME_WAIT.
  EXPECT_LT(a.First(ClientFin), a.First(ServerFin));
  a.client().Close(c);
  a.RunFor(milliseconds(100));
  ASSERT_NE(a.ClientConn(), nullptr);
  EXPECT_EQ(a.ClientConn()->state(), State::kTimeWait);
  EXPECT_EQ(a.ServerConn(), nullptr);
  EXPECT_EQ(a.Count(AnyRst), 0);
}

TEST(ServeDiscard, ReadsAndDropsThenClosesAtThePeersFin) {
  AppPair a(ServerMode::kDiscard);
  const int c = a.Connect();
  a.SendAll(c, PayloadString(200000));
  a.client().Shutdown(c, socket::kShutWr);
  std::string back;
  ASSERT_TRUE(a.ReadToEof(c, &back));
  EXPECT_EQ(back, "");
  EXPECT_EQ(a.app.stats().bytes_in, 200000u);
  EXPECT_EQ(a.app.stats().closed, 1u);
  EXPECT_EQ(a.Count(AnyRst), 0);
}

TEST(ServeHold, KeepsTheConnectionInCloseWaitWhileThePeerSitsInFinWait2) {
  AppPair a(ServerMode::kHold);
  const int c = a.Connect();
  a.SendAll(c, "unread");
  a.client().Shutdown(c, socket::kShutWr);
  a.RunFor(seconds(10));
  ASSERT_NE(a.ServerConn(), nullptr);
  EXPECT_EQ(a.ServerConn()->state(), State::kCloseWait);
  EXPECT_EQ(a.ServerConn()->readable(), 6u);  // never read
  ASSERT_NE(a.ClientConn(), nullptr);
  EXPECT_EQ(a.ClientConn()->state(), State::kFinWait2);
  EXPECT_EQ(a.app.open_connections(), 1u);
  EXPECT_EQ(a.Count(ServerFin), 0);
  // A peer's RST frees the held socket.
  a.client().SetLinger(c, true, 0);
  a.client().Close(c);
  a.RunFor(milliseconds(100));
  EXPECT_EQ(a.app.open_connections(), 0u);
}

TEST(ServeNoAccept, CompletesHandshakesButReadsNothingAndTheWindowCloses) {
  AppPair a(ServerMode::kNoAccept, /*backlog=*/1);
  const int c = a.Connect();  // the handshake completes into the accept queue
  a.RunFor(milliseconds(10));
  EXPECT_EQ(a.app.stats().accepted, 0u);
  ASSERT_NE(a.ServerConn(), nullptr);
  EXPECT_EQ(a.ServerConn()->state(), State::kEstablished);
  // Send far more than the receive buffer holds; the client's send stalls.
  const std::string data = PayloadString(4 << 20);
  const size_t sent = a.SendFor(c, data, seconds(5));
  EXPECT_LT(sent, data.size());
  const size_t queued = a.ServerConn()->readable();
  EXPECT_GT(queued, 0u);
  // Below one segment: a Linux sender fills that with its persist probe and the window reaches
  // zero (the interop test sees it); taptcp's sender only probes (apps_stack_deviation_test).
  EXPECT_LT(a.ServerConn()->rcv_wnd(), a.ServerConn()->mss());
  // The server's advertised window never grew after data started, and ended at zero.
  const std::vector<Segment> segs = a.Segments();
  uint32_t last = UINT32_MAX;
  bool shrank = false;
  int data_seen = 0;
  for (const Segment& s : segs) {
    if (!s.from_server) {
      data_seen += s.payload > 0;
      continue;
    }
    if (data_seen == 0 || s.syn()) continue;
    EXPECT_LE(s.window, last);
    shrank |= s.window < last && last != UINT32_MAX;
    last = s.window;
  }
  EXPECT_TRUE(shrank);
  EXPECT_LT(last << a.ServerConn()->negotiated().rcv_wscale, a.ServerConn()->mss());
  // Backlog 1 holds two connections (Linux: queued > backlog is full); a third SYN is dropped.
  const int c2 = a.Connect();
  EXPECT_TRUE(a.client().Poll(c2) & socket::kOut);
  const int c3 = a.client().Socket();
  a.client().Connect(c3, a.p.ServerAddr(kPort));
  a.RunFor(milliseconds(500));
  EXPECT_FALSE(a.client().Poll(c3) & socket::kOut);
  EXPECT_GE(a.p.server->mib().Get(Counter::kTcpExtListenOverflows), 1u);
  EXPECT_EQ(a.Count(AnyRst), 0);
}

TEST(ServeClose, TheServersFinComesFirstAndTheServerEndsInTimeWait) {
  AppPair a(ServerMode::kClose);
  const int c = a.Connect();
  std::string back;
  ASSERT_TRUE(a.ReadToEof(c, &back));  // the server's FIN
  EXPECT_EQ(back, "");
  ASSERT_NE(a.ClientConn(), nullptr);
  EXPECT_EQ(a.ClientConn()->state(), State::kCloseWait);
  EXPECT_EQ(a.First(ClientFin), -1);
  a.client().Close(c);
  a.RunFor(milliseconds(100));
  EXPECT_LT(a.First(ServerFin), a.First(ClientFin));
  ASSERT_NE(a.ServerConn(), nullptr);
  EXPECT_EQ(a.ServerConn()->state(), State::kTimeWait);
  EXPECT_EQ(a.ClientConn(), nullptr);
  EXPECT_EQ(a.Count(AnyRst), 0);
}

TEST(ServeLinger0, ClosesWithRstAndLeavesNoTimeWait) {
  AppPair a(ServerMode::kLinger0);
  const int c = a.Connect();
  std::string back;
  int64_t err = 0;
  a.ReadToEof(c, &back, &err);
  EXPECT_EQ(err, -ECONNRESET);
  EXPECT_EQ(a.Count(ServerRst), 1);
  EXPECT_EQ(a.Count(ServerFin), 0);
  EXPECT_EQ(a.ServerConn(), nullptr);  // no TIME_WAIT on either side
  EXPECT_EQ(a.p.server->mib().Get(Counter::kTcpExtTCPAbortOnData), 1u);
}

TEST(ServeUnreadClose, ClosingWithUnreadDataSendsRst) {
  AppPair a(ServerMode::kUnreadClose);
  const int c = a.Connect();
  a.RunFor(milliseconds(300));
  EXPECT_EQ(a.app.open_connections(), 1u);  // waits for data
  a.SendAll(c, "hello");
  std::string back;
  int64_t err = 0;
  a.ReadToEof(c, &back, &err);
  EXPECT_EQ(err, -ECONNRESET);
  EXPECT_EQ(a.Count(ServerRst), 1);
  EXPECT_EQ(a.Count(ServerFin), 0);
  EXPECT_EQ(a.p.server->mib().Get(Counter::kTcpExtTCPAbortOnClose), 1u);
  EXPECT_EQ(a.app.stats().bytes_in, 0u);
}

TEST(ServeUnreadClose, APeerThatSendsNothingGetsAFin) {
  AppPair a(ServerMode::kUnreadClose);
  const int c = a.Connect();
  a.client().Shutdown(c, socket::kShutWr);
  std::string back;
  ASSERT_TRUE(a.ReadToEof(c, &back));
  EXPECT_EQ(a.Count(AnyRst), 0);
  EXPECT_EQ(a.Count(ServerFin), 1);
}

TEST(ServeWriteClose, WritesNBytesThenFin) {
  constexpr uint64_t kN = 250000;
  AppPair a(ServerMode{ServerMode::kWriteClose, kN});
  const int c = a.Connect();
  a.SendAll(c, "a request the server reads and drops");
  std::string back;
  ASSERT_TRUE(a.ReadToEof(c, &back));
  EXPECT_EQ(back, PayloadString(kN));
  // The FIN sits right after the N bytes: seq = ISN + 1 + N.
  const std::vector<Segment> segs = a.Segments();
  const int fin = a.First(ServerFin);
  ASSERT_GE(fin, 0);
  const int synack = a.First([](const Segment& s) { return s.from_server && s.syn(); });
  ASSERT_GE(synack, 0);
  EXPECT_EQ(segs[fin].seq + static_cast<uint32_t>(segs[fin].payload),
            segs[synack].seq + 1 + static_cast<uint32_t>(kN));
  a.client().Close(c);
  a.RunFor(milliseconds(100));
  EXPECT_EQ(a.Count(AnyRst), 0);  // what the client sent was read, so the close is a FIN
  EXPECT_EQ(a.app.stats().bytes_out, kN);
}

TEST(ServeShutdownWr, FinFirstThenStillAcksAndReadsTheClientsData) {
  AppPair a(ServerMode::kShutdownWr);
  const int c = a.Connect();
  a.RunFor(milliseconds(100));
  ASSERT_NE(a.ClientConn(), nullptr);
  EXPECT_EQ(a.ClientConn()->state(), State::kCloseWait);  // the server's FIN came
  EXPECT_EQ(a.ServerConn()->state(), State::kFinWait2);
  const std::string data = PayloadString(100000);
  a.SendAll(c, data);
  a.RunFor(milliseconds(500));
  EXPECT_EQ(a.app.stats().bytes_in, data.size());
  // Every byte the client sent after the server's FIN was acknowledged by the server.
  const std::vector<Segment> segs = a.Segments();
  const int fin = a.First(ServerFin);
  const int first_data = a.First([](const Segment& s) { return !s.from_server && s.payload > 0; });
  EXPECT_LT(fin, first_data);
  const int syn = a.First([](const Segment& s) { return !s.from_server && s.syn(); });
  uint32_t acked = 0;
  for (const Segment& s : segs) {
    if (s.from_server && !s.syn()) acked = s.ack - (segs[syn].seq + 1);
  }
  EXPECT_EQ(acked, data.size());
  // The client's FIN: the server reads EOF and closes; it sent the first FIN, so TIME_WAIT.
  a.client().Close(c);
  a.RunFor(milliseconds(100));
  EXPECT_EQ(a.app.open_connections(), 0u);
  ASSERT_NE(a.ServerConn(), nullptr);
  EXPECT_EQ(a.ServerConn()->state(), State::kTimeWait);
  EXPECT_EQ(a.Count(AnyRst), 0);
}

std::string HttpExchange(AppPair& a, int c, std::string_view request) {
  a.SendAll(c, request);
  std::string back;
  a.ReadToEof(c, &back);
  return back;
}

TEST(ServeHttp, AnswersWithContentLengthAndClosesTheLingeringWay) {
  AppPair a(ServerMode::kHttp);
  const int c = a.Connect();
  const std::string back =
      HttpExchange(a, c, "GET / HTTP/1.1\r\nHost: 192.0.2.20\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(back,
            "HTTP/1.1 200 OK\r\nServer: taptcp\r\nContent-Type: text/plain\r\n"
            "Content-Length: " +
                std::to_string(http::kGreeting.size()) + "\r\nConnection: close\r\n\r\n" +
                std::string(http::kGreeting));
  // Server FIN first (shutdown), still open for reading until the client's FIN.
  EXPECT_EQ(a.app.open_connections(), 1u);
  a.client().Close(c);
  a.RunFor(milliseconds(100));
  EXPECT_EQ(a.app.open_connections(), 0u);
  EXPECT_LT(a.First(ServerFin), a.First(ClientFin));
  EXPECT_EQ(a.Count(AnyRst), 0);
  EXPECT_EQ(a.app.stats().http_requests, 1u);
}

TEST(ServeHttp, KeepAliveAndPipelinedBytesWithBackPressure) {
  AppPair a(ServerMode::kHttp);
  const int c = a.Connect();
  // 40 pipelined requests for 100 kB each: 4 MB of answers, sent while the client reads.
  std::string requests;
  for (int i = 0; i < 40; ++i) requests += "GET /bytes/100000 HTTP/1.1\r\nHost: h\r\n\r\n";
  a.SendAll(c, requests);
  std::string back;
  const std::string one =
      "HTTP/1.1 200 OK\r\nServer: taptcp\r\nContent-Type: "
      "application/octet-stream\r\nContent-Length: 100000\r\n\r\n" +
      PayloadString(100000);
  ASSERT_TRUE(a.Run([&] {
    uint8_t buf[16384];
    for (int64_t n; (n = a.client().Recv(c, buf)) > 0;) {
      back.append(reinterpret_cast<const char*>(buf), static_cast<size_t>(n));
    }
    return back.size() >= 40 * one.size();
  }));
  ASSERT_EQ(back.size(), 40 * one.size());
  for (int i = 0; i < 40; ++i) ASSERT_EQ(back.substr(i * one.size(), one.size()), one) << i;
  EXPECT_EQ(a.app.open_connections(), 1u);  // kept alive
  a.client().Close(c);
  a.RunFor(milliseconds(100));
  EXPECT_EQ(a.app.open_connections(), 0u);
  EXPECT_EQ(a.Count(AnyRst), 0);
}

TEST(ServeHttp, OversizedHeadGets431AndNoRst) {
  AppPair a(ServerMode::kHttp);
  const int c = a.Connect();
  const std::string back = HttpExchange(
      a, c, "GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(30000, 'b') + "\r\n\r\n");
  EXPECT_TRUE(back.starts_with("HTTP/1.1 431 ")) << back.substr(0, 40);
  a.client().Close(c);
  a.RunFor(milliseconds(100));
  // What the client had sent past the limit was read and dropped while lingering: no RST.
  EXPECT_EQ(a.Count(AnyRst), 0);
  EXPECT_EQ(a.app.open_connections(), 0u);
}

TEST(ServeHttp, IdleConnectionsAreClosedByExpire) {
  AppPair a(ServerMode::kHttp);
  const int c = a.Connect();
  a.SendAll(c, "GET / HTTP/1.1\r\nHo");  // a slow client: half a request
  a.RunFor(seconds(30));
  a.app.Expire(a.p.net.now());
  EXPECT_EQ(a.app.open_connections(), 1u);
  a.RunFor(seconds(31));
  a.app.Expire(a.p.net.now());
  EXPECT_EQ(a.app.open_connections(), 0u);
  EXPECT_EQ(a.app.stats().expired, 1u);
  // Closed with its partial request read: a FIN, not an RST.
  a.RunFor(milliseconds(100));
  EXPECT_EQ(a.Count(ServerFin), 1);
  EXPECT_EQ(a.Count(AnyRst), 0);
  (void)c;
}

// Several apps may serve one stack (the demo runs echo, http and close side by side): none may
// take the readiness another needs.
TEST(ServeSeveralApps, ShareOneStack) {
  AppPair a(ServerMode::kEcho);  // port 80
  TcpServerApp http(a.p.server->sockets(), ServerMode{ServerMode::kHttp, 0});
  ASSERT_TRUE(http.Listen(8080, 16).ok());
  ClientOptions o;
  o.to = a.p.ServerAddr(kPort);
  o.send_bytes = 20000;
  ClientPool echo_clients(a.client(), o, 5, 5);
  a.pool = &echo_clients;
  const int c = a.client().Socket();
  a.client().Connect(c, a.p.ServerAddr(8080));
  const std::string request = "GET /bytes/3000 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
  bool sent = false;
  std::string back;
  ASSERT_TRUE(a.Run([&] {
    http.Service(a.p.net.now());
    if (!sent && (a.client().Poll(c) & socket::kOut)) {
      sent = a.client().Send(c, std::span(reinterpret_cast<const uint8_t*>(request.data()),
                                          request.size())) == static_cast<int64_t>(request.size());
    }
    uint8_t buf[4096];
    for (int64_t n; (n = a.client().Recv(c, buf)) > 0;) {
      back.append(reinterpret_cast<const char*>(buf), static_cast<size_t>(n));
    }
    return echo_clients.done() && back.size() >= 3000 && back.ends_with(PayloadString(3000));
  }));
  EXPECT_EQ(echo_clients.completed(), 5u);
  EXPECT_EQ(a.app.stats().accepted, 5u);
  EXPECT_EQ(http.stats().http_requests, 1u);
}

}  // namespace
}  // namespace taptcp::apps::testing
