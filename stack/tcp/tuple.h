// The 4-tuple that names a TCP connection (RFC 9293 §3.3.2), from this host's point of view.
#pragma once

#include <cstdint>
#include <string>

#include "stack/wire/addresses.h"

namespace taptcp::tcp {

struct FourTuple {
  wire::Ipv4Address local_ip;
  uint16_t local_port = 0;
  wire::Ipv4Address remote_ip;
  uint16_t remote_port = 0;

  friend bool operator==(const FourTuple&, const FourTuple&) = default;
  template <typename H>
  friend H AbslHashValue(H h, const FourTuple& t) {
    return H::combine(std::move(h), t.local_ip.value, t.local_port, t.remote_ip.value,
                      t.remote_port);
  }
  // "192.0.2.2:80 192.0.2.1:40000", as `ss` prints local then peer.
  std::string ToString() const {
    return local_ip.ToString() + ":" + std::to_string(local_port) + " " + remote_ip.ToString() +
           ":" + std::to_string(remote_port);
  }
};

}  // namespace taptcp::tcp
