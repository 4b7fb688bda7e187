// A listening socket and its two queues (RFC 9293 §3.10.7.2; Linux tcp_conn_request,
// tcp_check_req, reqsk_timer_handler, cookie_v4_check, inet_csk_listen_stop).
//
// Like Linux, a SYN does not create a full connection: it creates a small request entry
// (request_sock.h) in SYN_RECV that retransmits the SYN-ACK. Only the handshake's final ACK builds
// a Connection, which waits in the accept queue until accept(). Both queues are limited by the
// backlog (LINUX_TCP.md "Listen queues"): the SYN queue is full when it holds more than backlog
// requests, the accept queue when it holds more than backlog connections. Under a SYN flood the
// listener answers with SYN cookies (syncookie.h) and keeps no state at all.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "stack/tcp/connection.h"
#include "stack/tcp/request_sock.h"
#include "stack/tcp/seq.h"
#include "stack/tcp/tuple.h"
#include "timers/wheel.h"

namespace taptcp::tcp {

class TcpLayer;

class Listener final : public timers::TimerHandler {
 public:
  Listener(TcpLayer& layer, uint16_t port, int backlog);
  ~Listener();

  // A segment for this port that matched no connection.
  void OnSegment(const FourTuple& t, const Segment& seg);
  // A SYN for the listener (tcp_conn_request). `isn` is set for a SYN that reopens a TIME_WAIT
  // 4-tuple: it skips the SYN-queue and cookie checks and the new connection starts at `isn`,
  // above the old connection's sequence space.
  void OnSyn(const FourTuple& t, const Segment& seg, std::optional<Seq> isn = std::nullopt);
  // accept(): the oldest established connection, or nullptr (EAGAIN).
  Connection* Accept();
  // close() of the listening socket: connections nobody accepted are reset
  // (inet_csk_listen_stop); pending requests are forgotten, so their final ACK meets no socket
  // and is answered with RST.
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

  void OnTimer(timers::Timer& timer, Instant now) override;

 private:
  // The request set is keyed by the entry's own tuple: one pointer per slot.
  struct ReqHash {
    using is_transparent = void;
    size_t operator()(const FourTuple& t) const { return absl::Hash<FourTuple>{}(t); }
    size_t operator()(const std::unique_ptr<RequestSock>& r) const { return (*this)(r->tuple); }
  };
  struct ReqEq {
    using is_transparent = void;
    static const FourTuple& Key(const FourTuple& t) { return t; }
    static const FourTuple& Key(const std::unique_ptr<RequestSock>& r) { return r->tuple; }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return Key(a) == Key(b);
    }
  };

  // tcp_check_req: a segment for a request entry.
  void OnRequestSegment(RequestSock& req, const Segment& seg);
  // cookie_v4_check: an ACK that matched no request. True when it was taken care of (a child was
  // made, or it was dropped); false to let LISTEN processing answer it with RST.
  bool CheckCookie(const FourTuple& t, const Segment& seg);
  // tcp_v4_syn_recv_sock: the child connection, or nullptr (counted) when the accept queue is full.
  Connection* CreateChild(const FourTuple& t, Seq iss, Seq irs, const Negotiated& neg,
                          const Segment& ack, uint32_t ts_recent, uint32_t ts_offset,
                          uint16_t synack_window, std::optional<Duration> rtt);
  // tcp_child_process: the child processes what the final ACK carried; the application is told.
  void ChildTakes(Connection& child, const Segment& ack);
  // tcp_v4_send_synack for an entry (or the throwaway entry of a cookie SYN-ACK, `tsval` set).
  void SendSynAck(RequestSock& req, bool retransmit, std::optional<uint32_t> tsval = std::nullopt);
  // tcp_v4_reqsk_send_ack: <SEQ=ISS+1><ACK=RCV.NXT><ACK> for an out-of-window segment.
  void SendRequestAck(const RequestSock& req);
  // tcp_oow_rate_limited on the entry's last_oow_ack_time (TCPACKSkippedSynRecv).
  bool OowRateLimited(RequestSock& req, const Segment& seg);
  // reqsk_timer_handler.
  void OnRequestTimer(RequestSock& req);
  void DropRequest(RequestSock& req);
  // The options a SYN asks for, as far as the sysctls allow (tcp_parse_options, tcp_openreq_init).
  Negotiated NegotiateSyn(const Segment& syn) const;
  // tcp_openreq_init_rwin / tcp_select_initial_window: the SYN-ACK's window.
  uint16_t InitialWindow(const Negotiated& neg) const;
  // The MSS we announce (tcp_mss_clamp of the route's advmss by TCP_MAXSEG).
  uint32_t AdvertisedMss() const;
  // tcp_synq_overflow / tcp_synq_no_recent_overflow: cookies are only checked for two minutes
  // after the listener last sent one.
  void NoteOverflow();
  bool RecentOverflow() const;

  bool SynQueueFull() const {  // inet_csk_reqsk_queue_is_full
    return requests_.size() > static_cast<size_t>(max_ack_backlog_);
  }
  bool AcceptQueueFull() const {  // sk_acceptq_is_full
    return accept_queue_.size() > static_cast<size_t>(max_ack_backlog_);
  }

  TcpLayer& layer_;
  uint16_t port_;
  int max_ack_backlog_;
  absl::flat_hash_set<std::unique_ptr<RequestSock>, ReqHash, ReqEq> requests_;
  size_t young_ = 0;  // requests that have not yet had a SYN-ACK timeout (reqsk_queue_len_young)
  std::optional<Instant> last_overflow_;  // rx_opt.ts_recent_stamp of a listener
  std::deque<Connection*> accept_queue_;
  ConnectionObserver* observer_ = nullptr;
  ConnectionOptions child_options_;
};

}  // namespace taptcp::tcp
