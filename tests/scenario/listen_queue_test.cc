// The listener's decisions, each with the segments and counters Linux produces
// (LINUX_TCP.md "Listen queues" and "SYN cookies"; tcp_conn_request, tcp_check_req,
// reqsk_timer_handler, cookie_v4_check). A scripted peer sends SYNs and ACKs from many ports of
// one address; the test reads what the stack answered and how its counters moved.
// The packet-level versions of the same behaviours are the scripts in pcaps/scripts/listen/.
#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "stack/mib.h"
#include "stack/tcp/syncookie.h"
#include "stack/tcp/tcp_diag.h"
#include "tests/support/segment_injector.h"

namespace taptcp::testing {
namespace {

using socket::SockAddr;

constexpr uint16_t kPort = 80;
constexpr uint32_t kClientIsn = 1000;

// A wire without delay: the stack's answers are there as soon as the network has run, so the
// test's clock is exactly the one the timings below are written in.
sim::Impairments NoDelay() {
  sim::Impairments imp;
  imp.delay = Duration::zero();
  return imp;
}

class ListenQueue : public ::testing::Test {
 protected:
  socket::SocketApi& api() { return pair_.stack().sockets(); }
  Sysctl& sysctl() { return pair_.stack().sysctl(); }
  uint64_t Count(Counter c) { return pair_.stack().mib().Get(c); }
  tcp::Listener& listener() {
    return *const_cast<tcp::Listener*>(pair_.stack().tcp().Listeners()[0]);
  }

  int Listen(int backlog) {
    listen_fd_ = api().Socket();
    EXPECT_EQ(api().Bind(listen_fd_, {wire::Ipv4Address::Any(), kPort}), 0);
    EXPECT_EQ(api().Listen(listen_fd_, backlog), 0);
    return listen_fd_;
  }

  // A SYN from `port`; the options a Linux client would send unless told otherwise.
  void Syn(uint16_t port, bool timestamps = true, uint16_t mss = 1460,
           std::optional<uint32_t> seq = std::nullopt) {
    SegmentSpec s;
    s.src_port = port;
    s.dst_port = kPort;
    s.seq = seq.value_or(kClientIsn);
    s.flags = wire::kSyn;
    s.options.mss = mss;
    s.options.sack_permitted = true;
    s.options.window_scale = 7;
    if (timestamps) s.options.timestamp = std::make_pair(uint32_t{100}, uint32_t{0});
    ASSERT_TRUE(pair_.Inject(s));
    Settle();
  }
  // The final ACK (or any ACK) from `port`, acknowledging `ack`.
  void Ack(uint16_t port, uint32_t ack, std::optional<std::pair<uint32_t, uint32_t>> ts = {},
           size_t payload = 0) {
    SegmentSpec s;
    s.src_port = port;
    s.dst_port = kPort;
    s.seq = kClientIsn + 1;
    s.ack = ack;
    s.flags = wire::kAck;
    s.window = 512;
    s.payload = payload;
    if (ts) s.options.timestamp = *ts;
    ASSERT_TRUE(pair_.Inject(s));
    Settle();
  }
  // Segments the stack sent to `port` (0: to any port) not yet taken by an earlier call.
  std::vector<WireSegment> Sent(uint16_t port) {
    std::vector<WireSegment> out;
    const auto& all = pair_.peer().received();
    for (; seen_ < all.size(); ++seen_) pending_.push_back(all[seen_]);
    std::vector<WireSegment> keep;
    for (const WireSegment& s : pending_) {
      (port == 0 || s.dst_port == port ? out : keep).push_back(s);
    }
    pending_ = keep;
    return out;
  }
  static bool IsSynAck(const WireSegment& s) { return s.flags == (wire::kSyn | wire::kAck); }
  // A full handshake from `port`; returns the SYN-ACK's ISS.
  uint32_t Handshake(uint16_t port) {
    Syn(port);
    const auto got = Sent(port);
    EXPECT_EQ(got.size(), 1u);
    if (got.empty()) return 0;
    const uint32_t iss = got[0].seq;
    Run(milliseconds(5));  // a round trip to measure (tcp_synack_rtt_meas)
    Ack(port, iss + 1, std::make_pair(uint32_t{101}, got[0].options.timestamp->first));
    return iss;
  }
  // A whole connection from `port` that the server closes first and the peer answers with
  // FIN-ACK: the server ends in TIME_WAIT (tcp_time_wait, which also proves the peer). Returns
  // the server's ISS.
  uint32_t CloseFirstIntoTimeWait(uint16_t port) {
    const uint32_t iss = Handshake(port);
    const int fd = api().Accept(listen_fd_);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(api().Close(fd), 0);
    Settle();
    const auto fin = Sent(port);
    EXPECT_EQ(fin.size(), 1u);
    if (fin.empty() || !fin[0].options.timestamp) return iss;
    SegmentSpec s;
    s.src_port = port;
    s.dst_port = kPort;
    s.seq = kClientIsn + 1;
    s.ack = iss + 2;
    s.flags = wire::kAck | wire::kFin;
    s.options.timestamp = std::make_pair(uint32_t{300}, fin[0].options.timestamp->first);
    EXPECT_TRUE(pair_.Inject(s));
    Settle();
    return iss;
  }
  void Run(Duration d) { pair_.RunFor(d); }
  // Lets the answer cross the wire (and the first one wait for ARP).
  void Settle() { pair_.RunFor(Duration::zero()); }

