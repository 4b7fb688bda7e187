#include "tests/fuzz/tcp_stack_harness.h"

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "stack/wire/bytes.h"
#include "stack/wire/checksum.h"
#include "stack/wire/frame.h"

namespace taptcp::fuzz {

const char* g_pcap_path = nullptr;
bool g_verbose = false;
bool g_known_bugs = false;

void Fail(const char* file, int line, const char* cond, const char* fmt, ...) {
  std::fprintf(stderr, "%s:%d: invariant violated: %s: ", file, line, cond);
  va_list ap;
  va_start(ap, fmt);
  std::vfprintf(stderr, fmt, ap);
  va_end(ap);
  std::fputc('\n', stderr);
  std::abort();
}

// A raw frame's IPv4 header checksum and ICMP or TCP checksum, rewritten (unless the op asks for
// broken ones) so raw frames reach ICMP, IP options and the TCP paths past the checksum.
void RepairChecksums(std::vector<uint8_t>& f) {
  if (f.size() < wire::kEthernetHeaderSize + wire::kIpv4MinHeaderSize) return;
  if (wire::Load16(f.data() + 12) != wire::kIpv4) return;
  uint8_t* ip = f.data() + wire::kEthernetHeaderSize;
  const size_t avail = f.size() - wire::kEthernetHeaderSize;
  const size_t ihl = size_t{ip[0] & 0x0Fu} * 4;
  if (ihl < wire::kIpv4MinHeaderSize || ihl > avail) return;
  const size_t total = wire::Load16(ip + 2);
  if (total >= ihl && total <= avail) {
    uint8_t* l4 = ip + ihl;
    const size_t len = total - ihl;
    if (ip[9] == wire::kProtoIcmp && len >= 4) {
      wire::Store16(l4 + 2, 0);
      wire::Store16(l4 + 2, wire::InternetChecksum({l4, len}));
    } else if (ip[9] == wire::kProtoTcp && len >= 18) {
      wire::Store16(l4 + 16, 0);
      wire::Checksum c;
      c.AddPseudoHeader(wire::Ipv4Address{wire::Load32(ip + 12)},
                        wire::Ipv4Address{wire::Load32(ip + 16)}, wire::kProtoTcp,
                        static_cast<uint16_t>(len));
      c.Add({l4, len});
      wire::Store16(l4 + 16, c.Finish());
    }
  }
  wire::Store16(ip + 10, 0);
  wire::Store16(ip + 10, wire::InternetChecksum({ip, ihl}));
}

Harness::Harness() {
  StackConfig cfg;
  cfg.mac = kHostMac;
  cfg.addr = kHostIp;
  cfg.mtu = kMtu;
  if (g_pcap_path != nullptr) {
    auto w = capture::PcapWriter::Open(g_pcap_path);
    if (w.ok()) {
      pcap_ = std::move(*w);
    } else {
      std::fprintf(stderr, "tcp_stack_fuzz: %s\n", std::string(w.status().message()).c_str());
    }
  }
  stack_ = std::make_unique<Stack>(cfg, this, kEpoch, /*seed=*/1);
  if (g_verbose) stack_->set_trace(this);
  // The peer's MAC, taught the way the kernel would: an ARP request for the host.
  InjectArp(wire::kArpOpRequest, wire::MacAddress::Broadcast());
  for (uint16_t port : {kEchoPort, kDiscardPort}) Listen(port);
  Reconnect();
}

// The stack first: it may still transmit while it tears down.
Harness::~Harness() { stack_.reset(); }

void Harness::InjectArp(uint16_t op, wire::MacAddress to) {
  std::vector<uint8_t> arp(wire::kMinEthernetFrame, 0);
  const size_t n = wire::WriteEthernetHeader(arp, to, kPeerMac, wire::kArp);
  wire::WriteArp(std::span<uint8_t>(arp).subspan(n), op, kPeerMac, kPeerIp,
                 op == wire::kArpOpReply ? kHostMac : wire::MacAddress{}, kHostIp);
  Capture(arp, now_);
  stack_->Input(arp, now_);
}

void Harness::Listen(uint16_t port) {
  const int fd = api().Socket();
  if (next_rcvbuf_ > 0) api().SetSockOpt(fd, socket::kSolSocket, socket::kSoRcvBuf, next_rcvbuf_);
  if (next_sndbuf_ > 0) api().SetSockOpt(fd, socket::kSolSocket, socket::kSoSndBuf, next_sndbuf_);
  api().SetSockOpt(fd, socket::kSolSocket, socket::kSoReuseAddr, 1);
  if (api().Bind(fd, {wire::Ipv4Address::Any(), port}) != 0 || api().Listen(fd, kBacklog) != 0) {
    api().Close(fd);
    return;
  }
  listeners_[port] = fd;
}

void Harness::Reconnect() {
  if (client_fd_ >= 0) {
    api().Close(client_fd_);
    socks_.erase(client_fd_);
  }
  client_fd_ = api().Socket();
  if (next_rcvbuf_ > 0) {
    api().SetSockOpt(client_fd_, socket::kSolSocket, socket::kSoRcvBuf, next_rcvbuf_);
  }
  if (next_sndbuf_ > 0) {
    api().SetSockOpt(client_fd_, socket::kSolSocket, socket::kSoSndBuf, next_sndbuf_);
  }
  views_[kClientTarget] = TupleView{};
  connecting_ = true;  // the SYN goes out inside connect(): Transmit learns the port from it
  if (api().Connect(client_fd_, {kPeerIp, kClientPeerPort}) == -EINPROGRESS) ++connects_;
  connecting_ = false;
  socket::SockAddr local;
  if (api().GetSockName(client_fd_, &local) == 0 && local.port != 0) client_port_ = local.port;
  AppSock s;
  s.target = kClientTarget;
  socks_[client_fd_] = s;
  AnswerArp();
}

// The apps: echo on 7 (reads, echoes everything, closes after EOF), discard on 9 (reads, closes on
// EOF), the client (reads; closes only when told).
void Harness::Service() {
  for (const auto& [port, lfd] : listeners_) {
    if (accept_paused_[port]) continue;
    socket::SockAddr peer;
    for (int fd; (fd = api().Accept(lfd, &peer)) >= 0;) {
      AppSock s;
      s.target = static_cast<uint8_t>(TargetOf(port, peer.port));
      FUZZ_CHECK(TargetOf(port, peer.port) >= 0, "accepted a 4-tuple nobody used: port %u",
                 peer.port);
      s.echo = port == kEchoPort;
      socks_[fd] = s;
    }
  }
  for (auto it = socks_.begin(); it != socks_.end();) {
    ServiceSock(it->first, it->second);
    const AppSock& s = it->second;
    if (it->first != client_fd_ && s.eof && s.pending.empty()) {
      api().Close(it->first);
      it = socks_.erase(it);
    } else {
      ++it;
    }
  }
  AnswerArp();
}

void Harness::ServiceSock(int fd, AppSock& s) {
  if (!s.keyed) {
    socket::SockAddr local, peer;
    if (api().GetSockName(fd, &local) == 0 && api().GetPeerName(fd, &peer) == 0) {
      const Connection* c = FindConnection(local.port, peer.port);
      if (c != nullptr && c->state() != State::kSynSent && c->state() != State::kSynReceived) {
        s.keyed = true;
        s.key = {local.port, peer.port, c->iss().value()};
        s.irs = c->irs();
      }
    }
  }
  Account* acct = s.keyed ? &accounts_[s.key] : nullptr;
  auto send = [&](std::span<const uint8_t> data) -> size_t {
    const int64_t n = api().Send(fd, data);
    if (n < 0 && n != -EAGAIN) return data.size();  // the connection is gone: drop it
    if (n <= 0) return 0;
    if (acct != nullptr) acct->written += static_cast<uint64_t>(n);
    return static_cast<size_t>(n);
  };
  if (!s.pending.empty()) {
    const size_t n = send(s.pending);
    s.pending.erase(s.pending.begin(), s.pending.begin() + static_cast<ptrdiff_t>(n));
  }
  if (s.paused || !s.pending.empty()) return;
  uint8_t buf[2048];
  // Readiness agrees with recv(): EPOLLIN exactly when a read would not say EAGAIN.
  const bool readable = api().Poll(fd) & socket::kIn;
  for (bool first = true; s.pending.empty(); first = false) {
    const int64_t n = api().Recv(fd, buf);
    if (first && n >= 0)
      FUZZ_CHECK(readable, "target %u: recv() gave %lld, poll() no EPOLLIN", s.target,
                 static_cast<long long>(n));
    if (first && n == -EAGAIN)
      FUZZ_CHECK(!readable, "target %u: poll() EPOLLIN, recv() EAGAIN", s.target);
    if (n == -EAGAIN) break;
    if (n <= 0) {
      s.eof = true;
      break;
    }
    const std::span<const uint8_t> got(buf, static_cast<size_t>(n));
    if (acct != nullptr) {
      if (!views_[s.target].raw_in) {
        for (size_t j = 0; j < got.size(); ++j) {
          const uint32_t seq = (s.irs + 1 + static_cast<uint32_t>(acct->read + j)).value();
          FUZZ_CHECK(got[j] == PatternByte(seq), "target %u read byte %llu: got %u, sent %u",
                     s.target, static_cast<unsigned long long>(acct->read + j), got[j],
                     PatternByte(seq));
        }
      }
      acct->read += got.size();
    }
    if (s.echo) {
      const size_t sent = send(got);
      s.pending.assign(got.begin() + static_cast<ptrdiff_t>(sent), got.end());
    }
  }
}

void Harness::DoApp(const Op& op) {
  const uint8_t t = op.target;
  const int fd = t == kClientTarget ? client_fd_ : SockOf(t);
  const uint16_t port = HostPortOf(t);
  switch (op.app_call()) {
    case AppCall::kSend: {
      if (fd < 0) break;
      std::vector<uint8_t> data(op.len);
      for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7);
      views_[t].app_out = true;  // the echo stream gets bytes of the app's own
      AppSock& s = socks_[fd];
      s.pending.insert(s.pending.end(), data.begin(), data.end());
      ServiceSock(fd, s);
      break;
    }
    case AppCall::kShutdownWr:
      if (fd >= 0) api().Shutdown(fd, socket::kShutWr);
      break;
    case AppCall::kShutdownRd:
      if (fd >= 0) api().Shutdown(fd, socket::kShutRd);
      break;
    case AppCall::kAbort:
      if (fd >= 0) api().SetLinger(fd, true, 0);
      [[fallthrough]];
    case AppCall::kClose:
      if (fd >= 0) {
        api().Close(fd);
        socks_.erase(fd);
        if (fd == client_fd_) client_fd_ = -1;
      }
      break;
    case AppCall::kPauseRead:
      if (fd >= 0) {
        socks_[fd].paused = !socks_[fd].paused;
      } else if (port != 0) {
        accept_paused_[port] = !accept_paused_[port];  // no socket: pause accept() instead
      }
      break;
    case AppCall::kRcvBuf:
    case AppCall::kSndBuf: {
      const bool rcv = op.app_call() == AppCall::kRcvBuf;
      (rcv ? next_rcvbuf_ : next_sndbuf_) = op.len;
      if (fd >= 0) {
        api().SetSockOpt(fd, socket::kSolSocket, rcv ? socket::kSoRcvBuf : socket::kSoSndBuf,
                         op.len);
      }
      break;
    }
    case AppCall::kNoDelay:
      if (fd >= 0) api().SetSockOpt(fd, socket::kIpProtoTcp, socket::kTcpNoDelay, op.len & 1);
      break;
    case AppCall::kKeepalive:
      if (fd >= 0) {
        api().SetSockOpt(fd, socket::kIpProtoTcp, socket::kTcpKeepIdle, 1 + op.len % 120);
        api().SetSockOpt(fd, socket::kIpProtoTcp, socket::kTcpKeepIntvl, 1);
        api().SetSockOpt(fd, socket::kIpProtoTcp, socket::kTcpKeepCnt, 1 + op.len % 4);
        api().SetSockOpt(fd, socket::kSolSocket, socket::kSoKeepAlive, 1);
      }
      break;
    case AppCall::kReconnect:
      Reconnect();
      break;
    case AppCall::kRelisten:
      if (port == 0) break;
      if (auto it = listeners_.find(port); it != listeners_.end()) {
        api().Close(it->second);
        listeners_.erase(it);
        if (port == kClosedPort) break;  // port 22 toggles
      }
      Listen(port);
      break;
    case AppCall::kCount:
      break;
  }
  AnswerArp();
}

