// Ephemeral port selection for connect() without bind(), as Linux 6.x does it (RFC 6056).
//
// Linux (__inet_hash_connect and inet_sk_port_offset in net/ipv4/inet_hashtables.c,
// secure_ipv4_port_ephemeral in net/core/secure_seq.c) implements RFC 6056 §3.3.4 Algorithm 4,
// "double-hash port selection":
//   - a keyed hash of (local address, remote address, remote port) — plus, since the 2022 fixes
//     for CVE-2022-1012, the 10-second period number jiffies / (10 * HZ) — picks a bucket of a
//     2^16-entry perturbation table (low 16 bits) and a starting offset (high 32 bits);
//   - the scan starts at low + (table[bucket] + offset) % range, forced even, and walks the even
//     offsets from there with wrap-around, then the odd ones. connect() prefers ports of low's
//     parity so that bind() (inet_csk_find_open_port, which starts on the other parity) and connect
//     compete less. A range with an odd number of ports is rounded down to an even count, so one
//     port of it is never reached (ip-sysctl.rst: the two numbers had better have different
//     parity);
//   - on success the bucket advances by the distance scanned (or a random 0..7 steps, whichever is
//     more) plus one step, so consecutive connects to one destination walk through the range and
//     busy ranges are skipped next time instead of rescanned.
// With the socket option IP_LOCAL_PORT_RANGE (Linux 6.3; PickPortWithSocketRange) the range is the
// socket's and the scan goes one port at a time with no parity preference (Linux 6.8).
//
// Whether a port is free for this destination — no other socket on the 4-tuple, no explicit bind()
// on the port, TIME_WAIT reuse under tcp_tw_reuse (__inet_check_established, twsk_unique),
// net.ipv4.ip_local_reserved_ports — is the caller's decision, through `usable`.
//
// Everything random in Linux (the secret, the table contents, the jitter) comes from a seed here,
// so a simulation replays exactly; a real deployment passes a random seed.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "stack/crypto/siphash.h"
#include "stack/wire/addresses.h"
#include "timers/time.h"

namespace taptcp::tcp {

class PortAllocator {
 public:
  // CONFIG_INET_TABLE_PERTURB_ORDER's default: 2^16 buckets, chosen (with the CVE-2022-1012 fixes)
  // over RFC 6056's suggested 10 because small tables were shown to leak ports across
  // destinations.
  static constexpr int kPerturbOrder = 16;
  static constexpr uint32_t kPerturbSize = uint32_t{1} << kPerturbOrder;
  // EPHEMERAL_PORT_SHUFFLE_PERIOD: the port offset is re-salted every 10 s.
  static constexpr Duration kShufflePeriod = seconds(10);

  explicit PortAllocator(uint64_t seed);
  // net_secret is shared with the ISN (Linux uses one secret for both); `seed` still feeds the
  // table contents and the jitter.
  PortAllocator(const crypto::SipKey& net_secret, uint64_t seed);

  // Picks a local port for a connection from `local` to remote:remote_port within `range`
  // (net.ipv4.ip_local_port_range: {low, high}, inclusive), probing candidates with `usable` in
  // Linux's order. At most high - low + 1 probes, each port at most once. nullopt means
  // EADDRNOTAVAIL: every candidate was refused, or the range is not within 1..65535 with
  // low <= high.
  std::optional<uint16_t> PickPort(wire::Ipv4Address local, wire::Ipv4Address remote,
                                   uint16_t remote_port, std::array<int, 2> range, Instant now,
                                   absl::FunctionRef<bool(uint16_t port)> usable);

  // The same with the socket's IP_LOCAL_PORT_RANGE value (low 16 bits: low port, high 16 bits:
  // high port, 0 meaning unset), as inet_sk_get_local_port_range() combines it with the sysctl:
  // each socket bound replaces the sysctl's when it lies inside the sysctl range. Any nonzero value
  // switches the scan to step 1 without the parity preference, as in Linux; 0 behaves as PickPort.
  std::optional<uint16_t> PickPortWithSocketRange(wire::Ipv4Address local, wire::Ipv4Address remote,
                                                  uint16_t remote_port, std::array<int, 2> range,
                                                  uint32_t socket_range, Instant now,
                                                  absl::FunctionRef<bool(uint16_t port)> usable);

  // secure_ipv4_port_ephemeral(): the 64-bit keyed hash of (local, remote, remote port, period).
  // Exposed for tests and traces.
  uint64_t PortOffset(wire::Ipv4Address local, wire::Ipv4Address remote, uint16_t remote_port,
                      Instant now) const;
  // The perturbation table entry for a bucket (table_perturb[index]), as a read-only view.
  uint32_t Perturbation(uint32_t index) const;

 private:
  std::optional<uint16_t> Scan(wire::Ipv4Address local, wire::Ipv4Address remote,
                               uint16_t remote_port, int low, int high, bool socket_range,
                               Instant now, absl::FunctionRef<bool(uint16_t port)> usable);
  uint32_t& Bucket(uint32_t index);
  uint32_t InitialPerturbation(uint32_t index) const;
  // get_random_u32_below(8).
  uint32_t RandomBelow8();

  crypto::SipKey net_secret_;
  // Linux fills table_perturb with random bytes on first use; we derive each entry from this key
  // when it is first touched, so only buckets in use take memory.
  crypto::SipKey table_key_;
  crypto::SipKey jitter_key_;
  uint64_t jitter_counter_ = 0;
  absl::flat_hash_map<uint32_t, uint32_t> table_;
};

}  // namespace taptcp::tcp