  ScriptedPair pair_{NoDelay()};
  int listen_fd_ = -1;
  size_t seen_ = 0;
  std::vector<WireSegment> pending_;
};

// sk_acceptq_is_full: queued > max_ack_backlog, so backlog + 1 connections fit; the next SYN is
// dropped whatever tcp_syncookies says (tcp_conn_request, step 3).
TEST_F(ListenQueue, AcceptQueueHoldsBacklogPlusOne) {
  Listen(1);
  Handshake(1001);
  Handshake(1002);
  EXPECT_EQ(listener().accept_queue_size(), 2u);
  Syn(1003);
  EXPECT_TRUE(Sent(1003).empty());
  EXPECT_EQ(Count(Counter::kTcpExtListenOverflows), 1u);
  EXPECT_EQ(Count(Counter::kTcpExtListenDrops), 1u);
  EXPECT_EQ(Count(Counter::kTcpPassiveOpens), 2u);
  // accept() makes room: the client's SYN retransmission gets through.
  EXPECT_GE(api().Accept(listen_fd_), 0);
  Syn(1003);
  EXPECT_EQ(Sent(1003).size(), 1u);
}

// __sys_listen: max_ack_backlog = min(backlog, net.core.somaxconn); ss -l shows it as Send-Q.
TEST_F(ListenQueue, SomaxconnCapsTheBacklog) {
  sysctl().somaxconn = 2;
  Listen(100);
  EXPECT_EQ(listener().backlog(), 2);
  for (uint16_t p = 1001; p <= 1003; ++p) Handshake(p);
  Syn(1004);
  EXPECT_TRUE(Sent(1004).empty());
  EXPECT_EQ(Count(Counter::kTcpExtListenOverflows), 1u);
  const auto rows = tcp::DumpSockets(pair_.stack().tcp(), pair_.now());
  ASSERT_FALSE(rows.empty());
  EXPECT_EQ(rows[0].recv_q, 3u);  // the accept queue
  EXPECT_EQ(rows[0].send_q, 2u);  // the backlog
}

// inet_csk_reqsk_queue_is_full: more than backlog requests; with cookies off the SYN is dropped
// (tcp_syn_flood_action: TCPReqQFullDrop), with cookies on it gets a cookie SYN-ACK.
TEST_F(ListenQueue, FullSynQueueDropsWithoutCookies) {
  sysctl().tcp_syncookies = 0;
  Listen(2);
  for (uint16_t p = 1001; p <= 1003; ++p) {
    Syn(p);
    EXPECT_EQ(Sent(p).size(), 1u);
  }
  EXPECT_EQ(listener().request_count(), 3u);
  Syn(1004);
  EXPECT_TRUE(Sent(1004).empty());
  EXPECT_EQ(Count(Counter::kTcpExtTCPReqQFullDrop), 1u);
  EXPECT_EQ(Count(Counter::kTcpExtListenDrops), 1u);
  EXPECT_EQ(Count(Counter::kTcpExtSyncookiesSent), 0u);
}

TEST_F(ListenQueue, FullSynQueueAnswersWithACookie) {
  sysctl().tcp_timestamps = 2;  // no random offset, so the TSval's low bits are visible
  Listen(2);
  for (uint16_t p = 1001; p <= 1003; ++p) Syn(p);
  Sent(0);
  Syn(1004);
  const auto got = Sent(1004);
  ASSERT_EQ(got.size(), 1u);
  ASSERT_TRUE(IsSynAck(got[0]));
  EXPECT_EQ(Count(Counter::kTcpExtTCPReqQFullDoCookies), 1u);
  EXPECT_EQ(Count(Counter::kTcpExtSyncookiesSent), 1u);
  EXPECT_EQ(listener().request_count(), 3u);  // no entry for the cookie
  // cookie_init_timestamp: wscale 7 and SACK in the low 6 bits of the TSval.
  ASSERT_TRUE(got[0].options.timestamp);
  EXPECT_EQ(got[0].options.timestamp->first & 0x3f, 7u | 0x10u);
  // The SYN-ACK answers with our own options as for any SYN.
  EXPECT_TRUE(got[0].options.sack_permitted);
  EXPECT_TRUE(got[0].options.window_scale.has_value());
  // No state, so no retransmission: 5 s later the other requests have re-sent, the cookie not.
  Run(seconds(5));
  EXPECT_TRUE(Sent(1004).empty());
  EXPECT_EQ(Sent(1001).size(), 2u);  // at 1 s and 3 s
  // The final ACK, echoing the TSval, rebuilds the connection with the SYN's options.
  Ack(1004, got[0].seq + 1, std::make_pair(uint32_t{200}, got[0].options.timestamp->first));
  EXPECT_EQ(Count(Counter::kTcpExtSyncookiesRecv), 1u);
  EXPECT_EQ(Count(Counter::kTcpPassiveOpens), 1u);
  const int fd = api().Accept(listen_fd_);
  ASSERT_GE(fd, 0);
  socket::TcpInfo info;
  ASSERT_EQ(api().GetTcpInfo(fd, &info), 0);
  EXPECT_EQ(info.state, 1);  // ESTABLISHED
  EXPECT_TRUE(info.timestamps);
  EXPECT_TRUE(info.sack);
  EXPECT_TRUE(info.wscale);
  EXPECT_EQ(info.snd_wscale, 7);
  EXPECT_EQ(info.snd_mss, 1460u - 12u);  // table entry 1460, less the timestamp option
}

// Without timestamps a cookie keeps only the MSS, rounded down to the table {536, 1300, 1440,
// 1460}: the SYN-ACK offers no SACK or window scaling (tcp_conn_request clears the options).
TEST_F(ListenQueue, CookieWithoutTimestampsKeepsOnlyTheMss) {
  sysctl().tcp_syncookies = 2;
  Listen(16);
  Syn(1001, /*timestamps=*/false, /*mss=*/1400);
  const auto got = Sent(1001);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_FALSE(got[0].options.sack_permitted);
  EXPECT_FALSE(got[0].options.window_scale.has_value());
  EXPECT_FALSE(got[0].options.timestamp.has_value());
  EXPECT_EQ(got[0].options.mss, 1460);  // ours, as for any SYN
  EXPECT_EQ(listener().request_count(), 0u);
  EXPECT_EQ(Count(Counter::kTcpExtTCPReqQFullDoCookies), 1u);  // syncookies=2: every SYN
  Ack(1001, got[0].seq + 1);
  const int fd = api().Accept(listen_fd_);
  ASSERT_GE(fd, 0);
  socket::TcpInfo info;
  ASSERT_EQ(api().GetTcpInfo(fd, &info), 0);
  EXPECT_EQ(info.snd_mss, 1300u);
  EXPECT_FALSE(info.sack);
  EXPECT_FALSE(info.wscale);
}

// A forged ACK: SyncookiesFailed and, from the listener, <SEQ=SEG.ACK><RST>.
TEST_F(ListenQueue, BadCookieAckGetsReset) {
  sysctl().tcp_syncookies = 2;
  Listen(16);
  Syn(1001, /*timestamps=*/false);
  const auto got = Sent(1001);
  ASSERT_EQ(got.size(), 1u);
  const uint32_t forged = got[0].seq + 1 + (1u << 20);
  Ack(1001, forged);
  const auto rst = Sent(1001);
  ASSERT_EQ(rst.size(), 1u);
  EXPECT_EQ(rst[0].flags, wire::kRst);
  EXPECT_EQ(rst[0].seq, forged);
  EXPECT_EQ(Count(Counter::kTcpExtSyncookiesFailed), 1u);
  EXPECT_EQ(Count(Counter::kTcpExtSyncookiesRecv), 0u);
  EXPECT_EQ(api().Accept(listen_fd_), -EAGAIN);
}

// tcp_synq_no_recent_overflow: with tcp_syncookies=1 and no overflow in the last two minutes, an
// ACK is not even checked as a cookie: it is a bad ACK for LISTEN.
TEST_F(ListenQueue, CookiesAreCheckedOnlyAfterARecentOverflow) {
  Listen(16);
  Ack(1001, 12345);
  const auto rst = Sent(1001);
  ASSERT_EQ(rst.size(), 1u);
  EXPECT_EQ(rst[0].flags, wire::kRst);
  EXPECT_EQ(Count(Counter::kTcpExtSyncookiesFailed), 0u);
}

// A cookie is good for two minutes of its counter: an ACK three minutes later fails.
TEST_F(ListenQueue, CookieExpiresAfterTwoMinutes) {
  sysctl().tcp_syncookies = 2;
  Listen(16);
  Syn(1001, false);
  Syn(1002, false);
  const auto a = Sent(1001), b = Sent(1002);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  Run(seconds(50));
  Ack(1001, a[0].seq + 1);
  EXPECT_EQ(Count(Counter::kTcpExtSyncookiesRecv), 1u);
  Run(seconds(130));
  Ack(1002, b[0].seq + 1);
  EXPECT_EQ(Count(Counter::kTcpExtSyncookiesFailed), 1u);
  const auto rst = Sent(1002);
  ASSERT_EQ(rst.size(), 1u);
  EXPECT_EQ(rst[0].flags, wire::kRst);
}

// A cookie ACK that meets a full accept queue is dropped with no RST, abort_on_overflow or not.
TEST_F(ListenQueue, CookieAckMeetingAFullAcceptQueueIsDropped) {
  sysctl().tcp_syncookies = 2;
  sysctl().tcp_abort_on_overflow = 1;
  Listen(0);
  Syn(1001, false);
  Syn(1002, false);
  const auto a = Sent(1001), b = Sent(1002);
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  Ack(1001, a[0].seq + 1);
  Ack(1002, b[0].seq + 1);
  EXPECT_TRUE(Sent(1002).empty());
  EXPECT_EQ(Count(Counter::kTcpExtSyncookiesRecv), 2u);
  EXPECT_EQ(Count(Counter::kTcpExtListenOverflows), 1u);
  EXPECT_EQ(Count(Counter::kTcpPassiveOpens), 1u);
}

// tcp_check_req -> listen_overflow with tcp_abort_on_overflow=0: the ACK is dropped, the request
// stays (acked) and its SYN-ACKs go on; once accept() makes room, the next ACK completes it.
TEST_F(ListenQueue, FinalAckOnFullQueueIsDroppedAndRetriedLater) {
  Listen(1);
  Handshake(1001);
  Syn(1002);
  Syn(1003);
  const auto c = Sent(1002), b = Sent(1003);
  ASSERT_EQ(c.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  Ack(1002, c[0].seq + 1);  // the accept queue is now full: 2 > 1
  Ack(1003, b[0].seq + 1);
  EXPECT_TRUE(Sent(1002).empty());
  EXPECT_EQ(Count(Counter::kTcpExtListenOverflows), 1u);
  EXPECT_EQ(Count(Counter::kTcpExtListenDrops), 1u);
  EXPECT_EQ(listener().request_count(), 1u);
  Run(milliseconds(1100));
  const auto again = Sent(1003);
  ASSERT_EQ(again.size(), 1u);  // the SYN-ACK, on its normal schedule
  EXPECT_TRUE(IsSynAck(again[0]));
  ASSERT_GE(api().Accept(listen_fd_), 0);
  Ack(1003, b[0].seq + 1);
  EXPECT_EQ(listener().request_count(), 0u);
  EXPECT_GE(api().Accept(listen_fd_), 0);
  EXPECT_GE(api().Accept(listen_fd_), 0);
  EXPECT_EQ(Count(Counter::kTcpPassiveOpens), 3u);
}

// tcp_abort_on_overflow=1: the final ACK is answered with RST and the request is dropped.
TEST_F(ListenQueue, AbortOnOverflowResets) {
  sysctl().tcp_abort_on_overflow = 1;
  Listen(1);
  Handshake(1001);
  Syn(1002);
  Syn(1003);
  const auto c = Sent(1002), b = Sent(1003);
  ASSERT_EQ(b.size(), 1u);
  Ack(1002, c[0].seq + 1);
  Ack(1003, b[0].seq + 1);
  const auto rst = Sent(1003);
  ASSERT_EQ(rst.size(), 1u);
  EXPECT_EQ(rst[0].flags, wire::kRst);
  EXPECT_EQ(rst[0].seq, b[0].seq + 1);
  EXPECT_EQ(listener().request_count(), 0u);
  EXPECT_EQ(Count(Counter::kTcpExtListenOverflows), 1u);
  EXPECT_EQ(Count(Counter::kTcpExtEmbryonicRsts), 1u);
}

// reqsk_timer_handler: SYN-ACKs at 1, 3, 7, 15, 31 s, silent expiry at 63 s. Every expiry counts
// TCPTimeouts (tcp_syn_ack_timeout), each re-send RetransSegs and TCPSynRetrans.
TEST_F(ListenQueue, SynAckRetransmissionsThenSilentExpiry) {
  Listen(16);
  const Instant t0 = pair_.now();
  Syn(1001);
  Run(seconds(70));
  const auto got = Sent(1001);
  ASSERT_EQ(got.size(), 6u);
  const int expect_s[] = {0, 1, 3, 7, 15, 31};
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_TRUE(IsSynAck(got[i]));
    EXPECT_EQ(got[i].seq, got[0].seq);
    EXPECT_EQ(std::chrono::duration_cast<std::chrono::seconds>(got[i].at - t0).count(), expect_s[i])
        << i;
  }
  EXPECT_EQ(listener().request_count(), 0u);
  EXPECT_EQ(Count(Counter::kTcpExtTCPTimeouts), 6u);
  EXPECT_EQ(Count(Counter::kTcpRetransSegs), 5u);
  EXPECT_EQ(Count(Counter::kTcpExtTCPSynRetrans), 5u);
  EXPECT_EQ(Count(Counter::kTcpOutRsts), 0u);
  // The request is gone: its final ACK now meets the listener and gets RST.
  Ack(1001, got[0].seq + 1);
  const auto rst = Sent(1001);
  ASSERT_EQ(rst.size(), 1u);
  EXPECT_EQ(rst[0].flags, wire::kRst);
}

TEST_F(ListenQueue, SynAckRetriesKnob) {
  sysctl().tcp_synack_retries = 2;
  Listen(16);
  Syn(1001);
  Run(seconds(20));
  EXPECT_EQ(Sent(1001).size(), 3u);  // 0, 1, 3 s; dropped at 7 s
  EXPECT_EQ(listener().request_count(), 0u);
  EXPECT_EQ(Count(Counter::kTcpExtTCPTimeouts), 3u);
}

// Queue pruning: while more than half of max(8, backlog) is in use and no request is young, the
// old ones' budget falls to 2 retransmissions. The queue length is looked at on each expiry, so
// the first four go after 2 re-sends (SYN-ACKs at 0, 1, 3 s; dropped at 7 s) and, with the queue
// down to half, the last four keep the full 5.
TEST_F(ListenQueue, PruningCutsOldRequestsWhenTheQueueIsCrowded) {
  Listen(8);
  for (uint16_t p = 1001; p <= 1008; ++p) Syn(p);  // 8 * 2 > max(8, 8)
  Run(seconds(8));
  EXPECT_EQ(listener().request_count(), 4u);
  Run(seconds(62));
  for (uint16_t p = 1001; p <= 1004; ++p) EXPECT_EQ(Sent(p).size(), 3u) << p;
  for (uint16_t p = 1005; p <= 1008; ++p) EXPECT_EQ(Sent(p).size(), 6u) << p;
}

TEST_F(ListenQueue, NoPruningAtHalfTheQueue) {
  Listen(4);
  for (uint16_t p = 1001; p <= 1004; ++p) Syn(p);  // 4 * 2 == 8: not more than half
  Run(seconds(70));
  for (uint16_t p = 1001; p <= 1004; ++p) EXPECT_EQ(Sent(p).size(), 6u) << p;
}

// tcp_conn_request step 4, cookies off: once fewer than a quarter of tcp_max_syn_backlog remain,
// only peers proven by an earlier connection get a request.
TEST_F(ListenQueue, MaxSynBacklogKeepsTheLastQuarterForProvenPeers) {
  sysctl().tcp_syncookies = 0;
  sysctl().tcp_max_syn_backlog = 8;
  Listen(100);
  for (uint16_t p = 1001; p <= 1007; ++p) Syn(p);  // 8 - 6 = 2 >= 8/4: the 7th still fits
  EXPECT_EQ(listener().request_count(), 7u);
  Syn(1008);
  EXPECT_TRUE(Sent(1008).empty());
  EXPECT_EQ(Count(Counter::kTcpExtListenDrops), 1u);
  EXPECT_EQ(Count(Counter::kTcpExtTCPReqQFullDrop), 0u);
}

TEST_F(ListenQueue, ProvenPeerPassesTheMaxSynBacklogRule) {
  sysctl().tcp_syncookies = 0;
  sysctl().tcp_max_syn_backlog = 8;
  Listen(100);
  // One whole connection with a measured RTT, closed by us first and ACKed: TIME_WAIT proves
  // the peer (tcp_time_wait -> tcp_update_metrics).
  CloseFirstIntoTimeWait(900);
  EXPECT_TRUE(pair_.stack().tcp().metrics().PeerIsProven(pair_.peer().ip()));
  for (uint16_t p = 1001; p <= 1008; ++p) Syn(p);
  EXPECT_EQ(listener().request_count(), 8u);
  EXPECT_EQ(Count(Counter::kTcpExtListenDrops), 0u);
}

// tcp_check_req: the original SYN again gets the SYN-ACK at once; a second one within
// tcp_invalid_ratelimit (500 ms) of that answer is skipped (TCPACKSkippedSynRecv).
TEST_F(ListenQueue, DuplicateSynIsAnsweredAtOnceButRateLimited) {
  Listen(16);
  Syn(1001);
  EXPECT_EQ(Sent(1001).size(), 1u);
  Run(milliseconds(300));
  Syn(1001);
  EXPECT_EQ(Sent(1001).size(), 1u);
  Run(milliseconds(200));
  Syn(1001);
  EXPECT_TRUE(Sent(1001).empty());
  EXPECT_EQ(Count(Counter::kTcpExtTCPACKSkippedSynRecv), 1u);
  Run(milliseconds(400));
  Syn(1001);
  EXPECT_EQ(Sent(1001).size(), 1u);
  EXPECT_EQ(Count(Counter::kTcpExtTCPSynRetrans), 2u);
}

// An ECN setup SYN (SYN|ECE|CWR) retransmitted is still the original SYN: tcp_check_req looks
// at RST, SYN and ACK only.
TEST_F(ListenQueue, DuplicateEcnSetupSynIsTheOriginalSyn) {
  Listen(16);
  Syn(1001);
  ASSERT_EQ(Sent(1001).size(), 1u);
  SegmentSpec s;
  s.src_port = 1001;
  s.dst_port = kPort;
  s.seq = kClientIsn;
  s.flags = wire::kSyn | wire::kEce | wire::kCwr;
  ASSERT_TRUE(pair_.Inject(s));
  Settle();
  const auto got = Sent(1001);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(IsSynAck(got[0]));
}

// inet_csk_listen_stop: close() resets the connections nobody accepted; a request's final ACK
// then finds no socket and gets RST.
TEST_F(ListenQueue, ClosingTheListenerResetsQueuedAndPending) {
  Listen(4);
  Handshake(1001);
  Syn(1002);
  const auto b = Sent(1002);
  ASSERT_EQ(b.size(), 1u);
  Sent(1001);
  ASSERT_EQ(api().Close(listen_fd_), 0);
  Settle();
  const auto rst = Sent(1001);
  ASSERT_EQ(rst.size(), 1u);
  EXPECT_TRUE(rst[0].flags & wire::kRst);
  Ack(1002, b[0].seq + 1);
  const auto rst2 = Sent(1002);
  ASSERT_EQ(rst2.size(), 1u);
  EXPECT_EQ(rst2[0].flags, wire::kRst);
}

// `ss`: SYN_RECV entries appear with their SYN-ACK timer and the SYN-ACKs re-sent (inet_diag's
// idiag_retrans for a request is num_retrans: by the timer or for a duplicate SYN).
TEST_F(ListenQueue, RequestsShowInSs) {
  Listen(16);
  Syn(1001);
  Run(milliseconds(200));
  Syn(1001);  // a duplicate SYN: its SYN-ACK counts as a retransmission too (num_retrans)
  Run(milliseconds(1300));  // and the timer's, 1 s after that answer
  const auto rows = tcp::DumpSockets(pair_.stack().tcp(), pair_.now());
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].state, std::string_view("SYN-RECV"));
  EXPECT_EQ(rows[1].remote_port, 1001);
  ASSERT_TRUE(rows[1].timer.has_value());
  EXPECT_EQ(rows[1].timer->retransmits, 2);
}

