#include "stack/tcp/listener.h"

#include <algorithm>

#include "stack/tcp/syncookie.h"
#include "stack/tcp/tcp_layer.h"

namespace taptcp::tcp {
namespace {

// tcp_clock_us, low 32 bits: enough for a SYN-ACK's round trip (a request lives about a minute).
uint32_t Micros32(Instant t) {
  return static_cast<uint32_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count());
}

// tcp_in_window: the segment [seq, end) touches the window [s, e), or is empty and sits at s or e.
bool InWindow(Seq seq, Seq end, Seq s, Seq e) {
  if (seq == s) return true;
  if (end > s && seq < e) return true;
  return seq == e && seq == end;
}

// reqsk_timeout: TCP_TIMEOUT_INIT << num_timeout, at most TCP_RTO_MAX (120 s, reached at 7).
Duration RequestTimeout(int num_timeout) {
  return std::min<Duration>(seconds(1) * (1 << std::min(num_timeout, 7)), seconds(120));
}

// A listener decision for --trace, with the 4-tuple it concerns.
void TraceListen(net::NetContext& ctx, const FourTuple& t, std::string_view what,
                 std::string_view detail) {
  if (ctx.trace == nullptr) return;
  TraceEvent e;
  e.time = ctx.now();
  e.kind = TraceKind::kListen;
  e.what = what;
  e.detail = detail;
  e.local_ip = t.local_ip;
  e.local_port = t.local_port;
  e.remote_ip = t.remote_ip;
  e.remote_port = t.remote_port;
  ctx.trace->OnEvent(e);
}

}  // namespace

Listener::Listener(TcpLayer& layer, uint16_t port, int backlog)
    : layer_(layer), port_(port), max_ack_backlog_(backlog) {}

Listener::~Listener() = default;

void Listener::OnTimer(timers::Timer& timer, Instant) {
  OnRequestTimer(RequestSock::FromTimer(timer));
}

// tcp_v4_rcv for a listener's port: a request entry takes the segment first (it sits in the
// established hash in Linux); otherwise tcp_v4_cookie_check, then LISTEN processing
// (tcp_rcv_state_process, RFC 9293 §3.10.7.2).
void Listener::OnSegment(const FourTuple& t, const Segment& seg) {
  if (auto it = requests_.find(t); it != requests_.end()) {
    OnRequestSegment(**it, seg);
    return;
  }
  if (!seg.syn() && seg.has_ack() && !seg.rst() && CheckCookie(t, seg)) return;
  if (seg.rst()) return;
  // "Any acknowledgment is bad if it arrives on a connection still in the LISTEN state": RST.
  if (seg.has_ack()) {
    layer_.SendResetFor(t, seg);
    return;
  }
  // tcp_rcv_state_process, LISTEN: a SYN that also carries FIN is discarded.
  if (seg.syn() && !seg.fin()) OnSyn(t, seg);
}

Negotiated Listener::NegotiateSyn(const Segment& syn) const {
  const Sysctl& sc = layer_.ctx().sysctl;
  Negotiated neg;
  const wire::TcpOptions* o = syn.options;
  if (o == nullptr) return neg;
  if (o->mss && *o->mss > 0) neg.peer_mss = *o->mss;
  neg.sack = o->sack_permitted && sc.tcp_sack != 0;
  neg.timestamps = o->timestamp.has_value() && sc.tcp_timestamps != 0;
  neg.window_scaling = o->window_scale.has_value() && sc.tcp_window_scaling != 0;
  if (neg.window_scaling) {
    neg.snd_wscale = std::min<uint8_t>(*o->window_scale, 14);  // TCP_MAX_WSCALE
    neg.rcv_wscale = layer_.ReceiveWindowScale();
  }
  return neg;
}

uint32_t Listener::AdvertisedMss() const {
  const uint32_t mss = layer_.mtu_mss();
  return child_options_.user_mss > 0 ? std::min<uint32_t>(mss, child_options_.user_mss) : mss;
}

