// The simulated network of the SYN-flood scenario (tests/scenario/syn_flood_test.cc), also run by
// tests/bench/listen_bench.cc:
//
//   server 192.0.2.20/24 ── 10 ms wire ── router 192.0.2.1 ─┬─ 198.18.0.1 ── 1000 clients
//   (taptcp Stack, echo                   (forwards by IP,  │               198.18.1.1 ..
//    app, backlog 128)                     drops the rest)  └─ the flood: SYNs "from"
//                                                              198.51.100.1-254 (TEST-NET-2)
//
// The flood is `syns` spoofed SYNs (spoofed_syn.h, Linux's SYN options) spread evenly over one
// second of virtual time from 100 ms on; the clients start 1 ms apart over the same second, and
// each connects to the echo port, sends 1 KiB, reads it back, checks it and closes.
//
// The spoofed sources are off-link for the server: like a host behind a router, it sends every
// SYN-ACK to the router's MAC (one ARP entry), and the router drops what it has no client for.
// That keeps the server's memory what it would be on a real network. Had the sources been on-link,
// each SYN-ACK would first wait on an ARP request that nobody answers, and the neighbour table
// (bounded by gc_thresh3) would be what the flood fills instead of the listen queues.
//
// The server's memory is counted by operator new (heap_arena.h, which the binary must link):
// every allocation made while the server stack or its app runs is charged to the server, whoever
// frees it; frames it hands to the wire are the simulator's (the wire copies them).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "stack/sim/network.h"
#include "stack/stack.h"
#include "tests/support/heap_arena.h"
#include "tests/support/spoofed_syn.h"
#include "tests/support/test_frames.h"

namespace taptcp::testing::synflood {

using wire::Ipv4Address;
using wire::MacAddress;

inline constexpr uint16_t kEchoPort = 7;
inline constexpr int kBacklog = 128;
inline constexpr int kClients = 1000;
inline constexpr size_t kEchoBytes = 1024;
inline constexpr Duration kOneWay = milliseconds(10);
inline constexpr Instant kFloodStart = kEpoch + milliseconds(100);
inline constexpr Duration kFloodLength = seconds(1);

inline const MacAddress kServerMac = *MacAddress::Parse("02:00:00:00:00:14");
inline const MacAddress kRouterMac = *MacAddress::Parse("02:00:00:00:00:01");
inline const MacAddress kRouterClientMac = *MacAddress::Parse("02:00:00:00:01:01");
inline const Ipv4Address kServerIp = Ipv4Address::FromOctets(192, 0, 2, 20);
inline const Ipv4Address kRouterIp = Ipv4Address::FromOctets(192, 0, 2, 1);
inline const Ipv4Address kRouterClientIp = Ipv4Address::FromOctets(198, 18, 0, 1);
inline const Ipv4Address kFirstClientIp = Ipv4Address::FromOctets(198, 18, 1, 1);

// The clients are 198.18.1.1 onwards (RFC 2544's benchmarking range, routed to the server).
inline bool IsClientIp(Ipv4Address a) {
  return a.value >= kFirstClientIp.value && a.value - kFirstClientIp.value < kClients;
}

inline uint8_t PatternByte(int client, size_t i) {
  return static_cast<uint8_t>(client * 31 + i * 7);
}

// The server's frames enter the wire outside the server's arena: the wire's copy is the wire's.
class ArenaLink final : public Link {
 public:
  explicit ArenaLink(Link* inner) : inner_(inner) {}
  void Transmit(std::span<const uint8_t> frame, Instant now) override {
    ArenaScope s(Arena::kOther);
    inner_->Transmit(frame, now);
  }
  void TransmitOffloaded(std::span<const uint8_t> frame, const wire::Offload& o,
                         Instant now) override {
    ArenaScope s(Arena::kOther);
    inner_->TransmitOffloaded(frame, o, now);
  }
  wire::LinkOffloads offloads() const override { return inner_->offloads(); }