// A segment from the peer, built by hand so options can be any bytes at all.
void Harness::DoSegment(const Op& op) {
  const uint8_t t = op.target;
  TupleView& v = views_[t];
  const uint16_t host_port = HostPort(t) != 0 ? HostPort(t) : 80;
  const uint16_t peer_port = PeerPortOf(t);
  const auto abs = [](int16_t d) {
    return Seq(static_cast<uint32_t>(static_cast<uint16_t>(d)) << 16);
  };
  Seq seq = abs(op.seq_delta);
  const Seq host_ack = v.host_acked ? v.host_ack : v.peer_sent ? v.peer_next : seq;
  const Seq peer_next = v.peer_sent ? v.peer_next : host_ack;
  switch (op.seq_base) {
    case SeqBase::kAbsolute:
      break;
    case SeqBase::kHostAck:
      seq = host_ack + static_cast<uint32_t>(op.seq_delta);
      break;
    case SeqBase::kPeerNext:
      seq = peer_next + static_cast<uint32_t>(op.seq_delta);
      break;
    case SeqBase::kHostAck64:
      seq = host_ack + static_cast<uint32_t>(op.seq_delta * 64);
      break;
  }
  Seq ack = abs(op.ack_delta);
  const Seq host_max = v.host_sent ? v.host_max : ack;
  switch (op.ack_base) {
    case AckBase::kAbsolute:
      break;
    case AckBase::kHostMax:
      ack = host_max + static_cast<uint32_t>(op.ack_delta);
      break;
    case AckBase::kPeerLast:
      ack = (v.peer_acked ? v.peer_last_ack : host_max) + static_cast<uint32_t>(op.ack_delta);
      break;
    case AckBase::kHostMax64:
      ack = host_max + static_cast<uint32_t>(op.ack_delta * 64);
      break;
  }
  // Options in Linux's order, NOP padded, then the raw bytes; cut at 40.
  std::vector<uint8_t> o;
  auto put32 = [&o](uint32_t x) {
    for (int i = 3; i >= 0; --i) o.push_back(static_cast<uint8_t>(x >> (8 * i)));
  };
  if (op.options & kOptMss) {
    const uint16_t mss = MssValue(op.mss);
    o.insert(o.end(), {2, 4, static_cast<uint8_t>(mss >> 8), static_cast<uint8_t>(mss)});
  }
  const bool sack_ok = op.options & kOptSackPermitted;
  if (op.options & kOptTimestamp) {
    o.insert(o.end(),
             sack_ok ? std::initializer_list<uint8_t>{4, 2} : std::initializer_list<uint8_t>{1, 1});
    o.insert(o.end(), {8, 10});
    const auto ms = std::chrono::duration_cast<milliseconds>(now_ - kEpoch).count();
    put32(kPeerTsStart + static_cast<uint32_t>(ms) + static_cast<uint32_t>(op.ts_delta * 64));
    put32((op.wscale & 16) ? 0 : v.host_tsval);
  } else if (sack_ok) {
    o.insert(o.end(), {1, 1, 4, 2});
  }
  if (op.options & kOptWscale) o.insert(o.end(), {1, 3, 3, static_cast<uint8_t>(op.wscale & 15)});
  if (op.sack_count > 0) {
    o.insert(o.end(), {1, 1, 5, static_cast<uint8_t>(2 + 8 * op.sack_count)});
    for (size_t i = 0; i < op.sack_count; ++i) {
      const Seq left = ack + static_cast<uint32_t>(op.sacks[i].start);
      put32(left.value());
      put32((left + op.sacks[i].length).value());
    }
  }
  o.insert(o.end(), op.raw_options.begin(), op.raw_options.end());
  if (o.size() > 40) o.resize(40);
  o.resize((o.size() + 3) & ~size_t{3}, 0);
  const size_t header = 20 + o.size();
  size_t len = op.raw_payload ? op.payload.size() : op.len;
  len = std::min<size_t>(len, kMtu - 20 - header);
  std::vector<uint8_t> f(wire::kEthernetHeaderSize + 20 + header + len);
  size_t n = wire::WriteEthernetHeader(f, kHostMac, kPeerMac, wire::kIpv4);
  wire::Ipv4HeaderFields h;
  h.src = kPeerIp;
  h.dst = kHostIp;
  h.protocol = wire::kProtoTcp;
  n += wire::WriteIpv4Header(std::span<uint8_t>(f).subspan(n), h,
                             static_cast<uint16_t>(header + len));
  uint8_t* tcp = f.data() + n;
  wire::Store16(tcp, peer_port);
  wire::Store16(tcp + 2, host_port);
  wire::Store32(tcp + 4, seq.value());
  wire::Store32(tcp + 8, ack.value());
  tcp[12] = static_cast<uint8_t>((header / 4) << 4);
  tcp[13] = op.flags;
  wire::Store16(tcp + 14, op.window);
  std::copy(o.begin(), o.end(), tcp + 20);
  const bool syn = op.flags & wire::kSyn;
  if (op.raw_payload) {
    std::copy(op.payload.begin(), op.payload.begin() + static_cast<ptrdiff_t>(len), tcp + header);
    if (len > 0) v.raw_in = true;
  } else {
    const Seq first = seq + (syn ? 1 : 0);
    for (size_t j = 0; j < len; ++j)
      tcp[header + j] = PatternByte((first + static_cast<uint32_t>(j)).value());
  }
  wire::Checksum sum;
  sum.AddPseudoHeader(kPeerIp, kHostIp, wire::kProtoTcp, static_cast<uint16_t>(header + len));
  sum.Add(std::span<const uint8_t>(tcp, header + len));
  wire::Store16(tcp + 16, static_cast<uint16_t>(sum.Finish() ^ (op.bad_checksum ? 0x5a5a : 0)));
  if (f.size() < wire::kMinEthernetFrame) f.resize(wire::kMinEthernetFrame, 0);

  const Seq end =
      seq + static_cast<uint32_t>(len) + (syn ? 1 : 0) + ((op.flags & wire::kFin) ? 1 : 0);
  if (!op.bad_checksum) {
    if (syn || !v.peer_sent || end > v.peer_next) v.peer_next = end;
    v.peer_sent = true;
    if (op.flags & wire::kAck) {
      v.peer_last_ack = ack;
      v.peer_acked = true;
    }
  }
  Input(f);
}