uint16_t Listener::InitialWindow(const Negotiated& neg) const {
  const Sysctl& sc = layer_.ctx().sysctl;
  // tcp_openreq_init_rwin rounds to whole segments of the MSS less the timestamp option.
  const uint32_t seg_size = AdvertisedMss() - (neg.timestamps ? 12 : 0);
  // The child's receive buffer is the listening socket's (SO_RCVBUF, else tcp_rmem[1]): offer no
  // more than it holds (tcp_openreq_init_rwin sizes the window from the listener's sk_rcvbuf).
  const uint32_t rcvbuf =
      child_options_.rcvbuf > 0 ? child_options_.rcvbuf : static_cast<uint32_t>(sc.tcp_rmem[1]);
  const uint32_t space = std::min<uint32_t>(65535, rcvbuf);
  // tcp_select_initial_window: whole segments, when more than one fits.
  return static_cast<uint16_t>(space > seg_size ? space / seg_size * seg_size : space);
}

void Listener::NoteOverflow() {
  const Instant now = layer_.ctx().now();
  // tcp_synq_overflow stamps at most once a second.
  if (!last_overflow_ || now - *last_overflow_ > seconds(1)) last_overflow_ = now;
}

bool Listener::RecentOverflow() const {
  const Instant now = layer_.ctx().now();
  // TCP_SYNCOOKIE_VALID: two minutes of the cookie counter.
  return last_overflow_ && now >= *last_overflow_ &&
         now - *last_overflow_ <= kSynCookiePeriod * kMaxSynCookieAge;
}

// tcp_conn_request, the decision order of LINUX_TCP.md "Listen queues".
void Listener::OnSyn(const FourTuple& t, const Segment& seg, std::optional<Seq> isn) {
  net::NetContext& ctx = layer_.ctx();
  const Sysctl& sc = ctx.sysctl;
  const int syncookies = sc.tcp_syncookies;
  // 1. A SYN reopening a TIME_WAIT 4-tuple skips the SYN-queue and cookie checks: the peer is
  //    evidently real and the TIME_WAIT entry is given up for it.
  bool want_cookie = false;
  if ((syncookies == 2 || SynQueueFull()) && !isn) {
    // 2. tcp_syn_flood_action: cookies, or a drop when they are off.
    if (syncookies == 0) {
      ctx.mib.Inc(Counter::kTcpExtTCPReqQFullDrop);
      ctx.mib.Inc(Counter::kTcpExtListenDrops);
      TraceListen(ctx, t, "syn_dropped", "TCPReqQFullDrop");
      return;
    }
    want_cookie = true;
    ctx.mib.Inc(Counter::kTcpExtTCPReqQFullDoCookies);
  }
  // 3. No room to accept the connection this SYN would make: drop, cookies or not.
  if (AcceptQueueFull()) {
    ctx.mib.Inc(Counter::kTcpExtListenOverflows);
    ctx.mib.Inc(Counter::kTcpExtListenDrops);
    TraceListen(ctx, t, "syn_dropped", "ListenOverflows");
    return;
  }
  Negotiated neg = NegotiateSyn(seg);
  if (want_cookie && !neg.timestamps) {
    // No timestamp to carry them: a cookie keeps only the MSS (tcp_clear_options).
    const uint16_t mss = neg.peer_mss;
    neg = Negotiated{};
    neg.peer_mss = mss;
  }
  // 4. Without cookies the last quarter of tcp_max_syn_backlog is kept for peers known from an
  //    earlier connection (tcp_peer_is_proven).
  if (!want_cookie && !isn && syncookies == 0) {
    const int64_t max_syn_backlog = sc.tcp_max_syn_backlog;
    if (max_syn_backlog - static_cast<int64_t>(requests_.size()) < (max_syn_backlog >> 2) &&
        !layer_.metrics().PeerIsProven(t.remote_ip)) {
      ctx.mib.Inc(Counter::kTcpExtListenDrops);
      TraceListen(ctx, t, "syn_dropped", "tcp_max_syn_backlog");
      return;
    }
  }
  const uint32_t ts_offset = layer_.TimestampOffset(t);

  if (want_cookie) {
    // cookie_init_sequence: no entry; everything the final ACK needs is in the ISN and TSval.
    NoteOverflow();
    ctx.mib.Inc(Counter::kTcpExtSyncookiesSent);
    const uint32_t mss_index = CookieMssIndex(neg.peer_mss);
    RequestSock req;
    req.tuple = t;
    req.irs = seg.seq;
    req.iss = Seq(layer_.cookies().Make(t, seg.seq, SynCookies::CookieTime(ctx.now()), mss_index));
    req.neg = neg;
    req.ts_offset = ts_offset;
    if (neg.timestamps) req.ts_recent = seg.options->timestamp->first;
    std::optional<uint32_t> tsval;
    if (neg.timestamps) {
      CookieOptions co;
      if (neg.window_scaling) co.wscale = neg.snd_wscale;
      co.sack = neg.sack;
      tsval = EncodeCookieTsval(Jiffies32(ctx.now()), co) + ts_offset;
    }
    req.synack_window = InitialWindow(neg);
    SendSynAck(req, /*retransmit=*/false, tsval);
    TraceListen(ctx, t, "cookie", "SyncookiesSent");
    return;  // no retransmission: nothing is left to retransmit from
  }

  auto owned = std::make_unique<RequestSock>();
  RequestSock& req = *owned;
  req.timer.set_handler(this);
  req.tuple = t;
  req.irs = seg.seq;
  req.iss = isn ? *isn : Seq(layer_.isn().Isn(t, ctx.now()));
  req.neg = neg;
  req.ts_offset = ts_offset;
  if (neg.timestamps) req.ts_recent = seg.options->timestamp->first;
  req.synack_window = InitialWindow(neg);
  requests_.insert(std::move(owned));
  ++young_;
  TraceListen(ctx, t, "request", isn ? "TIME_WAIT reopened" : "");
  SendSynAck(req, /*retransmit=*/false);
  ctx.wheel.ArmAfter(req.timer, seconds(1));  // TCP_TIMEOUT_INIT
}