 private:
  Link* inner_;
};

// The server: a Stack with an echo app (accept everything, send back what arrives, close on EOF),
// every step charged to the server arena. It also watches the listener after each step.
class ServerHost final : public Driveable {
 public:
  ServerHost(Link* wire, int syncookies) : link_(wire) {
    ArenaScope s(Arena::kServer);
    StackConfig c;
    c.mac = kServerMac;
    c.addr = kServerIp;
    c.gateway = kRouterIp;
    stack_ = std::make_unique<Stack>(c, &link_, kEpoch, 20);
    stack_->sysctl().tcp_syncookies = syncookies;
    socket::SocketApi& api = stack_->sockets();
    lfd_ = api.Socket();
    if (api.Bind(lfd_, {Ipv4Address::Any(), kEchoPort}) != 0 || api.Listen(lfd_, kBacklog) != 0) {
      lfd_ = -1;
    }
    listener_ = stack_->tcp().Listeners().front();
    buf_.resize(64 * 1024);
    conns_.reserve(256);
  }

  void Input(std::span<const uint8_t> frame, Instant now) override {
    ArenaScope s(Arena::kServer);
    stack_->Advance(now);  // timers first, so a new request entry shows as one more below
    const size_t before = listener_->request_count();
    if (IsSyn(frame)) ++syns_in;
    stack_->Input(frame, now);
    if (listener_->request_count() > before) requests_made += listener_->request_count() - before;
    if (listener_->request_count() > before && IsClientIp(SourceIp(frame))) {
      ++client_requests_made;
    }
    App();
  }
  void Advance(Instant now) override {
    ArenaScope s(Arena::kServer);
    stack_->Advance(now);
    App();
  }
  std::optional<Instant> NextDeadline() const override { return stack_->NextDeadline(); }

  Stack& stack() { return *stack_; }
  bool listening() const { return lfd_ >= 0; }

  uint64_t syns_in = 0, requests_made = 0, client_requests_made = 0, accepted = 0;
  uint64_t echoed_bytes = 0;
  size_t max_requests = 0, max_accept_queue = 0, max_connections = 0;

 private:
  static Ipv4Address SourceIp(std::span<const uint8_t> f) {
    return f.size() < 34 ? Ipv4Address{} : Ipv4Address::FromOctets(f[26], f[27], f[28], f[29]);
  }
  static bool IsSyn(std::span<const uint8_t> f) {
    // Ethernet, IPv4 without options (all this scenario sends), TCP flags byte.
    return f.size() >= 54 && f[12] == 0x08 && f[13] == 0x00 && f[23] == wire::kProtoTcp &&
           (f[47] & (wire::kSyn | wire::kAck)) == wire::kSyn;
  }

  void App() {
    socket::SocketApi& api = stack_->sockets();
    for (int fd : api.TakeChanged()) {
      if (fd == lfd_) {
        for (int c; (c = api.Accept(lfd_)) >= 0;) {
          conns_.insert(c);
          ++accepted;
          Echo(c);
        }
      } else if (conns_.contains(fd)) {
        Echo(fd);
      }
    }
    max_requests = std::max(max_requests, listener_->request_count());
    max_accept_queue = std::max(max_accept_queue, listener_->accept_queue_size());
    max_connections = std::max(max_connections, stack_->tcp().connection_count());
  }

  // Echoes what is readable. 1 KiB always fits the send buffer; were a send short, the client
  // would never read its 1 KiB back and would report the failure.
  void Echo(int fd) {
    socket::SocketApi& api = stack_->sockets();
    for (;;) {
      const int64_t n = api.Recv(fd, buf_);
      if (n > 0) {
        const int64_t sent =
            api.Send(fd, std::span<const uint8_t>(buf_.data(), static_cast<size_t>(n)));
        if (sent > 0) echoed_bytes += static_cast<uint64_t>(sent);
        continue;
      }
      if (n != -EAGAIN) {  // EOF or an error: done with it
        api.Close(fd);
        conns_.erase(fd);
      }
      return;
    }
  }

