// SipHash-2-4 (Aumasson & Bernstein, "SipHash: a fast short-input PRF", 2012): the keyed hash
// Linux uses wherever an off-path attacker must not predict a value derived from a connection's
// identity — initial sequence numbers and timestamp offsets (net/core/secure_seq.c), ephemeral
// port offsets (secure_ipv4_port_ephemeral), SYN cookies (net/ipv4/syncookies.c) and Fast Open
// cookies (net/ipv4/tcp_fastopen.c). We use the same function so those values have the same
// shape and strength as the kernel's.
//
// Word convenience overloads. Linux hashes a few 32-bit words with siphash_1u32 ...
// siphash_4u32 (lib/siphash.c) without building a buffer; ours do the same and are defined as
// SipHash over the words' little-endian bytes concatenated in argument order:
//   SipHash(key, a, b, c) == SipHash(key, LE32(a) || LE32(b) || LE32(c))
// which is exactly what Linux's siphash_3u32(a, b, c) computes. The result does not depend on the
// host's byte order, so a simulation replays identically everywhere.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace taptcp::crypto {

// A 128-bit SipHash key as two 64-bit halves: k0 is the first 8 key bytes read little-endian, k1
// the last 8 (the paper's k0 || k1; Linux's siphash_key_t.key[0..1]).
struct SipKey {
  uint64_t k0 = 0;
  uint64_t k1 = 0;

  // Key bytes in the paper's order (key 00 01 .. 0f is {0x0706050403020100, 0x0f0e0d0c0b0a0908}).
  static SipKey FromBytes(std::span<const uint8_t, 16> bytes);

  friend bool operator==(const SipKey&, const SipKey&) = default;
};

// The 128-bit output variant (the reference implementation's outlen 16). lo is the first 8 output
// bytes read little-endian, hi the last 8.
struct SipHash128Value {
  uint64_t lo = 0;
  uint64_t hi = 0;

  friend bool operator==(const SipHash128Value&, const SipHash128Value&) = default;
};

// SipHash-2-4, 64-bit output, over a byte string.
uint64_t SipHash(const SipKey& key, std::span<const uint8_t> data);

// SipHash-2-4 over 1..4 little-endian 32-bit words (see the header comment); equal to the byte
// version over the 4, 8, 12 or 16 bytes, and to Linux's siphash_1u32 .. siphash_4u32.
uint64_t SipHash(const SipKey& key, uint32_t a);
uint64_t SipHash(const SipKey& key, uint32_t a, uint32_t b);
uint64_t SipHash(const SipKey& key, uint32_t a, uint32_t b, uint32_t c);
uint64_t SipHash(const SipKey& key, uint32_t a, uint32_t b, uint32_t c, uint32_t d);

// SipHash-2-4 with 128-bit output over a byte string (for SYN cookies or Fast Open cookies that
// want more than 64 bits; Linux's TFO cookie is 64 bits of siphash, so this is optional there).
SipHash128Value SipHash128(const SipKey& key, std::span<const uint8_t> data);

// A key derived deterministically from a 64-bit seed and a purpose label, so one stack seed yields
// independent keys for independent uses (Linux draws each secret separately from the RNG:
// net_secret, ts_secret, table_perturb, syncookie_secret, ...). Same seed and label, same key:
// modules that must share a secret (the ISN and the port offset both use Linux's net_secret) name
// the same label. This only spreads the seed's entropy, it cannot add any: a real deployment
// passes a seed from a random source (getrandom(2) in the driver), tests pass a fixed one.
SipKey DeriveSipKey(uint64_t seed, std::string_view label);

}  // namespace taptcp::crypto