void Harness::Drain(int steps) {
  for (int i = 0; i < steps; ++i) {
    AdvanceTo(now_ + minutes(20));
    Service();
    Check(false, false, false);
  }
}

void Harness::Run(std::span<const uint8_t> in) {
  Service();
  Check(false, false, false);
  Op op;
  int index = 0;
  while (NextOp(in, &op)) {
    if (g_verbose) std::fprintf(stderr, "op %d: %s\n", index, Describe(op).c_str());
    ++index;
    AdvanceTo(now_ + milliseconds(DelayMs(op)));
    Service();
    switch (op.kind) {
      case OpKind::kSegment:
        DoSegment(op);
        break;
      case OpKind::kApp:
        DoApp(op);
        break;
      case OpKind::kWait:
        if (const std::optional<Instant> next = stack_->NextDeadline()) AdvanceTo(*next);
        break;
      case OpKind::kRawFrame: {
        std::vector<uint8_t> frame(op.payload.begin(), op.payload.end());
        if (!op.bad_checksum) RepairChecksums(frame);
        in_raw_frame_ = true;
        Input(frame);
        in_raw_frame_ = false;
        break;
      }
    }
    Service();
    Check(op.kind == OpKind::kSegment, op.kind == OpKind::kRawFrame,
          op.kind == OpKind::kSegment && op.bad_checksum);
  }
  // Hours of silence: retransmissions give up, keepalives and TIME_WAIT run out.
  Drain(8);
  // Then everything closes, and after hours more nothing may be left.
  for (const auto& [fd, s] : socks_) api().Close(fd);
  socks_.clear();
  client_fd_ = -1;
  for (const auto& [port, fd] : listeners_) api().Close(fd);
  listeners_.clear();
  AnswerArp();
  Drain(12);
  FUZZ_CHECK(stack_->tcp().connection_count() == 0,
             "%zu connections outlived 4 hours of silence after close()",
             stack_->tcp().connection_count());
  FUZZ_CHECK(api().open_count() == 0, "%zu sockets open after close()", api().open_count());
  FUZZ_CHECK(stack_->wheel().armed_count() <= stack_->arp().size(),
             "%zu timers armed with no connection left", stack_->wheel().armed_count());
}

}  // namespace taptcp::fuzz
