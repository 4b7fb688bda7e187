#include "stack/tcp/tcp_diag.h"

#include <algorithm>
#include <tuple>

#include "stack/tcp/tcp_layer.h"

namespace taptcp::tcp {
namespace {

Duration Left(Instant at, Instant now) { return at > now ? at - now : Duration::zero(); }

}  // namespace

std::vector<DiagSocket> DumpSockets(const TcpLayer& tcp, Instant now) {
  std::vector<DiagSocket> listeners, requests, conns;
  for (const Listener* l : tcp.Listeners()) {
    DiagSocket d;
    d.state = StateName(State::kListen);
    d.recv_q = static_cast<uint32_t>(l->accept_queue_size());
    d.send_q = static_cast<uint32_t>(l->backlog());
    d.local_port = l->port();
    listeners.push_back(d);
    for (const RequestSock* r : l->Requests()) {
      DiagSocket q;
      q.state = StateName(State::kSynReceived);
      q.local_ip = r->tuple.local_ip;
      q.local_port = r->tuple.local_port;
      q.remote_ip = r->tuple.remote_ip;
      q.remote_port = r->tuple.remote_port;
      // inet_diag shows a request's SYN-ACK timer as "on" with the SYN-ACKs it re-sent
      // (num_retrans: by the timer and for duplicate SYNs).
      if (r->timer.armed()) q.timer = DiagTimer{"on", Left(r->timer.expiry(), now), r->num_retrans};
      requests.push_back(q);
    }
  }
  for (const Connection* c : tcp.Connections()) {
    DiagSocket d;
    d.state = StateName(c->state());
    d.recv_q = static_cast<uint32_t>(c->readable());
    d.send_q = static_cast<uint32_t>(c->send_queue_bytes());  // write_seq - snd_una
    d.local_ip = c->tuple().local_ip;
    d.local_port = c->tuple().local_port;
    d.remote_ip = c->tuple().remote_ip;
    d.remote_port = c->tuple().remote_port;
    d.orphan = c->orphan();
    if (std::optional<Connection::TimerInfo> t = c->ActiveTimer()) {
      d.timer = DiagTimer{t->name, Left(t->expires, now), t->retransmits};
    }
    conns.push_back(d);
  }
  const auto order = [](const DiagSocket& a, const DiagSocket& b) {
    return std::tie(a.local_port, a.remote_ip.value, a.remote_port) <
           std::tie(b.local_port, b.remote_ip.value, b.remote_port);
  };
  std::sort(listeners.begin(), listeners.end(), order);
  std::sort(requests.begin(), requests.end(), order);
  std::sort(conns.begin(), conns.end(), order);
  listeners.insert(listeners.end(), requests.begin(), requests.end());
  listeners.insert(listeners.end(), conns.begin(), conns.end());
  return listeners;
}

}  // namespace taptcp::tcp
