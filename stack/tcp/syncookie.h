// SYN cookies (net/ipv4/syncookies.c): a listener under SYN flood answers a SYN without keeping any
// state, and rebuilds the request from the client's final ACK.
//
// The SYN-ACK's ISN is the cookie. It authenticates the 4-tuple and the client's ISN with a keyed
// hash, records the minute it was made in its top 8 bits, and carries the client's MSS as a 2-bit
// index into a table, hidden under a second keyed hash in the low 24 bits
// (secure_tcp_syn_cookie()):
//
//   cookie = H0(tuple) + client_isn + (count << 24) + ((H1(tuple, count) + mss_index) mod 2^24)
//
// The final ACK acknowledges cookie + 1 with sequence client_isn + 1, so the listener can peel the
// layers off again (check_tcp_syn_cookie()). A cookie is good for MAX_SYNCOOKIE_AGE = 2 values of
// the minute counter: the minute it was made and the next one.
//
// With timestamps the SYN-ACK's TSval carries what else the SYN asked for in its low 6 bits, and
// the client echoes it in the final ACK's TSecr (cookie_init_timestamp(),
// cookie_timestamp_decode()):
//
//   | 31 ... 6 | 5   | 4    | 3 2 1 0                          |
//   | clock    | ECN | SACK | window scale (0xF: no wscale)    |
//
// Without timestamps only the MSS survives: Linux's tcp_conn_request() clears the SYN's options for
// a cookie SYN-ACK when the SYN had no timestamp.
//
// This module is the arithmetic only; when to send or accept a cookie (tcp_syncookies, the recent
// overflow window, the counters) is the listener's business.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "stack/crypto/siphash.h"
#include "stack/tcp/seq.h"
#include "stack/tcp/tuple.h"
#include "timers/time.h"

namespace taptcp::tcp {

// The MSS table of __cookie_v4_init_sequence(): {536, 1300, 1440, 1460}. Linux chose the entries
// from measured MSS distributions (1460 most common, 1300..1349 and 1440/1452 for tunnels/PPPoE).
inline constexpr std::array<uint16_t, 4> kCookieMssTable{536, 1300, 1440, 1460};

// The minute counter's period and the number of its values a cookie stays valid for
// (TCP_SYNCOOKIE_PERIOD = 60 * HZ, MAX_SYNCOOKIE_AGE = 2 in include/net/tcp.h). A cookie made just
// before the counter ticks lives a little over 60 s, one made just after it almost 120 s.
inline constexpr Duration kSynCookiePeriod = minutes(1);
inline constexpr uint32_t kMaxSynCookieAge = 2;

// Index of the largest table entry not above `mss`, or 0 when mss < 536 (the loop in
// __cookie_v4_init_sequence() stops at index 0 without comparing). Note what that means: a SYN
// advertising less than 536 gets a connection with MSS 536, as in Linux.
uint32_t CookieMssIndex(uint16_t mss);

// The MSS an index stands for; the index must be < kCookieMssTable.size() (Check() guarantees it).
inline uint16_t CookieMss(uint32_t mss_index) { return kCookieMssTable[mss_index]; }

class SynCookies {
 public:
  // Two independent SipHash keys from the seed (Linux: static syncookie_secret[2], drawn from the
  // RNG once, on first use). Same seed, same cookies: a simulation replays exactly; a real
  // deployment passes a random seed.
  explicit SynCookies(uint64_t seed);
  SynCookies(const crypto::SipKey& key0, const crypto::SipKey& key1);

  // tcp_cookie_time(): the minute counter, get_jiffies_64() / TCP_SYNCOOKIE_PERIOD, here whole
  // minutes since the stack's epoch, truncated to 32 bits. Computed from the full 64-bit timeline,
  // not from the wrapping Jiffies32 (2^32 ms is not a whole number of minutes, so a counter made
  // from it would jump back every 49.7 days and reject good cookies).
  static uint32_t CookieTime(Instant now);