  ArenaLink link_;
  std::unique_ptr<Stack> stack_;
  int lfd_ = -1;
  const tcp::Listener* listener_ = nullptr;
  std::vector<uint8_t> buf_;
  absl::flat_hash_set<int> conns_;
};

// The legitimate clients: one taptcp Stack each, each behind its own router port. Their timers
// are kept in a set by deadline, so the simulator sees the whole fleet as one host whose next
// deadline is the earliest of theirs (the simulator asks every host on every event).
class Fleet {
 public:
  enum class Phase { kWaiting, kConnecting, kEchoing, kDone, kFailed };
  struct Client {
    Instant start;
    std::unique_ptr<Link> link;
    std::unique_ptr<Driveable> port;
    std::unique_ptr<Stack> stack;
    Phase phase = Phase::kWaiting;
    int fd = -1;
    int error = 0;
    size_t sent = 0, got = 0;
    std::vector<uint8_t> rx;
    Instant connected_at{}, done_at{};
    std::optional<Instant> key;  // its entry in deadlines_
  };

  // What a client transmits goes to on_frame(client, frame, now).
  using OnFrame = std::function<void(int, std::span<const uint8_t>, Instant)>;
  Fleet(int n, OnFrame on_frame) : clients_(n) {
    for (int i = 0; i < n; ++i) {
      Client& c = clients_[i];
      c.start = kFloodStart + kFloodLength * i / n + microseconds(500);
      c.link = std::make_unique<ClientLink>(on_frame, i);
      c.port = std::make_unique<Port>(this, i);
    }
  }

  static Ipv4Address Ip(int i) {
    return Ipv4Address{kFirstClientIp.value + static_cast<uint32_t>(i)};
  }
  static MacAddress Mac(int i) {
    MacAddress m = kRouterClientMac;
    m.bytes[3] = 2;
    m.bytes[4] = static_cast<uint8_t>(i >> 8);
    m.bytes[5] = static_cast<uint8_t>(i);
    return m;
  }
  int Index(Ipv4Address a) const {
    const int64_t i = static_cast<int64_t>(a.value) - kFirstClientIp.value;
    return i >= 0 && i < static_cast<int64_t>(clients_.size()) ? static_cast<int>(i) : -1;
  }
  Driveable* port(int i) { return clients_[i].port.get(); }
  const std::vector<Client>& clients() const { return clients_; }

  void Input(int i, std::span<const uint8_t> frame, Instant now) {
    Client& c = clients_[i];
    if (c.stack == nullptr) return;
    c.stack->Input(frame, now);
    Step(i, now);
  }

  std::optional<Instant> NextDeadline() const {
    std::optional<Instant> next;
    if (next_start_ < clients_.size()) next = clients_[next_start_].start;
    if (!deadlines_.empty() && (!next || deadlines_.begin()->first < *next)) {
      next = deadlines_.begin()->first;
    }
    return next;
  }

  void Advance(Instant now) {
    while (next_start_ < clients_.size() && clients_[next_start_].start <= now)
      Start(next_start_++, now);
    due_.clear();
    for (auto it = deadlines_.begin(); it != deadlines_.end() && it->first <= now; ++it) {
      due_.push_back(it->second);
    }
    for (int i : due_) {
      clients_[i].stack->Advance(now);
      Step(i, now);
    }
  }

 private:
  class ClientLink final : public Link {
   public:
    ClientLink(OnFrame f, int i) : f_(f), i_(i) {}
    void Transmit(std::span<const uint8_t> frame, Instant now) override { f_(i_, frame, now); }

   private:
    OnFrame f_;
    int i_;
  };
  class Port final : public Driveable {
   public:
    Port(Fleet* f, int i) : f_(f), i_(i) {}
    void Input(std::span<const uint8_t> frame, Instant now) override { f_->Input(i_, frame, now); }
    void Advance(Instant) override {}
    std::optional<Instant> NextDeadline() const override { return std::nullopt; }

   private:
    Fleet* f_;
    int i_;
  };

