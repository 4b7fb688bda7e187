#include "stack/tcp/tcp_layer.h"

#include <cerrno>
#include <cstring>

namespace taptcp::tcp {

using wire::DropReason;

TcpLayer::TcpLayer(net::NetContext& ctx, net::Ipv4& ip, uint64_t seed)
    : ctx_(ctx),
      ip_(ip),
      isn_(seed),
      cookies_(seed ^ 0x636f6f6b6965ull),
      ports_(seed ^ 0x706f727473ull) {
  ip_.Register(wire::kProtoTcp, this);
}

TcpLayer::~TcpLayer() {
  // Listeners hold pointers into conns_; drop them first.
  listeners_.clear();
  conns_.clear();
  closed_.clear();
}

uint8_t TcpLayer::ReceiveWindowScale() const {
  uint64_t space = static_cast<uint64_t>(ctx_.sysctl.tcp_rmem[2]);
  uint8_t shift = 0;
  while (space > 65535 && shift < 14) {
    space >>= 1;
    ++shift;
  }
  return shift;
}

uint32_t TcpLayer::TimestampOffset(const FourTuple& t) const {
  return ctx_.sysctl.tcp_timestamps == 1 ? isn_.TimestampOffset(t) : 0;
}

uint32_t TcpLayer::mtu_mss() const { return static_cast<uint32_t>(ip_.max_payload()) - 20; }

// tcp_v4_rcv: count, check, find the socket, hand over.
void TcpLayer::OnIpv4(const wire::Ipv4View& ip, bool local_broadcast,
                      const wire::Offload& offload) {
  if (local_broadcast) {
    ctx_.mib.Inc(Counter::kTcpInSegs);
    ctx_.Drop(DropReason::kTcpNotUnicast, ip.src());
    return;
  }
  wire::TcpView view;
  // A partial checksum never crossed a wire: trusted, as Linux trusts CHECKSUM_PARTIAL.
  if (DropReason r = wire::TcpView::Parse(ip.payload(), ip.src(), ip.dst(), &view,
                                          /*verify_checksum=*/!offload.csum_partial);
      r != DropReason::kNone) {
    ctx_.mib.Inc(Counter::kTcpInSegs);
    if (r == DropReason::kTcpBadChecksum) ctx_.mib.Inc(Counter::kTcpInCsumErrors);
    ctx_.mib.Inc(Counter::kTcpInErrs);
    ctx_.Drop(r, ip.src());
    return;
  }
  Segment seg;
  seg.seq = Seq(view.seq());
  seg.ack = Seq(view.ack());
  seg.flags = view.flags();
  seg.window = view.window();
  seg.options = &view.options();
  seg.payload = view.payload();
  // A super-segment (GRO) counts as the segments it was made of (tcp_v4_rcv adds gso_segs).
  seg.gso_segs = static_cast<uint16_t>(wire::GsoSegments(seg.payload.size(), offload.gso_size));
  ctx_.mib.Inc(Counter::kTcpInSegs, seg.gso_segs);
  const FourTuple t{ip.dst(), view.dst_port(), ip.src(), view.src_port()};
  if (auto it = conns_.find(t); it != conns_.end()) {
    it->second->OnSegment(seg);
  } else if (auto l = listeners_.find(t.local_port); l != listeners_.end()) {
    l->second->OnSegment(t, seg);
  } else if (!seg.rst()) {
    SendResetFor(t, seg);
  }
  CollectGarbage();
}

// RFC 9293 §3.10.7.1 (Linux tcp_v4_send_reset): a segment with an ACK gets <SEQ=SEG.ACK><RST>;
// one without gets <SEQ=0><ACK=SEG.SEQ+SEG.LEN><RST,ACK>. Never a RST for a RST.
void TcpLayer::SendResetFor(const FourTuple& t, const Segment& seg) {
  if (seg.rst()) return;
  wire::TcpHeaderFields h;
  h.src_port = t.local_port;
  h.dst_port = t.remote_port;
  if (seg.has_ack()) {
    h.seq = seg.ack.value();
    h.flags = wire::kRst;
  } else {
    h.seq = 0;
    h.ack = (seg.seq + seg.len()).value();
    h.flags = wire::kRst | wire::kAck;
  }
  h.window = 0;
  ctx_.mib.Inc(Counter::kTcpOutRsts);
  Transmit(t, h, wire::TcpOptions{}, {});
}

uint32_t TcpLayer::Transmit(const FourTuple& t, const wire::TcpHeaderFields& h,
                            const wire::TcpOptions& o, std::span<const uint8_t> a,
                            std::span<const uint8_t> b, uint16_t gso_size) {
  const wire::LinkOffloads link = offloads();
  if (!link.tso) gso_size = 0;
  std::span<uint8_t> out = gso_size > 0 ? ip_.GsoPayloadBuffer() : ip_.PayloadBuffer();
  const size_t header = 20 + wire::TcpOptionsSize(o);
  const size_t len = a.size() + b.size();
  if (header + len > out.size()) {
    // Segments are sized to the MTU (CurrentMss), so this is a bug; never drop silently.
    ctx_.mib.Inc(Counter::kIpOutDiscards);
    ctx_.Emit(TraceKind::kDrop, "tcp_segment_exceeds_mtu", t.remote_ip);
    return 0;
  }
  // Lay the payload where the segment's data goes, so WriteTcpSegment checksums it in place.
  if (!a.empty()) std::memcpy(out.data() + header, a.data(), a.size());
  if (!b.empty()) std::memcpy(out.data() + header + a.size(), b.data(), b.size());
  net::Ipv4SendOptions send;
  send.offload.csum_partial = link.tx_csum;
  if (gso_size > 0 && len > gso_size) send.offload.gso_size = gso_size;
  send.segments = wire::GsoSegments(len, send.offload.gso_size);
  const size_t n =
      wire::WriteTcpSegment(out, t.local_ip, t.remote_ip, h, o,
                            std::span<const uint8_t>(out.data() + header, len), link.tx_csum);
  if (n == 0) return 0;
  ctx_.mib.Inc(Counter::kTcpOutSegs, send.segments);
  ip_.Send(t.remote_ip, wire::kProtoTcp, n, send);
  return send.segments;
}

bool TcpLayer::PortInUse(uint16_t port) const {
  if (listeners_.contains(port)) return true;
  for (const auto& [t, c] : conns_) {
    if (t.local_port == port) return true;
  }
  return false;
}

Listener* TcpLayer::Listen(uint16_t port, int backlog, bool reuseaddr, int* error) {
  if (listeners_.contains(port)) {
    *error = EADDRINUSE;
    return nullptr;
  }
  for (const auto& [t, c] : conns_) {
    // SO_REUSEADDR lets a listener take a port whose connections are closing or in TIME_WAIT.
    if (t.local_port == port && (!reuseaddr || c->state() == State::kEstablished)) {
      *error = EADDRINUSE;
      return nullptr;
    }
  }
  // listen(): max_ack_backlog = min(backlog, net.core.somaxconn) (__sys_listen).
  const int capped = std::min(backlog < 0 ? ctx_.sysctl.somaxconn : backlog, ctx_.sysctl.somaxconn);
  auto l = std::make_unique<Listener>(*this, port, capped);
  Listener* p = l.get();
  listeners_.emplace(port, std::move(l));
  return p;
}

void TcpLayer::CloseListener(Listener* l) {
  l->Stop();
  listeners_.erase(l->port());
}

Connection* TcpLayer::Connect(wire::Ipv4Address remote, uint16_t remote_port, uint16_t local_port,
                              const ConnectionOptions& options, int* error) {
  FourTuple t{local_ip(), local_port, remote, remote_port};
  if (local_port == 0) {
    std::optional<uint16_t> port =
        ports_.PickPort(t.local_ip, remote, remote_port, ctx_.sysctl.ip_local_port_range,
                        ctx_.now(), [&](uint16_t p) {
                          return !listeners_.contains(p) &&
                                 !conns_.contains(FourTuple{t.local_ip, p, remote, remote_port});
                        });
    if (!port) {
      *error = EADDRNOTAVAIL;
      return nullptr;
    }
    t.local_port = *port;
  } else if (conns_.contains(t)) {
    *error = EADDRINUSE;
    return nullptr;
  }
  auto c = std::make_unique<Connection>(*this, t, options);
  Connection* p = c.get();
  conns_.emplace(t, std::move(c));
  p->Connect(ctx_.now());
  return p;
}

bool TcpLayer::ReopenFromTimeWait(Connection* tw, const Segment& syn, Seq isn) {
  auto l = listeners_.find(tw->tuple().local_port);
  if (l == listeners_.end()) return false;
  const FourTuple t = tw->tuple();
  tw->Done(0);  // out of the table (and freed after this event: it is an orphan or closed)
  l->second->OnSyn(t, syn, isn);
  return true;
}

Connection* TcpLayer::Adopt(std::unique_ptr<Connection> c) {
  Connection* p = c.get();
  conns_[p->tuple()] = std::move(c);
  return p;
}

// A connection reached CLOSED. Like tcp_set_state(TCP_CLOSE) unhashing the socket, it leaves the
// demultiplexing table at once, so later segments for its 4-tuple are answered as for no socket;
// if the application still holds it (to read the error), it waits in closed_ until close().
void TcpLayer::OnConnectionClosed(Connection* c) {
  auto it = conns_.find(c->tuple());
  if (it == conns_.end() || it->second.get() != c) return;
  std::unique_ptr<Connection> owned = std::move(it->second);
  conns_.erase(it);
  if (c->orphan()) {
    // Not freed at once: the caller may be inside the connection's own member function.
    graveyard_.push_back(std::move(owned));
  } else {
    closed_.emplace(c, std::move(owned));
  }
}

void TcpLayer::Release(Connection* c) {
  if (c->state() != State::kClosed) return;  // still closing: an orphan until CLOSED
  if (auto it = closed_.find(c); it != closed_.end()) {
    graveyard_.push_back(std::move(it->second));
    closed_.erase(it);
  }
}

void TcpLayer::CollectGarbage() { graveyard_.clear(); }

std::vector<const Connection*> TcpLayer::Connections() const {
  std::vector<const Connection*> out;
  for (const auto& [t, c] : conns_) out.push_back(c.get());
  return out;
}

std::vector<const Listener*> TcpLayer::Listeners() const {
  std::vector<const Listener*> out;
  for (const auto& [p, l] : listeners_) out.push_back(l.get());
  return out;
}

}  // namespace taptcp::tcp
