#include "stack/tcp/port_alloc.h"

#include <algorithm>

#include "stack/wire/bytes.h"

namespace taptcp::tcp {

PortAllocator::PortAllocator(uint64_t seed)
    : PortAllocator(crypto::DeriveSipKey(seed, "net_secret"), seed) {}

PortAllocator::PortAllocator(const crypto::SipKey& net_secret, uint64_t seed)
    : net_secret_(net_secret),
      table_key_(crypto::DeriveSipKey(seed, "table_perturb")),
      jitter_key_(crypto::DeriveSipKey(seed, "port_jitter")) {}

uint64_t PortAllocator::PortOffset(wire::Ipv4Address local, wire::Ipv4Address remote,
                                   uint16_t remote_port, Instant now) const {
  // secure_ipv4_port_ephemeral(): siphash_4u32(saddr, daddr, (u16)dport,
  // jiffies / EPHEMERAL_PORT_SHUFFLE_PERIOD). As in isn.cc the words are the packet's big-endian
  // fields as an x86-64 kernel loads them; jiffies is the stack's time in HZ=1000 ticks.
  const auto period = static_cast<uint32_t>(now.time_since_epoch() / kShufflePeriod);
  return crypto::SipHash(net_secret_, wire::ByteSwap32(local.value), wire::ByteSwap32(remote.value),
                         wire::ByteSwap16(remote_port), period);
}

uint32_t PortAllocator::InitialPerturbation(uint32_t index) const {
  return static_cast<uint32_t>(crypto::SipHash(table_key_, index));
}

uint32_t PortAllocator::Perturbation(uint32_t index) const {
  index &= kPerturbSize - 1;
  const auto it = table_.find(index);
  return it != table_.end() ? it->second : InitialPerturbation(index);
}

uint32_t& PortAllocator::Bucket(uint32_t index) {
  const auto [it, inserted] = table_.try_emplace(index, 0);
  if (inserted) it->second = InitialPerturbation(index);
  return it->second;
}

uint32_t PortAllocator::RandomBelow8() {
  const uint64_t counter = jitter_counter_++;
  return static_cast<uint32_t>(crypto::SipHash(jitter_key_, static_cast<uint32_t>(counter),
                                               static_cast<uint32_t>(counter >> 32))) &
         7;
}

std::optional<uint16_t> PortAllocator::PickPort(wire::Ipv4Address local, wire::Ipv4Address remote,
                                                uint16_t remote_port, std::array<int, 2> range,
                                                Instant now,
                                                absl::FunctionRef<bool(uint16_t port)> usable) {
  return Scan(local, remote, remote_port, range[0], range[1], /*socket_range=*/false, now, usable);
}

std::optional<uint16_t> PortAllocator::PickPortWithSocketRange(
    wire::Ipv4Address local, wire::Ipv4Address remote, uint16_t remote_port,
    std::array<int, 2> range, uint32_t socket_range, Instant now,
    absl::FunctionRef<bool(uint16_t port)> usable) {
  int low = range[0];
  int high = range[1];
  if (socket_range != 0) {
    // inet_sk_get_local_port_range(): each socket bound applies only if it lies inside the
    // sysctl range; either way the socket option turns on the one-by-one scan.
    const int sk_low = static_cast<int>(socket_range & 0xffff);
    const int sk_high = static_cast<int>(socket_range >> 16);
    if (low <= sk_low && sk_low <= high) low = sk_low;
    if (low <= sk_high && sk_high <= high) high = sk_high;
  }
  return Scan(local, remote, remote_port, low, high, socket_range != 0, now, usable);
}

std::optional<uint16_t> PortAllocator::Scan(wire::Ipv4Address local, wire::Ipv4Address remote,
                                            uint16_t remote_port, int low, int high,
                                            bool socket_range, Instant now,
                                            absl::FunctionRef<bool(uint16_t port)> usable) {
  if (low < 1 || high > 65535 || low > high) return std::nullopt;

  // The shape of __inet_hash_connect(): candidates are low + [0, remaining), with `remaining`
  // rounded down to even for the two-pass parity scan. The end stays high + 1, so in an odd-sized
  // range the wrap (port -= remaining) never lands on one port.
  const uint32_t step = socket_range ? 1 : 2;
  const auto end = static_cast<uint32_t>(high) + 1;
  uint32_t remaining = end - static_cast<uint32_t>(low);
  if (!socket_range && remaining > 1) remaining &= ~1u;

  const uint64_t port_offset = PortOffset(local, remote, remote_port, now);
  uint32_t& perturb = Bucket(static_cast<uint32_t>(port_offset) & (kPerturbSize - 1));
  uint32_t offset = (perturb + static_cast<uint32_t>(port_offset >> 32)) % remaining;
  // First pass: ports of low's parity (inet_csk_find_open_port, for bind(), starts on the other).
  if (!socket_range) offset &= ~1u;

  for (;;) {
    uint32_t port = static_cast<uint32_t>(low) + offset;
    for (uint32_t i = 0; i < remaining; i += step, port += step) {
      if (port >= end) port -= remaining;
      if (!usable(static_cast<uint16_t>(port))) continue;
      // Advance this destination's bucket past what was just scanned, with a little randomness
      // when the scan was short ("max() with a random ... on low contention the randomness is
      // maximal and on high contention it may be inexistent").
      const uint32_t advance = std::max(i, RandomBelow8() * step);
      perturb += advance + step;
      return static_cast<uint16_t>(port);
    }
    if (socket_range) break;
    // Second pass over the other parity; after it `offset` is even again and we stop.
    ++offset;
    if ((offset & 1) == 0 || remaining <= 1) break;
  }
  return std::nullopt;
}

}  // namespace taptcp::tcp