  void Start(size_t i, Instant now) {
    Client& c = clients_[i];
    StackConfig cfg;
    cfg.mac = Mac(static_cast<int>(i));
    cfg.addr = Ip(static_cast<int>(i));
    cfg.prefix_len = 15;
    cfg.gateway = kRouterClientIp;
    c.stack = std::make_unique<Stack>(cfg, c.link.get(), now, 1000 + i);
    c.rx.assign(kEchoBytes, 0);
    c.fd = c.stack->sockets().Socket();
    c.stack->sockets().Connect(c.fd, {kServerIp, kEchoPort});
    c.phase = Phase::kConnecting;
    Step(static_cast<int>(i), now);
  }

  // The client's app, run after each of its events: connect, send 1 KiB, read it back, close.
  void Step(int i, Instant now) {
    Client& c = clients_[i];
    socket::SocketApi& api = c.stack->sockets();
    if (c.phase == Phase::kConnecting) {
      const uint32_t ev = api.Poll(c.fd);
      if (ev & (socket::kErr | socket::kHup)) {
        api.GetSockOpt(c.fd, socket::kSolSocket, socket::kSoError, &c.error);
        c.phase = Phase::kFailed;
        c.done_at = now;
      } else if (ev & socket::kOut) {
        c.connected_at = now;
        c.phase = Phase::kEchoing;
      }
    }
    if (c.phase == Phase::kEchoing) {
      uint8_t out[kEchoBytes];
      for (size_t k = 0; k < kEchoBytes; ++k) out[k] = PatternByte(i, k);
      if (c.sent < kEchoBytes) {
        const int64_t n = api.Send(c.fd, std::span<const uint8_t>(out).subspan(c.sent));
        if (n > 0) c.sent += static_cast<size_t>(n);
      }
      for (int64_t n;
           c.got < kEchoBytes && (n = api.Recv(c.fd, std::span(c.rx).subspan(c.got))) != -EAGAIN;) {
        if (n <= 0) {
          c.error = n == 0 ? -1 : static_cast<int>(-n);
          c.phase = Phase::kFailed;
          c.done_at = now;
          break;
        }
        c.got += static_cast<size_t>(n);
      }
      if (c.phase == Phase::kEchoing && c.got == kEchoBytes) {
        c.phase = std::equal(c.rx.begin(), c.rx.end(), out) ? Phase::kDone : Phase::kFailed;
        c.done_at = now;
        api.Close(c.fd);
      }
    }
    // Re-file the client under its next deadline.
    if (c.key) deadlines_.erase({*c.key, i});
    c.key = c.stack->NextDeadline();
    if (c.key) deadlines_.insert({*c.key, i});
  }

  std::vector<Client> clients_;
  size_t next_start_ = 0;
  std::set<std::pair<Instant, int>> deadlines_;
  std::vector<int> due_;
};

// The router, and the flood behind it. Between the server and the clients it forwards by IPv4
// address (rewriting the Ethernet header; TTL is left alone); it answers ARP for its two addresses
// and drops whatever is addressed to nobody it knows: every SYN-ACK to a spoofed source.
class Router final : public Driveable {
 public:
  Router(sim::Network& net, uint64_t syns, uint64_t seed)
      : net_(net),
        syns_(syns),
        source_(seed),
        fleet_(kClients,
               [this](int i, std::span<const uint8_t> f, Instant now) { FromClient(i, f, now); }) {}

  void set_server_link(Link* l) { server_ = l; }
  Fleet& fleet() { return fleet_; }

  // From the server's wire.
  void Input(std::span<const uint8_t> frame, Instant now) override {
    if (auto reply = ArpReplyFor(frame, kRouterMac, kRouterIp)) {
      server_->Transmit(*reply, now);
      return;
    }
    if (frame.size() < 34 || frame[12] != 0x08 || frame[13] != 0x00) return;
    Ipv4Address dst;
    std::memcpy(&dst.value, frame.data() + 30, 4);
    dst.value = __builtin_bswap32(dst.value);
    const int i = fleet_.Index(dst);
    if (i < 0) {
      ++dropped;  // a SYN-ACK to a spoofed source
      return;
    }
    Forward(frame, Fleet::Mac(i), kRouterClientMac, &to_client_);
    fleet_.Input(i, to_client_, now);
  }

