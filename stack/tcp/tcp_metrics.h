// What TCP remembers about a peer after a connection with it ends (Linux tcp_metrics.c). We keep
// the one fact a listener asks about: has this address completed a connection with a measured
// round trip? With SYN cookies off, the last quarter of tcp_max_syn_backlog is kept for such
// "proven" peers (tcp_conn_request -> tcp_peer_is_proven), so a SYN flood from unknown sources
// cannot lock out clients the host already talks to.
//
// Bounded: at most kCapacity addresses, the oldest forgotten first (Linux reclaims the oldest
// entry of a hash chain, tcpm_suck_dst / TCP_METRICS_RECLAIM_DEPTH).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>

#include "absl/container/flat_hash_set.h"
#include "stack/wire/addresses.h"

namespace taptcp::tcp {

class TcpMetrics {
 public:
  static constexpr size_t kCapacity = 16384;

  // tcp_update_metrics, called when a connection that measured an RTT ends gracefully
  // (tcp_time_wait, or the last ACK of LAST_ACK).
  void Update(wire::Ipv4Address peer) {
    if (!proven_.insert(peer.value).second) return;
    order_.push_back(peer.value);
    if (order_.size() > kCapacity) {
      proven_.erase(order_.front());
      order_.pop_front();
    }
  }
  bool PeerIsProven(wire::Ipv4Address peer) const { return proven_.contains(peer.value); }
  size_t size() const { return proven_.size(); }

 private:
  absl::flat_hash_set<uint32_t> proven_;
  std::deque<uint32_t> order_;
};

}  // namespace taptcp::tcp
