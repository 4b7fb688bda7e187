// A listening socket (RFC 9293 §3.10.7.2; Linux tcp_conn_request, tcp_check_req, reqsk_timer).
//
// Like Linux, a SYN does not create a full connection: it creates a small request entry in
// SYN_RECV that remembers the handshake (ISNs, options) and retransmits the SYN-ACK. Only the
// handshake's final ACK builds a Connection, which waits in the accept queue until accept().
// The queue limits, SYN cookies and the decision order of LINUX_TCP.md "Listen queues" build on
// this (issue 6); today: the accept queue holds backlog + 1 connections, and a SYN or a final ACK
// meeting a full queue is dropped and counted.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "stack/tcp/connection.h"
#include "stack/tcp/seq.h"
#include "stack/tcp/tuple.h"
#include "timers/wheel.h"

namespace taptcp::tcp {

class TcpLayer;
class Listener;

// A request entry ("mini socket", struct tcp_request_sock): SYN_RECV without a TCB.
struct RequestSock final : timers::TimerHandler {
  RequestSock(Listener* l, const FourTuple& t) : listener(l), tuple(t), timer(this) {}
  void OnTimer(timers::Timer&, Instant now) override;

  Listener* listener;
  FourTuple tuple;
  Seq iss, irs;
  Negotiated neg;
  uint16_t peer_window = 0;
  uint32_t ts_recent = 0;
  uint32_t ts_offset = 0;
  uint16_t synack_window = 0;  // the window our SYN-ACK offered
  int retransmits = 0;         // SYN-ACKs re-sent (num_timeout)
  Instant last_synack{};       // for the duplicate-SYN rate limit
  timers::Timer timer;
};

class Listener {
 public:
  Listener(TcpLayer& layer, uint16_t port, int backlog);
  ~Listener();

  // A segment for this port that matched no connection.
  void OnSegment(const FourTuple& t, const Segment& seg);
  // A SYN that reopens a TIME_WAIT 4-tuple: skips the queue checks (issue 6 adds the rest of the
  // decision order) and uses `isn`, above the old connection's sequence space.
  void OnSyn(const FourTuple& t, const Segment& seg, std::optional<Seq> isn = std::nullopt);
  // accept(): the oldest established connection, or nullptr (EAGAIN).
  Connection* Accept();
  // close() of the listening socket: queued and pending children are reset (inet_csk_listen_stop).
  void Stop();

  uint16_t port() const { return port_; }
  int backlog() const { return max_ack_backlog_; }
  size_t accept_queue_size() const { return accept_queue_.size(); }
  size_t request_count() const { return requests_.size(); }
  // The request entries (SYN_RECV), for `ss` (inet_diag dumps them from the request hash too).
  std::vector<const RequestSock*> Requests() const;
  void set_observer(ConnectionObserver* o) { observer_ = o; }
  // Options accepted connections inherit from the listening socket (SO_KEEPALIVE, TCP_NODELAY...).
  void set_child_options(const ConnectionOptions& o) { child_options_ = o; }

 private:
  friend struct RequestSock;
  void OnRequestSegment(RequestSock& req, const Segment& seg);
  void SendSynAck(RequestSock& req);
  void OnRequestTimer(RequestSock& req);
  void DropRequest(const FourTuple& t);
  bool AcceptQueueFull() const {
    return accept_queue_.size() > static_cast<size_t>(max_ack_backlog_);
  }

  TcpLayer& layer_;
  uint16_t port_;
  int max_ack_backlog_;
  absl::flat_hash_map<FourTuple, std::unique_ptr<RequestSock>> requests_;
  std::deque<Connection*> accept_queue_;
  ConnectionObserver* observer_ = nullptr;
  ConnectionOptions child_options_;
};

}  // namespace taptcp::tcp