  std::optional<Instant> NextDeadline() const override {
    std::optional<Instant> next = fleet_.NextDeadline();
    if (!arp_sent_) return kEpoch;
    if (sent < syns_ && (!next || SynTime(sent) < *next)) next = SynTime(sent);
    return next;
  }

  void Advance(Instant now) override {
    if (!arp_sent_) {
      // Who has the server? Its answer teaches us nothing we need, but our request teaches the
      // server the router's MAC (arp_process), so the first SYN-ACK does not wait for ARP.
      arp_sent_ = true;
      server_->Transmit(ArpFrame(wire::kArpOpRequest, MacAddress::Broadcast(), kRouterMac,
                                 kRouterIp, MacAddress{}, kServerIp),
                        now);
    }
    uint8_t frame[kSynFrameMax];
    while (sent < syns_ && SynTime(sent) <= now) {
      const size_t n = WriteSynFrame(frame, kServerMac, kRouterMac, kServerIp, kEchoPort,
                                     source_.Next(), true, static_cast<uint16_t>(sent));
      server_->Transmit(std::span<const uint8_t>(frame, n), SynTime(sent));
      ++sent;
    }
    fleet_.Advance(now);
  }

  uint64_t sent = 0, dropped = 0;

 private:
  Instant SynTime(uint64_t k) const {
    return kFloodStart +
           Duration(static_cast<int64_t>(static_cast<__int128>(k) * kFloodLength.count() / syns_));
  }

  static void Forward(std::span<const uint8_t> frame, MacAddress dst, MacAddress src,
                      std::vector<uint8_t>* out) {
    out->assign(frame.begin(), frame.end());
    std::copy(dst.bytes.begin(), dst.bytes.end(), out->begin());
    std::copy(src.bytes.begin(), src.bytes.end(), out->begin() + 6);
  }

  // From client i (called inside the client's transmit: nothing may re-enter that client now).
  void FromClient(int i, std::span<const uint8_t> frame, Instant now) {
    if (auto reply = ArpReplyFor(frame, kRouterClientMac, kRouterClientIp)) {
      net_.Deliver(fleet_.port(i), *reply, now);
      return;
    }
    Forward(frame, kServerMac, kRouterMac, &to_server_);
    server_->Transmit(to_server_, now);
  }

  sim::Network& net_;
  uint64_t syns_;
  SpoofedSynSource source_;
  Fleet fleet_;
  Link* server_ = nullptr;
  bool arp_sent_ = false;
  // Two buffers: a client may answer (to_server_) while it still reads its frame (to_client_).
  std::vector<uint8_t> to_client_, to_server_;
};

struct FloodResult {
  bool listening = false;  // the server's listen() worked
  uint64_t syns = 0, completed = 0, failed = 0;
  std::map<int, int> errors;  // errno (or -1: early EOF) -> clients
  Duration median_connect{}, max_connect{};
  std::map<int, int>
      connect_seconds;  // whole seconds from a client's start to connected -> clients
  std::map<std::string, uint64_t> counters;
  int64_t baseline_bytes = 0, peak_growth_bytes = 0, peak_growth_chunk_bytes = 0;
  int64_t growth_after_bytes = 0;  // live beyond the baseline once every request expired
  size_t max_requests = 0, max_accept_queue = 0, max_connections = 0;
  uint64_t syns_in = 0, requests_made = 0, client_requests_made = 0;
  uint64_t router_dropped = 0, echoed_bytes = 0;
  double wall_seconds = 0;