// A SYN reopening a TIME_WAIT 4-tuple skips the SYN-queue check (tcp_conn_request with isn set):
// with cookies off and the SYN queue full it still gets a request, at ISN = SND.NXT + 65537.
TEST_F(ListenQueue, TimeWaitReopenSkipsTheSynQueueCheck) {
  sysctl().tcp_syncookies = 0;
  Listen(1);
  const uint32_t iss = CloseFirstIntoTimeWait(900);
  Sent(900);
  Syn(1001);
  Syn(1002);
  ASSERT_EQ(listener().request_count(), 2u);  // full: 2 > backlog 1
  Syn(1003);
  EXPECT_TRUE(Sent(1003).empty());
  Syn(900, /*timestamps=*/false, 1460, kClientIsn + 100000);
  const auto got = Sent(900);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(IsSynAck(got[0]));
  EXPECT_EQ(got[0].seq, iss + 2 + 65537);
  EXPECT_EQ(listener().request_count(), 3u);
}

// --trace names each decision, with the counter it moved, so a student can follow a flood.
TEST_F(ListenQueue, TraceNamesEachDecision) {
  struct Recorder : TraceSink {
    void OnEvent(const TraceEvent& e) override {
      if (e.kind == TraceKind::kListen) {
        lines.push_back(std::string(e.what) + " " + std::string(e.detail) + " " +
                        std::to_string(e.remote_port));
      }
    }
    std::vector<std::string> lines;
  } rec;
  pair_.stack().set_trace(&rec);
  sysctl().tcp_synack_retries = 1;
  Listen(0);
  Syn(1001);
  Syn(1002);  // the SYN queue is full: a cookie
  const auto b = Sent(1002);
  ASSERT_EQ(b.size(), 1u);
  Ack(1002, b[0].seq + 1);
  Syn(1003);  // the accept queue is full now
  Run(seconds(4));
  pair_.stack().set_trace(nullptr);
  const std::vector<std::string> want = {"request  1001",
                                         "cookie SyncookiesSent 1002",
                                         "cookie_ok SyncookiesRecv 1002",
                                         "syn_dropped ListenOverflows 1003",
                                         "synack_retransmit TCPSynRetrans 1001",
                                         "request_expired TCPTimeouts 1001"};
  EXPECT_EQ(rec.lines, want);
}