void Listener::SendSynAck(RequestSock& req, bool retransmit, std::optional<uint32_t> tsval) {
  net::NetContext& ctx = layer_.ctx();
  wire::TcpHeaderFields h;
  h.src_port = req.tuple.local_port;
  h.dst_port = req.tuple.remote_port;
  h.seq = req.iss.value();
  h.ack = (req.irs + 1).value();
  h.flags = wire::kSyn | wire::kAck;
  h.window = req.synack_window;
  wire::TcpOptions o;
  o.mss = static_cast<uint16_t>(AdvertisedMss());
  o.sack_permitted = req.neg.sack;
  if (req.neg.timestamps) {
    o.timestamp =
        std::make_pair(tsval ? *tsval : Jiffies32(ctx.now()) + req.ts_offset, req.ts_recent);
  }
  if (req.neg.window_scaling) o.window_scale = req.neg.rcv_wscale;
  if (retransmit) {
    // tcp_rtx_synack.
    ctx.mib.Inc(Counter::kTcpRetransSegs);
    ctx.mib.Inc(Counter::kTcpExtTCPSynRetrans);
    ++req.num_retrans;
  }
  req.synack_sent_us = Micros32(ctx.now());
  layer_.Transmit(req.tuple, h, o, {});
}

void Listener::SendRequestAck(const RequestSock& req) {
  net::NetContext& ctx = layer_.ctx();
  wire::TcpHeaderFields h;
  h.src_port = req.tuple.local_port;
  h.dst_port = req.tuple.remote_port;
  h.seq = (req.iss + 1).value();
  h.ack = (req.irs + 1).value();
  h.flags = wire::kAck;
  h.window = static_cast<uint16_t>(req.synack_window >> req.neg.rcv_wscale);
  wire::TcpOptions o;
  if (req.neg.timestamps) {
    o.timestamp = std::make_pair(Jiffies32(ctx.now()) + req.ts_offset, req.ts_recent);
  }
  layer_.Transmit(req.tuple, h, o, {});
}