  bool operator==(const FloodResult& o) const {
    return syns == o.syns && completed == o.completed && failed == o.failed && errors == o.errors &&
           median_connect == o.median_connect && max_connect == o.max_connect &&
           connect_seconds == o.connect_seconds && counters == o.counters &&
           max_requests == o.max_requests && syns_in == o.syns_in &&
           requests_made == o.requests_made && client_requests_made == o.client_requests_made;
  }
};

inline constexpr Counter kReported[] = {
    Counter::kTcpExtSyncookiesSent,
    Counter::kTcpExtSyncookiesRecv,
    Counter::kTcpExtSyncookiesFailed,
    Counter::kTcpExtTCPReqQFullDoCookies,
    Counter::kTcpExtTCPReqQFullDrop,
    Counter::kTcpExtListenOverflows,
    Counter::kTcpExtListenDrops,
    Counter::kTcpPassiveOpens,
    Counter::kTcpExtTCPTimeouts,
    Counter::kTcpRetransSegs,
    Counter::kTcpExtTCPSynRetrans,
    Counter::kTcpOutRsts,
    Counter::kTcpInSegs,
    Counter::kTcpOutSegs,
};

inline FloodResult RunFlood(int syncookies, uint64_t syns, uint64_t seed) {
  const auto wall = std::chrono::steady_clock::now();
  sim::Network net(seed);
  Router router(net, syns, seed);
  sim::SimLink& wire = net.Connect(nullptr, &router, sim::Impairments{.delay = kOneWay});
  ServerHost server(wire.end(0), syncookies);
  wire.Attach(0, &server);
  net.AddHost(&server);
  router.set_server_link(wire.end(1));

  // Let ARP settle, then count the server's heap from here.
  net.RunUntil(kFloodStart - milliseconds(1));
  FloodResult r;
  r.syns = syns;
  r.listening = server.listening();
  r.baseline_bytes = Usage(Arena::kServer).live_bytes;
  const int64_t baseline_chunk = Usage(Arena::kServer).live_chunk_bytes;
  ResetPeak(Arena::kServer);

  const auto& clients = router.fleet().clients();
  auto settled = [&] {
    return std::all_of(clients.begin(), clients.end(), [](const Fleet::Client& c) {
      return c.phase == Fleet::Phase::kDone || c.phase == Fleet::Phase::kFailed;
    });
  };
  net.RunUntil(settled, kFloodStart + seconds(200));
  net.RunFor(seconds(5));  // the last closes
  const ArenaUsage during = Usage(Arena::kServer);
  // Request entries live at most about 63 s (tcp_synack_retries): all gone after this.
  net.RunFor(seconds(70));
  r.growth_after_bytes = Usage(Arena::kServer).live_bytes - r.baseline_bytes;
  r.peak_growth_bytes = during.peak_bytes - r.baseline_bytes;
  r.peak_growth_chunk_bytes = during.peak_chunk_bytes - baseline_chunk;

  std::vector<Duration> connect;
  for (const Fleet::Client& c : clients) {
    if (c.phase == Fleet::Phase::kDone) {
      ++r.completed;
      connect.push_back(c.connected_at - c.start);
      ++r.connect_seconds[static_cast<int>((c.connected_at - c.start) / seconds(1))];
    } else {
      ++r.failed;
      ++r.errors[c.error];
    }
  }
  std::sort(connect.begin(), connect.end());
  if (!connect.empty()) {
    r.median_connect = connect[connect.size() / 2];
    r.max_connect = connect.back();
  }
  for (Counter c : kReported) r.counters[std::string(Mib::Name(c))] = server.stack().mib().Get(c);
  r.max_requests = server.max_requests;
  r.max_accept_queue = server.max_accept_queue;
  r.max_connections = server.max_connections;
  r.syns_in = server.syns_in;
  r.requests_made = server.requests_made;
  r.client_requests_made = server.client_requests_made;
  r.router_dropped = router.dropped;
  r.echoed_bytes = server.echoed_bytes;
  r.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall).count();
  return r;
}

// Counts the frames it is given and keeps nothing (so it allocates nothing).
class CountingLink final : public Link {
 public:
  void Transmit(std::span<const uint8_t>, Instant) override { ++frames; }
  uint64_t frames = 0;
};

}  // namespace taptcp::testing::synflood
