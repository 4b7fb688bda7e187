// Initial sequence numbers and timestamp offsets, as Linux picks them (net/core/secure_seq.c).
//
// RFC 6528 §3: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), where M is a timer
// and F a keyed hash. Linux's secure_tcp_seq() uses F = SipHash-2-4 under the boot-time secret
// net_secret and M = ktime_get_real_ns() >> 6, a clock that ticks every 64 ns (seq_scale(): fast
// enough that a reopened connection starts above the old one's sequence space, slow enough that
// the 32-bit space wraps only every 274 s, more than an MSL). An off-path attacker who does not
// know the secret cannot guess the ISN (RFC 6528 §1), while for one 4-tuple successive ISNs still
// advance monotonically with time (RFC 9293 §3.4.1).
//
// The TCP timestamp clock gets a per-peer offset for the same reason (RFC 7323 §5.4, and it hides
// the host's uptime): Linux 4.11 .. 6.x secure_tcp_ts_off() hashes (saddr, daddr) under a second
// secret, ts_secret, so TSval starts at a random point per peer.
//
// Our clock is the stack's Instant (virtual in tests), never the wall clock. Keys come from a seed
// so a simulation replays exactly; a real deployment (the TAP driver) passes a seed from a random
// source, or full 128-bit keys through the second constructor.
#pragma once

#include <cstdint>

#include "stack/crypto/siphash.h"
#include "stack/tcp/tuple.h"
#include "timers/time.h"

namespace taptcp::tcp {

class IsnGenerator {
 public:
  // Which connections share a timestamp offset.
  enum class TsOffsetScope {
    // Linux 4.11 .. 6.x: secure_tcp_ts_off(saddr, daddr) under ts_secret, one offset per pair of
    // addresses (kept host-wide for the since-removed tcp_tw_recycle).
    kHostPair,
    // Linux mainline since 2026 (commit "tcp: secure_seq: add back ports to TS offset"): one
    // SipHash of the 4-tuple under net_secret yields both values, the ISN from its low 32 bits and
    // the offset from its high 32 bits (secure_tcp_seq_and_ts_off), closing a port side channel.
    kConnection,
  };

  explicit IsnGenerator(uint64_t seed, TsOffsetScope scope = TsOffsetScope::kHostPair);
  IsnGenerator(const crypto::SipKey& net_secret, const crypto::SipKey& ts_secret,
               TsOffsetScope scope = TsOffsetScope::kHostPair);

  // The ISN for a connection (secure_tcp_seq): the 4-tuple's keyed hash plus ClockTicks(now). Both
  // the active opener (tcp_v4_connect) and the passive one (tcp_v4_init_seq, from the SYN's
  // addresses swapped) hash local address, remote address, local port, remote port, which is the
  // order FourTuple already has.
  uint32_t Isn(const FourTuple& tuple, Instant now) const;

  // The value added to the connection's timestamp clock (tp->tsoffset). Hashes the local and remote
  // addresses only (kHostPair) or the whole 4-tuple (kConnection), always as (local, remote) like
  // tcp_v4_connect and tcp_v4_init_ts_off. Linux uses 0 instead when net.ipv4.tcp_timestamps != 1
  // (2 means "timestamps without random offset"); that knob is the caller's to apply.
  uint32_t TimestampOffset(const FourTuple& tuple) const;

  // The RFC 6528 timer M: nanoseconds on the stack's timeline divided by 64, modulo 2^32, as
  // seq_scale() adds ktime_get_real_ns() >> 6.
  static uint32_t ClockTicks(Instant now);

  TsOffsetScope scope() const { return scope_; }

 private:
  // SipHash of the 4-tuple under net_secret, with the words laid out as Linux lays them out (see
  // isn.cc): Isn() uses the low half, kConnection's offset the high half.
  uint64_t TupleHash(const FourTuple& tuple) const;

  crypto::SipKey net_secret_;
  crypto::SipKey ts_secret_;
  TsOffsetScope scope_;
};

}  // namespace taptcp::tcp