bool Listener::OowRateLimited(RequestSock& req, const Segment& seg) {
  net::NetContext& ctx = layer_.ctx();
  // Data without SYN is not part of an ACK loop: never limited (tcp_oow_rate_limited).
  if (!seg.payload.empty() && !seg.syn()) return false;
  const uint32_t now = Jiffies32(ctx.now());
  if (req.last_oow_ack != 0) {
    const int32_t elapsed = static_cast<int32_t>(now - req.last_oow_ack);
    if (elapsed >= 0 && elapsed < ctx.sysctl.tcp_invalid_ratelimit) {
      ctx.mib.Inc(Counter::kTcpExtTCPACKSkippedSynRecv);
      return true;
    }
  }
  req.last_oow_ack = now;
  return false;
}

// tcp_check_req: the checks, in Linux's order, for a segment that matches a request entry.
void Listener::OnRequestSegment(RequestSock& req, const Segment& seg) {
  net::NetContext& ctx = layer_.ctx();
  const bool has_ts = req.neg.timestamps && seg.options != nullptr && seg.options->timestamp;
  const uint32_t tsval = has_ts ? seg.options->timestamp->first : 0;
  // PAWS against the request's TS.Recent (tcp_paws_reject; a RST is never PAWS-rejected here
  // because the request is younger than TCP_PAWS_MSL).
  const bool paws_reject =
      has_ts && !seg.rst() && req.ts_recent != 0 && static_cast<int32_t>(req.ts_recent - tsval) > 0;

  // The original SYN again: our SYN-ACK was lost. Answer at once, then restart the timer from
  // the current backoff (inet_rtx_syn_ack, mod_timer_pending). Rate-limited with the
  // out-of-window answers; the first one always goes (last_oow_ack_time starts at 0).
  // Only RST, SYN and ACK are looked at: an ECN setup SYN (ECE, CWR) or one with PSH is still
  // the original SYN (tcp_check_req masks the flags the same way).
  const uint8_t rsa = seg.flags & (wire::kRst | wire::kSyn | wire::kAck);
  if (seg.seq == req.irs && rsa == wire::kSyn && !paws_reject) {
    if (!OowRateLimited(req, seg)) {
      SendSynAck(req, /*retransmit=*/true);
      ctx.wheel.ArmAfter(req.timer, RequestTimeout(req.num_timeout));
    }
    return;
  }
  // An ACK of something we did not send: the listener answers it (RFC 9293 §3.10.7.4; "Invalid
  // ACK: reset will be sent by listening socket"); the request stays.
  if (seg.has_ack() && seg.ack != req.iss + 1) {
    layer_.SendResetFor(req.tuple, seg);
    return;
  }
  // First check the sequence number against the SYN-ACK's window.
  const Seq rcv_nxt = req.irs + 1;
  if (paws_reject ||
      !InWindow(seg.seq, seg.seq + seg.len(), rcv_nxt, rcv_nxt + req.synack_window)) {
    if (!seg.rst() && !OowRateLimited(req, seg)) SendRequestAck(req);
    if (paws_reject) ctx.mib.Inc(Counter::kTcpExtPAWSEstab);
    return;
  }
  // In sequence, PAWS is OK. The request's TS.Recent stays the SYN's: since Linux 6.5 ("defer
  // ts_recent changes until req is owned") only the child takes the ACK's TSval, so a SYN-ACK
  // re-sent after a dropped final ACK still echoes the SYN (recorded: listen_overflow.pcap).
  // The SYN bit of a segment starting at the peer's ISN is out of window: ignore it.
  uint8_t flags = seg.flags;
  if (seg.seq == req.irs) flags &= static_cast<uint8_t>(~wire::kSyn);
  // Second the RST bit, fourth the SYN bit: the attempt failed (embryonic_reset). A SYN is
  // answered with RST; a RST is not.
  if ((flags & (wire::kRst | wire::kSyn)) != 0) {
    ctx.mib.Inc(Counter::kTcpAttemptFails);
    if ((flags & wire::kRst) == 0) layer_.SendResetFor(req.tuple, seg);
    ctx.mib.Inc(Counter::kTcpExtEmbryonicRsts);
    DropRequest(req);
    return;
  }
  // The ACK was verified above; without one the segment is silently dropped.
  if (!seg.has_ack()) return;
  const bool ts = has_ts;
  const uint32_t ts_recent = ts ? tsval : req.ts_recent;
  // Karn: the SYN-ACK's round trip counts only when it was sent once (tcp_synack_rtt_meas).
  const std::optional<Duration> rtt =
      req.num_retrans == 0
          ? std::optional<Duration>(microseconds(Micros32(ctx.now()) - req.synack_sent_us))
          : std::nullopt;
  Connection* c = CreateChild(req.tuple, req.iss, req.irs, req.neg, seg, ts_recent, req.ts_offset,
                              req.synack_window, rtt);
  if (c == nullptr) {
    // listen_overflow: with tcp_abort_on_overflow=0 the ACK is dropped and the request stays;
    // its SYN-ACKs go on, and the client's next ACK may find room. With 1: RST. (Linux also
    // marks the request "acked", which only TCP_DEFER_ACCEPT reads; we have no defer-accept.)
    if (ctx.sysctl.tcp_abort_on_overflow == 0) return;
    layer_.SendResetFor(req.tuple, seg);
    ctx.mib.Inc(Counter::kTcpExtEmbryonicRsts);
    DropRequest(req);
    return;
  }
  DropRequest(req);  // `req` is gone after this line
  ChildTakes(*c, seg);
}

