// SipHash-2-4 written from the paper's specification (§2): four 64-bit lanes initialised from the
// key and the constants "somepseudorandomlygeneratedbytes", two SipRounds per 8-byte message
// block, a final block carrying the message length mod 256 in its top byte, then four rounds.
// The 128-bit variant (reference implementation, outlen 16) xors 0xee into v1 at the start and
// into v2 before finalisation, and 0xdd into v1 before the second output word.
#include "stack/crypto/siphash.h"

#include <bit>

namespace taptcp::crypto {
namespace {

uint64_t LoadLe64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

class SipState {
 public:
  SipState(const SipKey& key, bool wide)
      : v0_(key.k0 ^ 0x736f6d6570736575ull),
        v1_(key.k1 ^ 0x646f72616e646f6dull),
        v2_(key.k0 ^ 0x6c7967656e657261ull),
        v3_(key.k1 ^ 0x7465646279746573ull) {
    if (wide) v1_ ^= 0xee;
  }

  // One message block: c = 2 SipRounds.
  void Compress(uint64_t m) {
    v3_ ^= m;
    Round();
    Round();
    v0_ ^= m;
  }

  // d = 4 rounds; `marker` is 0xff for 64-bit output, 0xee for the first word of 128-bit output.
  uint64_t Finalize(uint8_t marker) {
    v2_ ^= marker;
    for (int i = 0; i < 4; ++i) Round();
    return v0_ ^ v1_ ^ v2_ ^ v3_;
  }

  // The second output word of the 128-bit variant, after Finalize(0xee).
  uint64_t SecondWord() {
    v1_ ^= 0xdd;
    for (int i = 0; i < 4; ++i) Round();
    return v0_ ^ v1_ ^ v2_ ^ v3_;
  }

  // Absorbs all of `data`, including the final length block.
  void Absorb(std::span<const uint8_t> data) {
    const size_t full = data.size() & ~size_t{7};
    for (size_t i = 0; i < full; i += 8) Compress(LoadLe64(data.data() + i));
    uint64_t last = static_cast<uint64_t>(data.size() & 0xff) << 56;
    for (size_t i = full; i < data.size(); ++i) last |= uint64_t{data[i]} << (8 * (i - full));
    Compress(last);
  }

 private:
  void Round() {
    v0_ += v1_;
    v1_ = std::rotl(v1_, 13);
    v1_ ^= v0_;
    v0_ = std::rotl(v0_, 32);
    v2_ += v3_;
    v3_ = std::rotl(v3_, 16);
    v3_ ^= v2_;
    v0_ += v3_;
    v3_ = std::rotl(v3_, 21);
    v3_ ^= v0_;
    v2_ += v1_;
    v1_ = std::rotl(v1_, 17);
    v1_ ^= v2_;
    v2_ = std::rotl(v2_, 32);
  }

  uint64_t v0_, v1_, v2_, v3_;
};

// Two 32-bit words as one little-endian 8-byte block: a's bytes first.
constexpr uint64_t Pair(uint32_t a, uint32_t b) { return uint64_t{a} | (uint64_t{b} << 32); }
constexpr uint64_t LengthByte(uint64_t len) { return len << 56; }

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

}  // namespace

SipKey SipKey::FromBytes(std::span<const uint8_t, 16> bytes) {
  return SipKey{LoadLe64(bytes.data()), LoadLe64(bytes.data() + 8)};
}

uint64_t SipHash(const SipKey& key, std::span<const uint8_t> data) {
  SipState s(key, /*wide=*/false);
  s.Absorb(data);
  return s.Finalize(0xff);
}

// The word forms follow the byte form's block layout: whole 8-byte blocks are word pairs, and a
// trailing odd word shares the final block with the length byte (lib/siphash.c does the same).
uint64_t SipHash(const SipKey& key, uint32_t a) {
  SipState s(key, false);
  s.Compress(uint64_t{a} | LengthByte(4));
  return s.Finalize(0xff);
}

uint64_t SipHash(const SipKey& key, uint32_t a, uint32_t b) {
  SipState s(key, false);
  s.Compress(Pair(a, b));
  s.Compress(LengthByte(8));
  return s.Finalize(0xff);
}

uint64_t SipHash(const SipKey& key, uint32_t a, uint32_t b, uint32_t c) {
  SipState s(key, false);
  s.Compress(Pair(a, b));
  s.Compress(uint64_t{c} | LengthByte(12));
  return s.Finalize(0xff);
}

uint64_t SipHash(const SipKey& key, uint32_t a, uint32_t b, uint32_t c, uint32_t d) {
  SipState s(key, false);
  s.Compress(Pair(a, b));
  s.Compress(Pair(c, d));
  s.Compress(LengthByte(16));
  return s.Finalize(0xff);
}

SipHash128Value SipHash128(const SipKey& key, std::span<const uint8_t> data) {
  SipState s(key, /*wide=*/true);
  s.Absorb(data);
  SipHash128Value out;
  out.lo = s.Finalize(0xee);
  out.hi = s.SecondWord();
  return out;
}

SipKey DeriveSipKey(uint64_t seed, std::string_view label) {
  // SplitMix64 turns the seed into a well-mixed base key (nearby seeds give unrelated keys), and
  // the 128-bit SipHash of the label under it separates purposes.
  uint64_t state = seed;
  const SipKey base{SplitMix64(state), SplitMix64(state)};
  const auto* bytes = reinterpret_cast<const uint8_t*>(label.data());
  const SipHash128Value h = SipHash128(base, std::span<const uint8_t>(bytes, label.size()));
  return SipKey{h.lo, h.hi};
}

}  // namespace taptcp::crypto