  // secure_tcp_syn_cookie(): the SYN-ACK's ISN for a SYN on `t` (the listener's view: local is the
  // listening address and port, remote the client) with sequence number `client_isn`, made at
  // minute `count` (CookieTime(now)) for MSS index `mss_index` (CookieMssIndex(); only its low 24
  // bits can be recovered, and Check() accepts only indices below the table size).
  uint32_t Make(const FourTuple& t, Seq client_isn, uint32_t count, uint32_t mss_index) const;

  // check_tcp_syn_cookie() plus the range test of __cookie_v4_check(): for a final ACK on `t`, pass
  // cookie = ack - 1 and client_isn = seq - 1. Returns the MSS index when the cookie was made for
  // this tuple and ISN in minute count_now or count_now - 1 (modulo 2^8, as only 8 bits of the
  // counter are in the cookie) and hides an index below the table size; nullopt otherwise (Linux:
  // SyncookiesFailed, and the ACK falls through to the listener, which resets it). As in Linux the
  // index is additive: a valid cookie plus k, or its ISN minus k, checks as index + k when that is
  // still in the table, so a single flip of bit 0 or 1 can pass; any change to the tuple, the
  // counter bits or the rest of the cookie fails, but for a chance of about 2^-22 or less.
  std::optional<uint32_t> Check(const FourTuple& t, Seq client_isn, uint32_t cookie,
                                uint32_t count_now) const;

 private:
  // cookie_hash(): SipHash of (saddr, daddr, sport << 16 | dport, count) under syncookie_secret[c],
  // with the SYN's source (our remote) first.
  uint32_t Hash(const FourTuple& t, uint32_t count, const crypto::SipKey& key) const;

  crypto::SipKey key0_;  // H0: the tuple alone (count 0)
  crypto::SipKey key1_;  // H1: the tuple and the minute counter
};

// The options a cookie SYN-ACK remembers in its TSval (inet_request_sock's wscale_ok/snd_wscale,
// sack_ok, ecn_ok for the SYN that asked).
struct CookieOptions {
  std::optional<uint8_t> wscale;  // the client's window scale shift; nullopt: no wscale option
  bool sack = false;
  bool ecn = false;

  friend bool operator==(const CookieOptions&, const CookieOptions&) = default;
};

// cookie_init_timestamp(): the SYN-ACK's TSval with the options in its low 6 bits. `tsval_now` is
// the TCP timestamp clock before the connection's random offset (Linux encodes the raw clock and
// tcp_make_synack() adds tcp_rsk(req)->ts_off afterwards). The result is at or before tsval_now
// (tsval_now minus 0..63, wrapping below 0), so the connection's later TSvals never go backwards.
// A wscale above 14 is sent as 14 (TCP_MAX_WSCALE; tcp_parse_options() clamps the SYN's value the
// same way before Linux encodes it), so it can never read back as 0xF, "no window scaling".
uint32_t EncodeCookieTsval(uint32_t tsval_now, const CookieOptions& options);

// cookie_timestamp_decode() and cookie_ecn_ok(), for a cookie ACK that carries a timestamp option.
// `tsecr` is the ACK's TSecr with the timestamp offset removed: cookie_tcp_check() subtracts
// secure_tcp_ts_off() first, but only when TSecr != 0 (a zero TSecr is decoded as is).
// The flags are the local knobs: net.ipv4.tcp_sack, net.ipv4.tcp_window_scaling, and whether ECN
// may be used (net.ipv4.tcp_ecn != 0, or the route's ECN feature).
//
// Linux 6.x refuses the cookie (nullopt here; the ACK then gets an RST from the listener) when the
// echo claims an option the host has switched off since: SACK with tcp_sack = 0, or a window scale
// with tcp_window_scaling = 0. ECN is not a refusal: without permission it is just off
// (cookie_ecn_ok()). No window scale is refused as impossible: 0..14 are shifts and 0xF, the only
// other 4-bit value, means none.
//
// The caller checks what this function cannot see, in Linux's order (cookie_timestamp_decode()):
// an ACK without a timestamp option means "no options at all" (tcp_clear_options()), and an ACK
// with one while net.ipv4.tcp_timestamps = 0 is refused.
std::optional<CookieOptions> DecodeCookieTsecr(uint32_t tsecr, bool sack_enabled,
                                               bool wscale_enabled, bool ecn_enabled);

}  // namespace taptcp::tcp
