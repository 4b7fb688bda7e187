// `taptcp connect`'s ClientPool on two stacks over a simulated wire in virtual time: K
// connections with at most J at once, the exchange options (--send/--data, --shutdown,
// --linger 0, --verify_echo), failures counted by errno, and the summary line.
#include <gtest/gtest.h>

#include <cerrno>

#include "apps/payload.h"
#include "tests/unit/apps_test_support.h"

namespace taptcp::apps::testing {
namespace {

using tcp::State;

ClientOptions Options(const AppPair& a, uint64_t bytes) {
  ClientOptions o;
  o.to = a.p.ServerAddr(kPort);
  o.send_bytes = bytes;
  return o;
}

TEST(ClientOptionsParse, ShutdownValuesAndTheErrorNamingThem) {
  int how = 99;
  ASSERT_TRUE(ClientOptions::ParseShutdown("wr", &how).ok());
  EXPECT_EQ(how, socket::kShutWr);
  ASSERT_TRUE(ClientOptions::ParseShutdown("rd", &how).ok());
  EXPECT_EQ(how, socket::kShutRd);
  ASSERT_TRUE(ClientOptions::ParseShutdown("rdwr", &how).ok());
  EXPECT_EQ(how, socket::kShutRdWr);
  ASSERT_TRUE(ClientOptions::ParseShutdown("none", &how).ok());
  EXPECT_EQ(how, kNoShutdown);
  const absl::Status s = ClientOptions::ParseShutdown("WR", &how);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(),
            "bad --shutdown 'WR': expected wr (half-close after sending, the default), rd, rdwr "
            "or none");
}

TEST(ClientPool, RunsKConnectionsAtMostJAtOnceAgainstEcho) {
  AppPair a(ServerMode::kEcho);
  ClientPool pool(a.client(), Options(a, 5000), /*count=*/40, /*parallel=*/7);
  a.pool = &pool;
  size_t peak = 0;
  ASSERT_TRUE(a.Run([&] {
    peak = std::max(peak, pool.open());
    return pool.done();
  }));
  EXPECT_EQ(pool.completed(), 40u);
  EXPECT_EQ(pool.failed(), 0u);
  EXPECT_EQ(pool.bytes_sent(), 40u * 5000);
  EXPECT_EQ(pool.bytes_received(), 40u * 5000);
  EXPECT_EQ(a.app.stats().accepted, 40u);
  EXPECT_EQ(peak, 7u);
  EXPECT_EQ(pool.peak_open(), 7u);
  const std::string summary = pool.Summary();
  EXPECT_TRUE(summary.starts_with("40 connections to 192.0.2.20:80: 40 completed, 0 failed in "))
      << summary;
  EXPECT_NE(summary.find("conn/s, at most 7 at once); sent 200000 B ("), std::string::npos)
      << summary;
  EXPECT_NE(summary.find("received 200000 B ("), std::string::npos) << summary;
}

TEST(ClientPool, SequentialConnectionsReuseNothingAndEachEndsInTimeWait) {
  AppPair a(ServerMode::kEcho);
  ClientPool pool(a.client(), Options(a, 64), 25, 1);
  a.pool = &pool;
  size_t peak = 0;
  ASSERT_TRUE(a.Run([&] {
    peak = std::max(peak, pool.open());
    return pool.done();
  }));
  EXPECT_EQ(pool.completed(), 25u);
  EXPECT_EQ(peak, 1u);
  a.RunFor(milliseconds(10));  // the last connection's final ACK
  // The client half-closed first each time: 25 TIME_WAITs on the client, none on the server.
  int tw = 0;
  for (const tcp::Connection* c : a.p.client->tcp().Connections()) {
    tw += c->state() == State::kTimeWait;
  }
  EXPECT_EQ(tw, 25);
  EXPECT_EQ(a.p.server->tcp().connection_count(), 0u);
}

TEST(ClientPool, RefusedConnectionsAreCountedByErrno) {
  AppPair a(ServerMode::kEcho);
  ClientOptions o = Options(a, 10);
  o.to.port = kPort + 1;  // nobody listens: RST+ACK
  ClientPool pool(a.client(), o, 3, 2);
  a.pool = &pool;
  ASSERT_TRUE(a.Run([&] { return pool.done(); }));
  EXPECT_EQ(pool.completed(), 0u);
  EXPECT_EQ(pool.failed(), 3u);
  EXPECT_EQ(pool.failures().at("ECONNREFUSED"), 3u);
  EXPECT_NE(pool.Summary().find(": 0 completed, 3 failed (ECONNREFUSED 3) in "), std::string::npos)
      << pool.Summary();
  EXPECT_EQ(pool.first_error(), "connection 0: connect to 192.0.2.20:81: Connection refused");
}

TEST(ClientPool, ResetByTheServerIsECONNRESET) {
  AppPair a(ServerMode::kLinger0);
  ClientOptions o = Options(a, 0);
  o.verify_echo = false;
  ClientPool pool(a.client(), o, 4, 4);
  a.pool = &pool;
  ASSERT_TRUE(a.Run([&] { return pool.done(); }));
  EXPECT_EQ(pool.failures().at("ECONNRESET"), 4u);
}

TEST(ClientPool, Linger0ClosesWithRstInsteadOfFin) {
  AppPair a(ServerMode::kEcho);
  ClientOptions o = Options(a, 1000);
  o.linger_zero = true;
  o.shutdown = kNoShutdown;  // the whole echo ends the exchange, then close: RST
  ClientPool pool(a.client(), o, 1, 1);
  a.pool = &pool;
  ASSERT_TRUE(a.Run([&] { return pool.done(); }));
  EXPECT_EQ(pool.completed(), 1u);
  a.RunFor(milliseconds(100));
  EXPECT_EQ(a.Count([](const Segment& s) { return !s.from_server && s.rst(); }), 1);
  EXPECT_EQ(a.Count([](const Segment& s) { return !s.from_server && s.fin(); }), 0);
  EXPECT_EQ(a.ClientConn(), nullptr);  // no TIME_WAIT after an abort
  EXPECT_EQ(a.app.open_connections(), 0u);
}

TEST(ClientPool, DataIsSentAsGivenAndEchoChecked) {
  AppPair a(ServerMode::kEcho);
  ClientOptions o = Options(a, 0);
  o.use_data = true;
  o.data = std::string("hello\r\n\0world", 13);
  ClientPool pool(a.client(), o, 2, 2);
  a.pool = &pool;
  ASSERT_TRUE(a.Run([&] { return pool.done(); }));
  EXPECT_EQ(pool.completed(), 2u);
  EXPECT_EQ(pool.bytes_received(), 26u);
}

TEST(ClientPool, AWrongEchoIsAFailure) {
  AppPair a(ServerMode{ServerMode::kWriteClose, 100});
  ClientOptions o = Options(a, 0);
  o.use_data = true;
  o.data = "these are not the payload stream's bytes";
  ClientPool pool(a.client(), o, 1, 1);
  a.pool = &pool;
  ASSERT_TRUE(a.Run([&] { return pool.done(); }));
  EXPECT_EQ(pool.failures().at("echo-mismatch"), 1u);
  EXPECT_EQ(pool.first_error(), "connection 0: the echo differs at byte 0");
}

TEST(ClientPool, WithoutVerifyItReadsUntilTheServersFin) {
  AppPair a(ServerMode{ServerMode::kWriteClose, 123456});
  ClientOptions o = Options(a, 0);
  o.verify_echo = false;
  o.shutdown = kNoShutdown;
  ClientPool pool(a.client(), o, 3, 3);
  a.pool = &pool;
  ASSERT_TRUE(a.Run([&] { return pool.done(); }));
  EXPECT_EQ(pool.completed(), 3u);
  EXPECT_EQ(pool.bytes_received(), 3u * 123456);
  a.RunFor(milliseconds(10));  // the clients' FINs arrive
  // The server closed first, so the server holds the TIME_WAITs.
  int tw = 0;
  for (const tcp::Connection* c : a.p.server->tcp().Connections()) {
    tw += c->state() == State::kTimeWait;
  }
  EXPECT_EQ(tw, 3);
}

TEST(ClientPool, AbandonCountsWhatIsUnfinished) {
  AppPair a(ServerMode::kHold);  // never answers, never closes
  ClientPool pool(a.client(), Options(a, 10), 5, 2);
  a.pool = &pool;
  EXPECT_FALSE(a.Run([&] { return pool.done(); }, seconds(3)));
  pool.Abandon(a.p.net.now());
  EXPECT_TRUE(pool.done());
  EXPECT_EQ(pool.completed(), 0u);
  EXPECT_EQ(pool.failures().at("unfinished"), 5u);
  EXPECT_NE(pool.Summary().find("0 completed, 5 failed (unfinished 5) in 3.0"), std::string::npos)
      << pool.Summary();
}

}  // namespace
}  // namespace taptcp::apps::testing
