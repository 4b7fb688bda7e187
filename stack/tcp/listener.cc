#include "stack/tcp/listener.h"

#include <algorithm>

#include "stack/tcp/tcp_layer.h"

namespace taptcp::tcp {

Listener::Listener(TcpLayer& layer, uint16_t port, int backlog)
    : layer_(layer), port_(port), max_ack_backlog_(backlog) {}

Listener::~Listener() = default;

void RequestSock::OnTimer(timers::Timer&, Instant) { listener->OnRequestTimer(*this); }

void Listener::OnSegment(const FourTuple& t, const Segment& seg) {
  if (auto it = requests_.find(t); it != requests_.end()) {
    OnRequestSegment(*it->second, seg);
    return;
  }
  if (seg.rst()) return;
  if (seg.has_ack()) {
    // An ACK that matches no request (and, from issue 6, no valid cookie): RST
    // (RFC 9293 §3.10.7.2 "any acknowledgment is bad if it arrives on a connection still in the
    // LISTEN state").
    layer_.SendResetFor(t, seg);
    return;
  }
  // tcp_rcv_state_process, LISTEN: a SYN that also carries FIN is discarded.
  if (seg.syn() && !seg.fin()) OnSyn(t, seg);
}

// A SYN for the listener (tcp_conn_request): a request entry and a SYN-ACK.
void Listener::OnSyn(const FourTuple& t, const Segment& seg, std::optional<Seq> isn) {
  net::NetContext& ctx = layer_.ctx();
  const Sysctl& sc = ctx.sysctl;
  if (!isn && AcceptQueueFull()) {
    ctx.mib.Inc(Counter::kTcpExtListenOverflows);
    ctx.mib.Inc(Counter::kTcpExtListenDrops);
    return;
  }
  auto req = std::make_unique<RequestSock>(this, t);
  req->irs = seg.seq;
  req->iss = isn ? *isn : Seq(layer_.isn().Isn(t, ctx.now()));
  req->peer_window = seg.window;
  req->ts_offset = sc.tcp_timestamps == 1 ? layer_.isn().TimestampOffset(t) : 0;
  if (const wire::TcpOptions* o = seg.options) {
    if (o->mss && *o->mss > 0) req->neg.peer_mss = *o->mss;
    req->neg.sack = o->sack_permitted && sc.tcp_sack != 0;
    req->neg.timestamps = o->timestamp.has_value() && sc.tcp_timestamps != 0;
    if (req->neg.timestamps) req->ts_recent = o->timestamp->first;
    req->neg.window_scaling = o->window_scale.has_value() && sc.tcp_window_scaling != 0;
    if (req->neg.window_scaling) {
      req->neg.snd_wscale = std::min<uint8_t>(*o->window_scale, 14);
      uint64_t space = static_cast<uint64_t>(sc.tcp_rmem[2]);
      while (space > 65535 && req->neg.rcv_wscale < 14) {
        space >>= 1;
        ++req->neg.rcv_wscale;
      }
    }
  }
  RequestSock& r = *req;
  requests_.emplace(t, std::move(req));
  SendSynAck(r);
  ctx.wheel.ArmAfter(r.timer, seconds(1));  // TCP_TIMEOUT_INIT
}

void Listener::SendSynAck(RequestSock& req) {
  net::NetContext& ctx = layer_.ctx();
  wire::TcpHeaderFields h;
  h.src_port = req.tuple.local_port;
  h.dst_port = req.tuple.remote_port;
  h.seq = req.iss.value();
  h.ack = (req.irs + 1).value();
  h.flags = wire::kSyn | wire::kAck;
  const uint32_t mss = layer_.mtu_mss();
  // tcp_openreq_init_rwin rounds to whole segments of the MSS less the timestamp option.
  const uint32_t seg_size = mss - (req.neg.timestamps ? 12 : 0);
  // The child's receive buffer is the listening socket's (SO_RCVBUF, else tcp_rmem[1]): offer no
  // more than it holds (tcp_openreq_init_rwin sizes the window from the listener's sk_rcvbuf).
  const uint32_t rcvbuf = child_options_.rcvbuf > 0 ? child_options_.rcvbuf
                                                    : static_cast<uint32_t>(ctx.sysctl.tcp_rmem[1]);
  const uint32_t space = std::min<uint32_t>(65535, rcvbuf);
  // tcp_select_initial_window: whole segments, when more than one fits.
  h.window = static_cast<uint16_t>(space > seg_size ? space / seg_size * seg_size : space);
  req.synack_window = h.window;
  wire::TcpOptions o;
  o.mss = static_cast<uint16_t>(mss);
  o.sack_permitted = req.neg.sack;
  if (req.neg.timestamps) {
    o.timestamp = std::make_pair(Jiffies32(ctx.now()) + req.ts_offset, req.ts_recent);
  }
  if (req.neg.window_scaling) o.window_scale = req.neg.rcv_wscale;
  if (req.retransmits > 0) ctx.mib.Inc(Counter::kTcpRetransSegs);
  req.last_synack = ctx.now();
  layer_.Transmit(req.tuple, h, o, {});
}

// A segment for a request in SYN_RECV (tcp_check_req).
void Listener::OnRequestSegment(RequestSock& req, const Segment& seg) {
  net::NetContext& ctx = layer_.ctx();
  if (seg.rst()) {
    // RFC 9293 §3.10.7.4: a RST in SYN-RECEIVED from a passive open returns to LISTEN.
    if (seg.seq == req.irs + 1) {
      ctx.mib.Inc(Counter::kTcpExtEmbryonicRsts);
      DropRequest(req.tuple);
    }
    return;
  }
  if (seg.syn() && !seg.has_ack()) {
    // A retransmitted SYN: the SYN-ACK was lost; answer again, at most once per
    // tcp_invalid_ratelimit (tcp_check_req's inet_rtx_syn_ack under tcp_oow_rate_limited).
    if (seg.seq == req.irs &&
        ctx.now() - req.last_synack >= milliseconds(ctx.sysctl.tcp_invalid_ratelimit)) {
      SendSynAck(req);
    }
    return;
  }
  if (!seg.has_ack()) return;
  if (seg.ack != req.iss + 1) {
    layer_.SendResetFor(req.tuple, seg);
    return;
  }
  if (AcceptQueueFull()) {
    // tcp_abort_on_overflow=0: drop the ACK, keep the request so a later ACK can complete it.
    ctx.mib.Inc(Counter::kTcpExtListenOverflows);
    ctx.mib.Inc(Counter::kTcpExtListenDrops);
    return;
  }
  auto child = std::make_unique<Connection>(layer_, req.tuple, child_options_);
  Connection* c = layer_.Adopt(std::move(child));
  // The final ACK's timestamp becomes TS.Recent (tcp_rcv_state_process in SYN_RECV updates it,
  // FLAG_UPDATE_TS_RECENT), and the SYN-ACK's round trip is the first RTT sample when the SYN-ACK
  // went once (Karn; tcp_synack_rtt_meas).
  const bool ts = req.neg.timestamps && seg.options != nullptr && seg.options->timestamp;
  const uint32_t ts_recent = ts ? seg.options->timestamp->first : req.ts_recent;
  const std::optional<Duration> rtt =
      req.retransmits == 0 ? std::optional<Duration>(ctx.now() - req.last_synack) : std::nullopt;
  c->StartFromRequest(req.iss, req.irs, req.neg, seg.window, ts_recent, req.ts_offset,
                      req.synack_window, rtt);
  ctx.mib.Inc(Counter::kTcpPassiveOpens);
  DropRequest(req.tuple);  // `req` is gone after this line
  accept_queue_.push_back(c);
  // The ACK may carry data (and a FIN): the child processes it as an established connection.
  if (!seg.payload.empty() || seg.fin()) c->OnSegment(seg);
  if (observer_ != nullptr) observer_->OnConnectionEvent();
}

// SYN-ACK retransmissions 1, 3, 7, 15, 31 s after the SYN, then silence (reqsk_timer_handler).
void Listener::OnRequestTimer(RequestSock& req) {
  net::NetContext& ctx = layer_.ctx();
  if (req.retransmits >= ctx.sysctl.tcp_synack_retries) {
    DropRequest(req.tuple);
    return;
  }
  ++req.retransmits;
  ctx.mib.Inc(Counter::kTcpExtTCPTimeouts);
  SendSynAck(req);
  ctx.wheel.ArmAfter(req.timer, seconds(1) * (1 << std::min(req.retransmits, 7)));
}

void Listener::DropRequest(const FourTuple& t) { requests_.erase(t); }

Connection* Listener::Accept() {
  if (accept_queue_.empty()) return nullptr;
  Connection* c = accept_queue_.front();
  accept_queue_.pop_front();
  return c;
}

// inet_csk_listen_stop: children nobody accepted are reset; pending requests vanish.
void Listener::Stop() {
  requests_.clear();
  while (!accept_queue_.empty()) {
    Connection* c = accept_queue_.front();
    accept_queue_.pop_front();
    c->Close(/*linger_zero=*/true);
  }
}

std::vector<const RequestSock*> Listener::Requests() const {
  std::vector<const RequestSock*> out;
  out.reserve(requests_.size());
  for (const auto& [t, r] : requests_) out.push_back(r.get());
  return out;
}

}  // namespace taptcp::tcp
