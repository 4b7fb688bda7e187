#include "stack/socket/socket_api.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>

namespace taptcp::socket {

struct SocketApi::Sock final : tcp::ConnectionObserver {
  Sock(SocketApi* api, int fd) : api(api), fd(fd) {}
  // Queued at most once until TakeChanged, so the list stays as long as the socket table however
  // many segments arrive between two polls.
  void OnConnectionEvent() override {
    if (queued) return;
    queued = true;
    api->changed_.push_back(fd);
  }

  bool queued = false;
  SocketApi* api;
  int fd;
  SockAddr bound;
  bool reuseaddr = false;
  bool linger_on = false;
  int linger_s = 0;
  tcp::ConnectionOptions opts;
  tcp::Listener* listener = nullptr;
  tcp::Connection* conn = nullptr;
};

SocketApi::SocketApi(tcp::TcpLayer& tcp) : tcp_(tcp) {}

SocketApi::~SocketApi() {
  for (auto& [fd, s] : sockets_) {
    if (s->conn != nullptr) s->conn->set_observer(nullptr);
    if (s->listener != nullptr) s->listener->set_observer(nullptr);
  }
}

SocketApi::Sock* SocketApi::Find(int fd) {
  auto it = sockets_.find(fd);
  return it == sockets_.end() ? nullptr : it->second.get();
}

int SocketApi::Socket() {
  const int fd = next_fd_++;
  sockets_.emplace(fd, std::make_unique<Sock>(this, fd));
  return fd;
}

int SocketApi::Bind(int fd, SockAddr addr) {
  Sock* s = Find(fd);
  if (s == nullptr) return -EBADF;
  if (s->bound.port != 0 || s->conn != nullptr || s->listener != nullptr) return -EINVAL;
  if (addr.ip != wire::Ipv4Address::Any() && addr.ip != tcp_.local_ip()) return -EADDRNOTAVAIL;
  for (const auto& [ofd, o] : sockets_) {
    if (ofd != fd && o->bound.port == addr.port && addr.port != 0) return -EADDRINUSE;
  }
  if (addr.port != 0 && tcp_.PortInUse(addr.port) && !s->reuseaddr) return -EADDRINUSE;
  s->bound = addr;
  return 0;
}

int SocketApi::Listen(int fd, int backlog) {
  Sock* s = Find(fd);
  if (s == nullptr) return -EBADF;
  if (s->conn != nullptr) return -EINVAL;
  if (s->listener != nullptr) return 0;
  if (s->bound.port == 0) return -EINVAL;  // autobind for listen is not offered
  int err = 0;
  s->listener = tcp_.Listen(s->bound.port, backlog, s->reuseaddr, &err);
  if (s->listener == nullptr) return -err;
  s->listener->set_observer(s);
  s->listener->set_child_options(s->opts);
  return 0;
}

int SocketApi::Accept(int fd, SockAddr* peer) {
  Sock* s = Find(fd);
  if (s == nullptr) return -EBADF;
  if (s->listener == nullptr) return -EINVAL;
  tcp::Connection* c = s->listener->Accept();
  if (c == nullptr) return -EAGAIN;
  const int nfd = Socket();
  Sock* n = Find(nfd);
  n->conn = c;
  n->bound = {c->tuple().local_ip, c->tuple().local_port};
  c->set_observer(n);
  if (peer != nullptr) *peer = {c->tuple().remote_ip, c->tuple().remote_port};
  return nfd;
}

int SocketApi::Connect(int fd, SockAddr addr) {
  Sock* s = Find(fd);
  if (s == nullptr) return -EBADF;
  if (s->listener != nullptr) return -EINVAL;
  if (s->conn != nullptr) {
    switch (s->conn->state()) {
      case tcp::State::kSynSent:
      case tcp::State::kSynReceived:
        return -EALREADY;
      case tcp::State::kClosed: {
        const int e = s->conn->TakeError();
        return e != 0 ? -e : -EISCONN;
      }
      default:
        return -EISCONN;
    }
  }
  int err = 0;
  s->conn = tcp_.Connect(addr.ip, addr.port, s->bound.port, s->opts, &err);
  if (s->conn == nullptr) return -err;
  s->conn->set_observer(s);
  s->bound = {s->conn->tuple().local_ip, s->conn->tuple().local_port};
  return -EINPROGRESS;
}

int64_t SocketApi::Send(int fd, std::span<const uint8_t> data) {
  Sock* s = Find(fd);
  if (s == nullptr) return -EBADF;
  if (s->conn == nullptr) return -ENOTCONN;
  return s->conn->Send(data);
}

int64_t SocketApi::Recv(int fd, std::span<uint8_t> out, int flags) {
  Sock* s = Find(fd);
  if (s == nullptr) return -EBADF;
  if (s->conn == nullptr) return -ENOTCONN;
  return s->conn->Recv(out, (flags & kMsgPeek) != 0);
}

int SocketApi::Shutdown(int fd, int how) {
  Sock* s = Find(fd);
  if (s == nullptr) return -EBADF;
  if (how < kShutRd || how > kShutRdWr) return -EINVAL;
  if (s->conn == nullptr) return -ENOTCONN;
  return s->conn->Shutdown(how != kShutWr, how != kShutRd);
}

int SocketApi::Close(int fd) {
  auto it = sockets_.find(fd);
  if (it == sockets_.end()) return -EBADF;
  Sock* s = it->second.get();
  if (s->listener != nullptr) {
    s->listener->set_observer(nullptr);
    tcp_.CloseListener(s->listener);
  }
  if (s->conn != nullptr) {
    s->conn->set_observer(nullptr);
    // The connection counts the abort as __tcp_close does (TCPAbortOnClose or TCPAbortOnData;
    // TCPAbortOnLinger belongs to TCP_LINGER2 < 0 in FIN_WAIT2).
    const bool linger_zero = s->linger_on && s->linger_s == 0;
    s->conn->Close(linger_zero);
  }
  sockets_.erase(it);
  return 0;
}

int SocketApi::SetSockOpt(int fd, int level, int name, int value) {
  const int err = SetOption(fd, level, name, value);
  // Children take the listener's options when they are made (tcp_create_openreq_child copies
  // the listening socket), so an option set after listen() reaches the next accepted ones.
  if (Sock* s = Find(fd); err == 0 && s != nullptr && s->listener != nullptr) {
    s->listener->set_child_options(s->opts);
  }
  return err;
}

int SocketApi::SetOption(int fd, int level, int name, int value) {
  Sock* s = Find(fd);
  if (s == nullptr) return -EBADF;
  tcp::ConnectionOptions& o = s->conn != nullptr ? s->conn->options() : s->opts;
  if (level == kSolSocket) {
    switch (name) {
      case kSoReuseAddr:
        s->reuseaddr = value != 0;
        return 0;
      case kSoKeepAlive:
        if (s->conn != nullptr) {
          s->conn->SetKeepalive(value != 0);
        } else {
          o.keepalive = value != 0;
        }
        return 0;
      case kSoSndBuf:
      case kSoRcvBuf:
        // Linux doubles the value to allow for bookkeeping overhead (sock_setsockopt).
        if (value < 0) return -EINVAL;
        (name == kSoSndBuf ? o.sndbuf : o.rcvbuf) = static_cast<uint32_t>(
            std::min<int64_t>(std::max<int64_t>(2 * int64_t{value}, 2048), INT32_MAX));
        return 0;
      default:
        return -ENOPROTOOPT;
    }
  }
  if (level == kIpProtoTcp) {
    switch (name) {
      case kTcpNoDelay:
        o.nodelay = value != 0;
        return 0;
      case kTcpMaxSeg:
        if (value < 88 || value > 32767) return -EINVAL;  // TCP_MIN_MSS .. MAX_TCP_WINDOW
        o.user_mss = static_cast<uint16_t>(value);
        return 0;
      case kTcpSynCnt:
        if (value < 1 || value > 127) return -EINVAL;  // MAX_TCP_SYNCNT
        o.syn_retries = static_cast<uint8_t>(value);
        return 0;
      case kTcpKeepIdle:
      case kTcpKeepIntvl:
        if (value < 1 || value > 32767) return -EINVAL;  // MAX_TCP_KEEPIDLE/KEEPINTVL
        (name == kTcpKeepIdle ? o.keepidle_s : o.keepintvl_s) = static_cast<uint16_t>(value);
        return 0;
      case kTcpKeepCnt:
        if (value < 1 || value > 127) return -EINVAL;  // MAX_TCP_KEEPCNT
        o.keepcnt = static_cast<uint8_t>(value);
        return 0;
      case kTcpLinger2:
        o.linger2_s = static_cast<int16_t>(std::clamp(value, -1, 120));  // TCP_FIN_TIMEOUT_MAX
        return 0;
      default:
        return -ENOPROTOOPT;
    }
  }
  return -ENOPROTOOPT;
}

int SocketApi::SetLinger(int fd, bool on, int seconds) {
  Sock* s = Find(fd);
  if (s == nullptr) return -EBADF;
  s->linger_on = on;
  s->linger_s = seconds;
  return 0;
}

int SocketApi::GetSockOpt(int fd, int level, int name, int* value) {
  Sock* s = Find(fd);
  if (s == nullptr) return -EBADF;
  const tcp::ConnectionOptions& o = s->conn != nullptr ? s->conn->options() : s->opts;
  if (level == kSolSocket && name == kSoError) {
    *value = s->conn != nullptr ? s->conn->TakeError() : 0;
    return 0;
  }
  if (level == kSolSocket && name == kSoReuseAddr) {
    *value = s->reuseaddr;
    return 0;
  }
  if (level == kIpProtoTcp && name == kTcpNoDelay) {
    *value = o.nodelay;
    return 0;
  }
  if (level == kIpProtoTcp && name == kTcpMaxSeg) {
    *value =
        s->conn != nullptr ? static_cast<int>(s->conn->mss()) : (o.user_mss ? o.user_mss : 536);
    return 0;
  }
  return -ENOPROTOOPT;
}

int SocketApi::GetTcpInfo(int fd, TcpInfo* info) {
  Sock* s = Find(fd);
  if (s == nullptr) return -EBADF;
  if (s->conn == nullptr) return -ENOTCONN;
  const tcp::Connection& c = *s->conn;
  // Linux's TCP_* state numbers (include/net/tcp_states.h).
  static constexpr uint8_t kLinuxState[] = {7, 10, 2, 3, 1, 4, 5, 8, 11, 9, 6};
  *info = TcpInfo{};
  info->state = kLinuxState[static_cast<int>(c.state())];
  info->retransmits = static_cast<uint8_t>(std::min(c.retransmits(), 255));
  info->rto_us = c.rto().tcpi_rto();
  info->rtt_us = c.rto().tcpi_rtt();
  info->rttvar_us = c.rto().tcpi_rttvar();
  info->snd_mss = c.mss();
  info->rcv_mss = c.negotiated().peer_mss;
  info->ca_state = static_cast<uint8_t>(c.ca_state());
  info->backoff = static_cast<uint8_t>(std::min<uint32_t>(c.rto().tcpi_backoff(), 255));
  info->ato_us = 40000;  // TCP_ATO_MIN: our delayed-ACK timeout does not adapt (yet)
  info->min_rtt_us = c.rto().tcpi_min_rtt();
  info->advmss = tcp_.mtu_mss();
  info->pmtu = tcp_.mtu_mss() + 40;
  info->snd_cwnd = c.cwnd();
  info->snd_ssthresh = c.ssthresh();
  info->unacked = static_cast<uint32_t>(c.unacked_bytes());
  info->snd_wnd = c.snd_wnd();
  info->rcv_wnd = c.rcv_wnd();
  info->rcv_space = c.rcvq_space();  // tcpi_rcv_space = tp->rcvq_space.space
  info->bytes_sent = c.stats().bytes_sent;
  info->bytes_acked = c.bytes_acked();
  info->bytes_received = c.stats().bytes_received;
  info->segs_out = c.stats().segs_out;
  info->segs_in = c.stats().segs_in;
  info->data_segs_out = c.stats().data_segs_out;
  info->data_segs_in = c.stats().data_segs_in;
  info->total_retrans = c.stats().total_retrans;
  const uint32_t now_ms = Jiffies32(tcp_.ctx().now());
  info->last_data_sent = now_ms - c.stats().last_data_sent_ms;
  info->last_data_recv = now_ms - c.stats().last_data_recv_ms;
  info->last_ack_recv = now_ms - c.stats().last_ack_recv_ms;
  info->congestion = c.congestion_control();
  info->snd_wscale = c.negotiated().snd_wscale;
  info->rcv_wscale = c.negotiated().rcv_wscale;
  info->timestamps = c.negotiated().timestamps;
  info->sack = c.negotiated().sack;
  info->wscale = c.negotiated().window_scaling;
  return 0;
}

int SocketApi::GetSockName(int fd, SockAddr* addr) {
  Sock* s = Find(fd);
  if (s == nullptr) return -EBADF;
  *addr = s->bound;
  return 0;
}

int SocketApi::GetPeerName(int fd, SockAddr* addr) {
  Sock* s = Find(fd);
  if (s == nullptr) return -EBADF;
  if (s->conn == nullptr || !tcp::IsSynchronized(s->conn->state())) return -ENOTCONN;
  *addr = {s->conn->tuple().remote_ip, s->conn->tuple().remote_port};
  return 0;
}

// The readiness rules of tcp_poll(): readable with data, at EOF or on error; writable once
// connected with room in the send buffer; HUP when both directions are finished or the
// connection is gone; ERR with a pending error.
uint32_t SocketApi::Poll(int fd) {
  Sock* s = Find(fd);
  if (s == nullptr) return kErr;
  if (s->listener != nullptr) return s->listener->accept_queue_size() > 0 ? uint32_t{kIn} : 0u;
  if (s->conn == nullptr) return kOut | kHup;
  const tcp::Connection& c = *s->conn;
  uint32_t ev = 0;
  const tcp::State st = c.state();
  if (c.pending_error() != 0) ev |= kErr;
  if (st == tcp::State::kClosed) ev |= kHup | kIn;
  if (c.readable() > 0 || c.read_eof()) ev |= kIn;
  if (c.read_eof()) ev |= kRdHup;
  if ((st == tcp::State::kEstablished || st == tcp::State::kCloseWait) && c.send_space() > 0) {
    ev |= kOut;
  }
  return ev;
}

std::vector<int> SocketApi::TakeChanged() {
  std::vector<int> out(changed_.begin(), changed_.end());
  changed_.clear();  // keeps its storage for the next round
  for (int fd : out) {
    if (Sock* s = Find(fd)) s->queued = false;
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace taptcp::socket