// tcp_child_process: the final ACK may carry data (and a FIN), which the new connection processes
// as an established one; then the application may accept it.
void Listener::ChildTakes(Connection& child, const Segment& ack) {
  if (!ack.payload.empty() || ack.fin()) child.OnSegment(ack);
  if (observer_ != nullptr) observer_->OnConnectionEvent();
}

// cookie_v4_check: an ACK that matched no request may complete a cookie handshake.
bool Listener::CheckCookie(const FourTuple& t, const Segment& seg) {
  net::NetContext& ctx = layer_.ctx();
  const Sysctl& sc = ctx.sysctl;
  // Checked only for two minutes after the listener last sent a cookie, or always with
  // tcp_syncookies=2 (LINUX_TCP.md "SYN cookies").
  if (sc.tcp_syncookies == 0 || (sc.tcp_syncookies != 2 && !RecentOverflow())) return false;
  const Seq client_isn = seg.seq - 1;
  const uint32_t cookie = (seg.ack - 1).value();
  const std::optional<uint32_t> mss_index =
      layer_.cookies().Check(t, client_isn, cookie, SynCookies::CookieTime(ctx.now()));
  if (!mss_index) {
    ctx.mib.Inc(Counter::kTcpExtSyncookiesFailed);
    TraceListen(ctx, t, "cookie_failed", "SyncookiesFailed");
    return false;
  }
  ctx.mib.Inc(Counter::kTcpExtSyncookiesRecv);
  TraceListen(ctx, t, "cookie_ok", "SyncookiesRecv");
  // Rebuild the request from the ACK (cookie_tcp_reqsk_init).
  Negotiated neg;
  neg.peer_mss = CookieMss(*mss_index);
  const uint32_t ts_offset = layer_.TimestampOffset(t);
  uint32_t ts_recent = 0;
  if (seg.options != nullptr && seg.options->timestamp) {
    // cookie_timestamp_decode: the SYN's options come back in the echoed TSval.
    if (sc.tcp_timestamps == 0) return false;
    uint32_t tsecr = seg.options->timestamp->second;
    if (tsecr != 0) tsecr -= ts_offset;
    const std::optional<CookieOptions> co =
        DecodeCookieTsecr(tsecr, sc.tcp_sack != 0, sc.tcp_window_scaling != 0, false);
    if (!co) return false;
    neg.timestamps = true;
    ts_recent = seg.options->timestamp->first;
    neg.sack = co->sack;
    if (co->wscale) {
      neg.window_scaling = true;
      neg.snd_wscale = *co->wscale;
      neg.rcv_wscale = layer_.ReceiveWindowScale();
    }
  }
  // A cookie ACK that meets a full accept queue is dropped, RST or not (the child is not made).
  Connection* c = CreateChild(t, seg.ack - 1, client_isn, neg, seg, ts_recent, ts_offset,
                              InitialWindow(neg), std::nullopt);
  if (c != nullptr) ChildTakes(*c, seg);
  return true;
}

