#include "stack/tcp/syncookie.h"

#include <chrono>

#include "stack/wire/bytes.h"

namespace taptcp::tcp {
namespace {

// The cookie's layout (COOKIEBITS in syncookies.c): the minute counter in the top 8 bits, hash
// plus MSS index in the low 24.
constexpr uint32_t kCookieBits = 24;
constexpr uint32_t kCookieMask = (uint32_t{1} << kCookieBits) - 1;
constexpr uint32_t kCountMask = ~uint32_t{0} >> kCookieBits;  // the 8 counter bits, shifted down

// The TSval's option bits (TS_OPT_WSCALE_MASK, TS_OPT_SACK, TS_OPT_ECN, TSBITS in syncookies.c).
constexpr uint32_t kTsOptWscaleMask = 0xF;
constexpr uint32_t kTsOptSack = 1u << 4;
constexpr uint32_t kTsOptEcn = 1u << 5;
constexpr uint32_t kTsBits = 6;
constexpr uint8_t kMaxWscale = 14;  // TCP_MAX_WSCALE, RFC 7323 §2.3

// The words Linux hashes are the packet's big-endian fields loaded into native u32s
// (cookie_hash() takes __be32 addresses and __be16 ports). Our word SipHash is defined over
// little-endian words (crypto/siphash.h), so byte-swapped host-order values hash the same bytes an
// x86-64 kernel hashes: under Linux's syncookie_secret these cookies would equal the kernel's.
// Same convention as isn.cc.
uint32_t AddressWord(wire::Ipv4Address a) { return wire::ByteSwap32(a.value); }
uint32_t PortsWord(uint16_t source_port, uint16_t dest_port) {
  return (uint32_t{wire::ByteSwap16(source_port)} << 16) | wire::ByteSwap16(dest_port);
}

}  // namespace

uint32_t CookieMssIndex(uint16_t mss) {
  // __cookie_v4_init_sequence(): scan down from the largest entry and stop at index 0 whatever
  // the MSS, so anything below 536 maps to 536.
  uint32_t index = kCookieMssTable.size() - 1;
  while (index > 0 && mss < kCookieMssTable[index]) --index;
  return index;
}

SynCookies::SynCookies(uint64_t seed)
    : SynCookies(crypto::DeriveSipKey(seed, "syncookie_secret[0]"),
                 crypto::DeriveSipKey(seed, "syncookie_secret[1]")) {}

SynCookies::SynCookies(const crypto::SipKey& key0, const crypto::SipKey& key1)
    : key0_(key0), key1_(key1) {}

uint32_t SynCookies::CookieTime(Instant now) {
  // tcp_cookie_time(): do_div(get_jiffies_64(), 60 * HZ), truncated to u32. floor() keeps the
  // counter monotonic even for an Instant before the epoch.
  const auto count = std::chrono::floor<std::chrono::minutes>(now.time_since_epoch()).count();
  return static_cast<uint32_t>(count);
}

uint32_t SynCookies::Hash(const FourTuple& t, uint32_t count, const crypto::SipKey& key) const {
  // cookie_hash(saddr, daddr, sport, dport, count, c) is called with the SYN's (and the final
  // ACK's) IP source and TCP source first: the client, which is our remote side. The u32 result
  // keeps the low half of the 64-bit SipHash.
  return static_cast<uint32_t>(crypto::SipHash(key, AddressWord(t.remote_ip),
                                               AddressWord(t.local_ip),
                                               PortsWord(t.remote_port, t.local_port), count));
}

uint32_t SynCookies::Make(const FourTuple& t, Seq client_isn, uint32_t count,
                          uint32_t mss_index) const {
  // secure_tcp_syn_cookie(): the first hash (count 0, key 0) and the client's ISN make the cookie
  // unguessable and bind it to this SYN; the counter sits in the top 8 bits where the check can
  // read it back; the second hash (this minute, key 1) covers the low 24 bits, so without a valid
  // cookie in hand nobody can produce one for a chosen counter and index. All sums wrap modulo
  // 2^32. The sum is additive, not a MAC over the index: cookie + k (or client ISN - k) decodes as
  // index + k, which only lets whoever already holds a valid cookie pick another table entry.
  return Hash(t, 0, key0_) + client_isn.value() + (count << kCookieBits) +
         ((Hash(t, count, key1_) + mss_index) & kCookieMask);
}

std::optional<uint32_t> SynCookies::Check(const FourTuple& t, Seq client_isn, uint32_t cookie,
                                          uint32_t count_now) const {
  // check_tcp_syn_cookie(): peel off the first hash and the ISN; what is left is
  // (count << 24) + ((H1 + index) mod 2^24), whose top byte is the counter the cookie was made
  // with, modulo 2^8.
  cookie -= Hash(t, 0, key0_) + client_isn.value();
  // Age in minutes, modulo 2^8: a cookie made at count 255 checked at 256 reads as age 1 (both
  // subtraction and mask wrap), as in Linux.
  const uint32_t age = (count_now - (cookie >> kCookieBits)) & kCountMask;
  if (age >= kMaxSynCookieAge) return std::nullopt;
  // The full 32-bit counter the cookie was made with is count_now - age (H1 hashes all 32 bits).
  const uint32_t index = (cookie - Hash(t, count_now - age, key1_)) & kCookieMask;
  // __cookie_v4_check(): a forged or mangled cookie leaves a pseudo-random 24-bit value here; only
  // an index into the table is a success (so a random cookie passes with probability about
  // 2 * 4 / 2^32 per attempt: 2 of 256 counter values, 4 of 2^24 indices).
  if (index >= kCookieMssTable.size()) return std::nullopt;
  return index;
}

uint32_t EncodeCookieTsval(uint32_t tsval_now, const CookieOptions& options) {
  // cookie_init_timestamp(): wscale_ok ? snd_wscale : 0xF, | SACK, | ECN.
  uint32_t bits =
      options.wscale.has_value()
          ? uint32_t{options.wscale.value() < kMaxWscale ? options.wscale.value() : kMaxWscale}
          : kTsOptWscaleMask;
  if (options.sack) bits |= kTsOptSack;
  if (options.ecn) bits |= kTsOptEcn;
  // Replace the clock's low 6 bits with the options; if that moved the value forward, step back
  // one 64-tick unit, so the SYN-ACK's TSval is never later than the connection's next one. Like
  // Linux (a plain unsigned comparison, then u32 truncation of the u64 result), a clock below 64
  // wraps to just under 2^32, which is still "before" in TCP's modular timestamp order.
  uint32_t ts = ((tsval_now >> kTsBits) << kTsBits) | bits;
  if (ts > tsval_now) ts -= uint32_t{1} << kTsBits;
  return ts;
}

std::optional<CookieOptions> DecodeCookieTsecr(uint32_t tsecr, bool sack_enabled,
                                               bool wscale_enabled, bool ecn_enabled) {
  CookieOptions options;
  // cookie_ecn_ok(): the bit asks, the host's ECN setting permits; never a reason to refuse.
  options.ecn = (tsecr & kTsOptEcn) != 0 && ecn_enabled;
  // cookie_timestamp_decode(): SACK claimed while tcp_sack is off fails the cookie.
  options.sack = (tsecr & kTsOptSack) != 0;
  if (options.sack && !sack_enabled) return std::nullopt;
  const uint32_t wscale = tsecr & kTsOptWscaleMask;
  if (wscale == kTsOptWscaleMask) return options;  // the SYN had no window scale option
  // A window scale claimed while tcp_window_scaling is off fails the cookie too.
  if (!wscale_enabled) return std::nullopt;
  options.wscale = static_cast<uint8_t>(wscale);
  return options;
}

}  // namespace taptcp::tcp