// Options set on the listener after listen() reach the connections it makes next, as Linux's
// children copy the listening socket when they are created: here SO_RCVBUF sizes the SYN-ACK's
// window (tcp_openreq_init_rwin): 2 x 10000 B, in whole 1448-byte segments.
TEST_F(ListenQueue, OptionsSetAfterListenReachTheNextConnection) {
  Listen(16);
  ASSERT_EQ(api().SetSockOpt(listen_fd_, socket::kSolSocket, socket::kSoRcvBuf, 10000), 0);
  Syn(1001);
  const auto got = Sent(1001);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].window, 20000 / 1448 * 1448);
}

// The proven-peer memory is bounded: the oldest address goes first (tcp_metrics reclaims).
TEST(TcpMetrics, ForgetsTheOldestPeerWhenFull) {
  tcp::TcpMetrics m;
  for (uint32_t i = 0; i <= tcp::TcpMetrics::kCapacity; ++i) m.Update(wire::Ipv4Address{i + 1});
  EXPECT_EQ(m.size(), tcp::TcpMetrics::kCapacity);
  EXPECT_FALSE(m.PeerIsProven(wire::Ipv4Address{1}));
  EXPECT_TRUE(m.PeerIsProven(wire::Ipv4Address{2}));
  m.Update(wire::Ipv4Address{2});  // known already: nothing moves
  EXPECT_TRUE(m.PeerIsProven(wire::Ipv4Address{3}));
}

}  // namespace
}  // namespace taptcp::testing
