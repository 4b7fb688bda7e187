#include "stack/tcp/isn.h"

#include "stack/wire/bytes.h"

namespace taptcp::tcp {
namespace {

// Linux hashes the address and port fields as they sit in the packet (__be32, __be16) loaded into
// native u32 words. Our word hashing is defined on little-endian words (crypto/siphash.h), so the
// byte-swapped host-order values give the same bytes an x86-64 kernel hashes: with Linux's secret
// as the key, TupleHash() equals its siphash_3u32() bit for bit.
uint32_t AddressWord(wire::Ipv4Address a) { return wire::ByteSwap32(a.value); }
uint32_t PortsWord(uint16_t local_port, uint16_t remote_port) {
  // (__force u32)sport << 16 | (__force u32)dport, from secure_tcp_seq().
  return (uint32_t{wire::ByteSwap16(local_port)} << 16) | wire::ByteSwap16(remote_port);
}

}  // namespace

IsnGenerator::IsnGenerator(uint64_t seed, TsOffsetScope scope)
    : IsnGenerator(crypto::DeriveSipKey(seed, "net_secret"),
                   crypto::DeriveSipKey(seed, "ts_secret"), scope) {}

IsnGenerator::IsnGenerator(const crypto::SipKey& net_secret, const crypto::SipKey& ts_secret,
                           TsOffsetScope scope)
    : net_secret_(net_secret), ts_secret_(ts_secret), scope_(scope) {}

uint64_t IsnGenerator::TupleHash(const FourTuple& t) const {
  return crypto::SipHash(net_secret_, AddressWord(t.local_ip), AddressWord(t.remote_ip),
                         PortsWord(t.local_port, t.remote_port));
}

uint32_t IsnGenerator::ClockTicks(Instant now) {
  // Two's-complement wrap for (unexpected) negative instants keeps the clock monotonic mod 2^32.
  const auto ns = static_cast<uint64_t>(now.time_since_epoch().count());
  return static_cast<uint32_t>(ns >> 6);
}

uint32_t IsnGenerator::Isn(const FourTuple& tuple, Instant now) const {
  // secure_tcp_seq(): the u32 result keeps the low half of the 64-bit SipHash; seq_scale() adds
  // the clock modulo 2^32.
  return static_cast<uint32_t>(TupleHash(tuple)) + ClockTicks(now);
}

uint32_t IsnGenerator::TimestampOffset(const FourTuple& tuple) const {
  if (scope_ == TsOffsetScope::kConnection) {
    // secure_tcp_seq_and_ts_off(): union { struct { u32 seq; u32 ts_off; }; u64 hash64; } on a
    // little-endian host puts ts_off in the high half.
    return static_cast<uint32_t>(TupleHash(tuple) >> 32);
  }
  // secure_tcp_ts_off(): siphash_2u32(saddr, daddr, &ts_secret), truncated to u32.
  return static_cast<uint32_t>(
      crypto::SipHash(ts_secret_, AddressWord(tuple.local_ip), AddressWord(tuple.remote_ip)));
}

}  // namespace taptcp::tcp
