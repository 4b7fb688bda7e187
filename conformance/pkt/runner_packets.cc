// The `<` and `>` lines (run_packet.c): which socket a packet belongs to, injecting the peer's
// packets, and taking the stack's packets apart and comparing them with the script.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "conformance/pkt/matcher.h"
#include "conformance/pkt/runner.h"
#include "conformance/pkt/tcp_options.h"

namespace taptcp::pkt {
namespace {

// How long past its expected time the runner lets the clock run waiting for a `>` packet, so a
// late packet is still shown (packetdrill would wait for ever).
constexpr Duration kSniffHorizon = hours(4);

double Secs(int64_t usecs) { return static_cast<double>(usecs) / 1e6; }
int64_t Usecs(Instant t) { return std::chrono::duration_cast<microseconds>(t - kEpoch).count(); }
Instant AtUsecs(int64_t usecs) { return kEpoch + microseconds(usecs); }

bool IsSynAck(const PacketSpec& p) { return (p.flag_bits & 0x12) == 0x12; }

// verify_packet_fragments: a segment that continues the previous one of a burst the script
// writes as one packet (TSO/GSO in Linux) must agree with it on everything but FIN, PSH and CWR.
std::string CheckFragment(const TcpPacket& prev, const TcpPacket& cur) {
  auto field = [](const char* name, uint32_t want, uint32_t got) {
    return want == got ? std::string()
                       : absl::StrFormat("%s: expected: %u vs actual: %u", name, want, got);
  };
  const uint8_t mask = 0x76;  // SYN RST ACK URG ECE
  for (const std::string& e :
       {field("tcp_data_offset", static_cast<uint32_t>(prev.options_bytes()),
              static_cast<uint32_t>(cur.options_bytes())),
        field("tcp_flags", prev.flags & mask, cur.flags & mask),
        field("tcp_seq", prev.seq + static_cast<uint32_t>(prev.payload.size()), cur.seq),
        field("tcp_ack_seq", prev.ack, cur.ack), field("tcp_window", prev.window, cur.window)}) {
    if (!e.empty()) return e;
  }
  return "";
}

}  // namespace

std::string Runner::Describe(const TcpPacket& p) const {
  return absl::StrCat(p.src.ToString(), ":", p.src_port, " > ", p.dst.ToString(), ":", p.dst_port,
                      " ", FormatTcp(p));
}

// A packet whose line names its ports belongs to the socket with that 4-tuple, the peer's port
// used as written; the first inbound packet of a new pair starts a passive child, as a packet to
// a listener does, but leaves the socket under test alone (README.md "Several connections").
ScriptSocket* Runner::SocketForPorts(const PacketSpec& spec, int line) {
  const bool in = spec.direction == Direction::kInbound;
  const Endpoint local{config_.local_ip, in ? spec.dst_port : spec.src_port};
  const Endpoint remote{config_.remote_ip, in ? spec.src_port : spec.dst_port};
  if (ScriptSocket* s = sockets_.ByTuple(local, remote)) return s;
  if (!in) {
    Fail(line, absl::StrFormat("no connection %u>%u: its first packet must be inbound (< %u>%u)",
                               local.port, remote.port, remote.port, local.port));
    return nullptr;
  }
  ScriptSocket* child = sockets_.Add();
  child->state = SockState::kPassivePacketReceived;
  child->seq.script.remote_isn = child->seq.live.remote_isn = spec.start_seq;
  child->local = local;
  child->remote = remote;
  return child;
}

// The peer's port for a connection the script did not name: the next one no named connection
// has (packetdrill picks a fresh ephemeral port).
uint16_t Runner::NextRemotePort() {
  const Endpoint local{config_.local_ip, config_.bind_port};
  while (sockets_.ByTuple(local, {config_.remote_ip, next_remote_port_}) != nullptr) {
    ++next_remote_port_;
  }
  return next_remote_port_++;
}

// find_or_create_socket_for_script_packet.
ScriptSocket* Runner::SocketForPacket(const PacketSpec& spec, int line) {
  if (spec.src_port != 0) return SocketForPorts(spec, line);
  ScriptSocket* s = sockets_.under_test;
  if (spec.direction == Direction::kInbound) {
    // handle_listen_for_script_packet: any packet to a listener (or with no socket at all) is a
    // new child, whose remote ISN the packet's seq sets.
    if (s == nullptr || s->state == SockState::kListening) {
      ScriptSocket* child = sockets_.Add();
      child->state = SockState::kPassivePacketReceived;
      child->seq.script.remote_isn = child->seq.live.remote_isn = spec.start_seq;
      child->local = {config_.local_ip, config_.bind_port};
      child->remote = {config_.remote_ip, NextRemotePort()};
      sockets_.under_test = child;
      return child;
    }
  } else if ((spec.flag_bits & 0x12) == 0x02 && s != nullptr &&
             s->state == SockState::kActiveConnecting) {
    // handle_connect_for_script_packet: the SYN of a connect(); the script's seq is its ISN.
    s->state = SockState::kActiveSynSent;
    s->seq.script.local_isn = spec.start_seq;
    return s;
  }
  if (s == nullptr) {
    Fail(line, "no matching socket for script packet");
    return nullptr;
  }
  if (s->remote.port == 0) {  // a socket never connected: packets use the default 4-tuple
    s->local = {config_.local_ip, config_.bind_port};
    s->remote = {config_.remote_ip, NextRemotePort()};
  }
  return s;
}

void Runner::Inbound(const Event& e, const PacketSpec& spec, const Timing& t) {
  ScriptSocket* s = SocketForPacket(spec, e.line);
  if (s == nullptr || !WaitForEvent(e, t, "inbound packet")) return;
  // do_inbound_script_packet's state changes.
  if (s->state == SockState::kPassiveSynAckSent && (spec.flag_bits & 0x10)) {
    s->state = SockState::kPassiveSynAckAcked;
  } else if (s->state == SockState::kActiveSynSent && IsSynAck(spec)) {
    s->state = SockState::kActiveSynAcked;
    s->seq.script.remote_isn = s->seq.live.remote_isn = spec.start_seq;
  }
  TcpPacket p = FromSpec(spec);
  p.src = s->remote.ip;
  p.dst = s->local.ip;
  if (p.src_port == 0) p.src_port = s->remote.port;
  if (p.dst_port == 0) p.dst_port = s->local.port;
  if (absl::Status st = s->seq.MapInbound(&p, config_.tcp_ts_ecr_scaled); !st.ok()) {
    Fail(e.line, absl::StrCat("handling packet: ", st.message()));
    return;
  }
  std::optional<std::vector<uint8_t>> frame = BuildFrame(p, kStackMac, kPeerMac, ++ip_id_);
  if (!frame) {
    Fail(e.line, "handling packet: TCP segment too large");
    return;
  }
  Log(absl::StrFormat("%10.6f < %s", Secs(NowUsecs()), Describe(p)));
  harness_.Inject(*frame);
}

std::optional<std::pair<Instant, TcpPacket>> Runner::Sniff(ScriptSocket* s, Instant horizon) {
  if (!s->unread.empty()) {
    std::pair<Instant, TcpPacket> p = std::move(s->unread.front());
    s->unread.pop_front();
    return p;
  }
  std::deque<SentFrame>& q = harness_.outbound();
  for (;;) {
    if (failed()) return std::nullopt;
    if (q.empty()) {
      if (!StepOnce(horizon)) return std::nullopt;
      continue;
    }
    SentFrame f = std::move(q.front());
    q.pop_front();
    std::optional<TcpPacket> p = ParseFrame(f.bytes);
    if (!p) continue;  // not TCP (an ICMP error, say): packetdrill sniffs TCP for the socket
    const bool ours = p->src == s->local.ip && p->src_port == s->local.port &&
                      p->dst == s->remote.ip && p->dst_port == s->remote.port;
    // find_connect_for_live_packet: the first SYN of a connect() tells us the local port and ISN.
    const bool connect_syn = s->state == SockState::kActiveSynSent && (p->flags & 0x12) == 0x02 &&
                             p->dst == s->remote.ip && p->dst_port == s->remote.port;
    if (connect_syn) {
      s->local = {p->src, p->src_port};
      s->seq.live.local_isn = p->seq;
    }
    if (ours || connect_syn) {
      Log(absl::StrFormat("%10.6f > %s", Secs(Usecs(f.at)), Describe(*p)));
      return std::make_pair(f.at, *std::move(p));
    }
    // Another socket's packet: kept for its own `>` lines if the script knows the connection
    // (several connections at once), ignored otherwise, as packetdrill ignores other sockets.
    ScriptSocket* other = sockets_.ByTuple({p->src, p->src_port}, {p->dst, p->dst_port});
    Log(absl::StrFormat("%10.6f > %s (not for the socket under test: %s)", Secs(Usecs(f.at)),
                        Describe(*p), other != nullptr ? "kept for its connection" : "ignored"));
    if (other != nullptr) other->unread.emplace_back(f.at, *std::move(p));
  }
}

void Runner::Outbound(const Event& e, const PacketSpec& spec, const Timing& t) {
  ScriptSocket* s = SocketForPacket(spec, e.line);
  if (s == nullptr) return;
  if (s->state == SockState::kPassivePacketReceived && IsSynAck(spec)) {
    s->seq.script.local_isn = spec.start_seq;  // the script names the SYN-ACK's ISN
  }
  const std::string expected_at =
      t.type == TimeType::kAny ? "*" : absl::StrFormat("%.6f", Secs(t.usecs));
  std::vector<std::string> details = {
      absl::StrCat("expected: ", expected_at, " > ", FormatSpec(spec))};
  const Instant horizon =
      std::max(harness_.now(),
               AtUsecs(t.type == TimeType::kAbsoluteRange || t.type == TimeType::kRelativeRange
                           ? t.end_usecs
                           : t.usecs)) +
      kSniffHorizon;
  // do_outbound_script_packet: gather segments until they carry the script's payload (a TSO burst
  // in Linux is one packet to the script), unless --strict_segments.
  std::vector<std::pair<Instant, TcpPacket>> parts;
  size_t total = 0;
  do {
    std::optional<std::pair<Instant, TcpPacket>> live = Sniff(s, horizon);
    if (failed()) return;
    if (!live) {
      const std::string when =
          t.type == TimeType::kAny ? "" : absl::StrCat(" at ", expected_at, " sec");
      // Either the stack went quiet for good, or it kept busy past the horizon.
      const bool idle = harness_.now() < horizon;
      Fail(e.line,
           absl::StrFormat("timing error: expected outbound packet%s but the stack sent none (%s "
                           "%.6f sec)",
                           when, idle ? "and had nothing more to do after" : "waited until",
                           Secs(NowUsecs())),
           details);
      return;
    }
    if (parts.empty() && s->state == SockState::kPassivePacketReceived && IsSynAck(spec)) {
      s->state = SockState::kPassiveSynAckSent;
      s->seq.live.local_isn = live->second.seq;
    }
    if (!parts.empty()) {
      const TcpPacket& prev = parts.back().second;
      std::string err =
          CheckFragment(s->seq.ToScriptSpace(prev), s->seq.ToScriptSpace(live->second));
      const size_t got = live->second.payload.size();
      if (err.empty() && total + got < spec.payload_len && got != prev.payload.size()) {
        err = absl::StrFormat(
            "fragment payload: expected %u bytes vs actual %u bytes; total "
            "payload: expected %u bytes vs actual %u bytes",
            prev.payload.size(), got, spec.payload_len, total + got);
      }
      if (!err.empty()) {
        for (const auto& [at, part] : parts) {
          details.push_back(absl::StrFormat("actual:   %.6f > %s", Secs(Usecs(at)),
                                            FormatTcp(s->seq.ToScriptSpace(part))));
        }
        details.push_back(absl::StrFormat("then:     %.6f > %s", Secs(Usecs(live->first)),
                                          FormatTcp(s->seq.ToScriptSpace(live->second))));
        Fail(e.line,
             absl::StrFormat("handling packet: the stack sent %u of the %u payload bytes, then a "
                             "segment that does not continue them: %s",
                             total, spec.payload_len, err),
             details);
        return;
      }
    }
    total += live->second.payload.size();
    parts.push_back(*std::move(live));
  } while (total < spec.payload_len && !config_.strict_segments);
  // The burst as one packet: the first segment's header, every payload, FIN and PSH of the last.
  TcpPacket actual = parts.front().second;
  for (size_t i = 1; i < parts.size(); ++i) {
    const TcpPacket& more = parts[i].second;
    actual.payload.insert(actual.payload.end(), more.payload.begin(), more.payload.end());
  }
  actual.flags |= parts.back().second.flags & 0x09;
  const Instant sent_at = parts.front().first;
  std::optional<uint32_t> script_ts;
  if (std::optional<TimestampRef> ts = FindTimestamp(spec.options)) script_ts = ts->val;
  s->seq.MapOutbound(&actual, script_ts);
  details.push_back(
      absl::StrFormat("actual:   %.6f > %s%s", Secs(Usecs(sent_at)), FormatTcp(actual),
                      parts.size() > 1 ? absl::StrCat("  (", parts.size(), " segments)") : ""));
  if (total != spec.payload_len) {
    Fail(e.line,
         absl::StrFormat("handling packet: live packet payload: expected %u bytes vs actual "
                         "%u bytes",
                         spec.payload_len, total),
         details);
    return;
  }
  MatchConfig mc{config_.tolerance_usecs, config_.tcp_ts_tick_usecs};
  if (std::optional<std::string> err = MatchOutbound(actual, spec, mc)) {
    Fail(e.line, absl::StrCat("handling packet: ", *err), details);
    return;
  }
  std::optional<int64_t> last;
  if (last_event_ != nullptr) last = last_timing_.usecs;
  VerifyTime(e.line, t, t.usecs, Usecs(sent_at), last, "outbound packet", details);
}

}  // namespace taptcp::pkt
