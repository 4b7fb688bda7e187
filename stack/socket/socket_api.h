// The BSD socket API a C programmer recognises, over taptcp's TCP: small integer descriptors,
// results that are byte counts or negative errno values (-EAGAIN, -ECONNREFUSED, ...), Linux's
// option numbers, and readiness in epoll's terms. Always non-blocking: an app is an event loop
// that the driver runs between stack steps (DESIGN.md).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "stack/tcp/tcp_layer.h"

namespace taptcp::socket {

// epoll(7) event bits, same values as Linux.
enum Event : uint32_t {
  kIn = 0x001,
  kOut = 0x004,
  kErr = 0x008,
  kHup = 0x010,
  kRdHup = 0x2000,
};

// Option levels and names: Linux's values (asm-generic/socket.h, linux/tcp.h).
inline constexpr int kSolSocket = 1;
inline constexpr int kSoReuseAddr = 2, kSoError = 4, kSoSndBuf = 7, kSoRcvBuf = 8, kSoKeepAlive = 9,
                     kSoLinger = 13;
inline constexpr int kIpProtoTcp = 6;
inline constexpr int kTcpNoDelay = 1, kTcpMaxSeg = 2, kTcpKeepIdle = 4, kTcpKeepIntvl = 5,
                     kTcpKeepCnt = 6, kTcpSynCnt = 7, kTcpLinger2 = 8;
inline constexpr int kShutRd = 0, kShutWr = 1, kShutRdWr = 2;
inline constexpr int kMsgPeek = 0x02;

struct SockAddr {
  wire::Ipv4Address ip;
  uint16_t port = 0;
};

// The fields of struct tcp_info that `ss -i` prints (linux/tcp.h), units as Linux gives them.
struct TcpInfo {
  uint8_t state = 0;     // TCP_ESTABLISHED = 1, ... as Linux numbers them
  uint8_t ca_state = 0;  // TCP_CA_Open = 0 ... TCP_CA_Loss = 4
  uint8_t retransmits = 0, backoff = 0;
  uint32_t rto_us = 0, ato_us = 0, rtt_us = 0, rttvar_us = 0, min_rtt_us = 0;
  uint32_t snd_mss = 0, rcv_mss = 0, advmss = 0, pmtu = 0;
  uint32_t snd_cwnd = 0, snd_ssthresh = 0, unacked = 0, snd_wnd = 0, rcv_wnd = 0, rcv_space = 0;
  uint8_t snd_wscale = 0, rcv_wscale = 0;
  bool timestamps = false, sack = false, wscale = false;
  uint64_t bytes_sent = 0, bytes_acked = 0, bytes_received = 0;
  uint32_t segs_out = 0, segs_in = 0, data_segs_out = 0, data_segs_in = 0, total_retrans = 0;
  // Milliseconds since data last went out / came in and since the last ACK (ss: lastsnd,
  // lastrcv, lastack).
  uint32_t last_data_sent = 0, last_data_recv = 0, last_ack_recv = 0;
  std::string_view congestion;  // TCP_CONGESTION: "cubic", "reno"
};

class SocketApi {
 public:
  explicit SocketApi(tcp::TcpLayer& tcp);
  ~SocketApi();

  int Socket();
  int Bind(int fd, SockAddr addr);
  int Listen(int fd, int backlog);
  int Accept(int fd, SockAddr* peer = nullptr);
  int Connect(int fd, SockAddr addr);
  int64_t Send(int fd, std::span<const uint8_t> data);
  int64_t Recv(int fd, std::span<uint8_t> out, int flags = 0);
  int Shutdown(int fd, int how);
  int Close(int fd);
  int SetSockOpt(int fd, int level, int name, int value);
  int SetLinger(int fd, bool on, int seconds);
  int GetSockOpt(int fd, int level, int name, int* value);
  int GetTcpInfo(int fd, TcpInfo* info);
  int GetSockName(int fd, SockAddr* addr);
  int GetPeerName(int fd, SockAddr* addr);

  // Readiness now (epoll_wait's answer for one descriptor).
  uint32_t Poll(int fd);
  // Descriptors whose readiness may have changed since the last call (an edge-triggered hint;
  // Poll tells the truth).
  std::vector<int> TakeChanged();
  size_t open_count() const { return sockets_.size(); }

 private:
  struct Sock;
  Sock* Find(int fd);
  int SetOption(int fd, int level, int name, int value);  // SetSockOpt without the inheritance

  tcp::TcpLayer& tcp_;
  std::map<int, std::unique_ptr<Sock>> sockets_;
  std::vector<int> changed_;
  int next_fd_ = 3;  // 0, 1 and 2 look like stdio in traces; start where Linux would
};

}  // namespace taptcp::socket