Connection* Listener::CreateChild(const FourTuple& t, Seq iss, Seq irs, const Negotiated& neg,
                                  const Segment& ack, uint32_t ts_recent, uint32_t ts_offset,
                                  uint16_t synack_window, std::optional<Duration> rtt) {
  net::NetContext& ctx = layer_.ctx();
  if (AcceptQueueFull()) {
    ctx.mib.Inc(Counter::kTcpExtListenOverflows);
    ctx.mib.Inc(Counter::kTcpExtListenDrops);
    TraceListen(ctx, t, "ack_dropped", "ListenOverflows");
    return nullptr;
  }
  Connection* c = layer_.Adopt(std::make_unique<Connection>(layer_, t, child_options_));
  // The final ACK's timestamp becomes TS.Recent (tcp_rcv_state_process in SYN_RECV,
  // FLAG_UPDATE_TS_RECENT), and the SYN-ACK's round trip is the first RTT sample.
  c->StartFromRequest(iss, irs, neg, ack.window, ts_recent, ts_offset, synack_window, rtt);
  ctx.mib.Inc(Counter::kTcpPassiveOpens);  // tcp_create_openreq_child
  accept_queue_.push_back(c);
  return c;
}

// reqsk_timer_handler: SYN-ACK retransmissions 1, 3, 7, 15, 31 s after the SYN, then silence.
void Listener::OnRequestTimer(RequestSock& req) {
  net::NetContext& ctx = layer_.ctx();
  int max_retries =
      child_options_.syn_retries > 0 ? child_options_.syn_retries : ctx.sysctl.tcp_synack_retries;
  // Queue pruning: when more than half the queue (at least 8) is in use, keep half of it for
  // young requests by cutting the old ones' retry budget, never below 2.
  const size_t qlen = requests_.size();
  if ((qlen << 1) > static_cast<size_t>(std::max(8, max_ack_backlog_))) {
    size_t young = young_ << 1;
    while (max_retries > 2) {
      if (qlen < young) break;
      --max_retries;
      young <<= 1;
    }
  }
  ctx.mib.Inc(Counter::kTcpExtTCPTimeouts);  // tcp_syn_ack_timeout, on every expiry
  if (req.num_timeout >= max_retries) {
    TraceListen(ctx, req.tuple, "request_expired", "TCPTimeouts");
    DropRequest(req);
    return;
  }
  TraceListen(ctx, req.tuple, "synack_retransmit", "TCPSynRetrans");
  SendSynAck(req, /*retransmit=*/true);
  if (req.num_timeout++ == 0) --young_;
  ctx.wheel.ArmAfter(req.timer, RequestTimeout(req.num_timeout));
}

void Listener::DropRequest(RequestSock& req) {
  if (req.num_timeout == 0) --young_;  // reqsk_queue_removed
  requests_.erase(req.tuple);
}

Connection* Listener::Accept() {
  if (accept_queue_.empty()) return nullptr;
  Connection* c = accept_queue_.front();
  accept_queue_.pop_front();
  return c;
}

// inet_csk_listen_stop: children nobody accepted are reset; pending requests vanish.
void Listener::Stop() {
  requests_.clear();
  young_ = 0;
  while (!accept_queue_.empty()) {
    Connection* c = accept_queue_.front();
    accept_queue_.pop_front();
    c->Close(/*linger_zero=*/true);
  }
}

std::vector<const RequestSock*> Listener::Requests() const {
  std::vector<const RequestSock*> out;
  out.reserve(requests_.size());
  for (const auto& r : requests_) out.push_back(r.get());
  return out;
}

}  // namespace taptcp::tcp
