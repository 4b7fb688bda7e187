#include "stack/wire/checksum.h"

#include <bit>
#include <cstddef>
#include <cstring>

#include "stack/wire/bytes.h"

namespace taptcp::wire {
namespace {

// One's-complement add in 64 bits: the carry out of bit 63 wraps around to bit 0. Since
// 2^64 == 1 (mod 2^16 - 1), folding the result to 16 bits later gives the RFC 1071 sum.
inline uint64_t AddCarry(uint64_t a, uint64_t b) {
  const uint64_t s = a + b;
  return s + (s < b ? 1 : 0);
}

inline uint64_t Load64Native(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

// Native-order partial sum of `n` bytes starting at an even stream offset.
uint64_t SumNative(const uint8_t* p, size_t n, uint64_t acc) {
  // Four independent accumulators break the carry dependency chain between consecutive adds.
  uint64_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  while (n >= 32) {
    a0 = AddCarry(a0, Load64Native(p));
    a1 = AddCarry(a1, Load64Native(p + 8));
    a2 = AddCarry(a2, Load64Native(p + 16));
    a3 = AddCarry(a3, Load64Native(p + 24));
    p += 32;
    n -= 32;
  }
  acc = AddCarry(acc, AddCarry(AddCarry(a0, a1), AddCarry(a2, a3)));
  while (n >= 8) {
    acc = AddCarry(acc, Load64Native(p));
    p += 8;
    n -= 8;
  }
  if (n >= 4) {
    uint32_t w;
    std::memcpy(&w, p, sizeof(w));
    acc = AddCarry(acc, w);
    p += 4;
    n -= 4;
  }
  if (n >= 2) {
    uint16_t w;
    std::memcpy(&w, p, sizeof(w));
    acc = AddCarry(acc, w);
    p += 2;
    n -= 2;
  }
  if (n == 1) {
    // A trailing odd byte is the high-order byte of a word padded with zero (RFC 1071 §4.1),
    // i.e. the byte at the lower address of a native-order 16-bit word.
    const uint64_t b = *p;
    acc = AddCarry(acc, std::endian::native == std::endian::little ? b : b << 8);
  }
  return acc;
}

// Folds a 64-bit one's-complement sum to 16 bits (still native order).
inline uint16_t Fold(uint64_t sum) {
  sum = (sum & 0xFFFFFFFFu) + (sum >> 32);
  sum = (sum & 0xFFFFFFFFu) + (sum >> 32);
  sum = (sum & 0xFFFFu) + (sum >> 16);
  sum = (sum & 0xFFFFu) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

// Native-order 16-bit value whose bytes in memory are the big-endian encoding of `v`.
inline uint16_t NativeOf16(uint16_t v) { return HostToNet16(v); }

}  // namespace

void Checksum::Add(std::span<const uint8_t> data) {
  if (data.empty()) return;
  if (!odd_) {
    sum_ = SumNative(data.data(), data.size(), sum_);
  } else {
    // The piece starts at an odd stream offset: sum it as if even, then swap the bytes of the
    // folded partial sum (RFC 1071 §2(B), "byte order independence").
    const uint16_t partial = Fold(SumNative(data.data(), data.size(), 0));
    sum_ = AddCarry(sum_, ByteSwap16(partial));
  }
  if (data.size() % 2 != 0) odd_ = !odd_;
}

void Checksum::Add16(uint16_t value) {
  if (odd_) {
    uint8_t b[2];
    Store16(b, value);
    Add(b);
    return;
  }
  sum_ = AddCarry(sum_, NativeOf16(value));
}

void Checksum::Add32(uint32_t value) {
  if (odd_) {
    uint8_t b[4];
    Store32(b, value);
    Add(b);
    return;
  }
  sum_ = AddCarry(sum_, HostToNet32(value));
}

void Checksum::AddPseudoHeader(Ipv4Address src, Ipv4Address dst, uint8_t protocol,
                               uint16_t length) {
  Add32(src.value);
  Add32(dst.value);
  Add16(protocol);  // a zero byte, then the protocol
  Add16(length);
}

uint16_t Checksum::Finish() const {
  const uint16_t folded = Fold(sum_);
  return static_cast<uint16_t>(~NetToHost16(folded));
}

uint16_t InternetChecksum(std::span<const uint8_t> data) {
  Checksum c;
  c.Add(data);
  return c.Finish();
}

uint16_t ChecksumUpdate16(uint16_t old_checksum, uint16_t old_word, uint16_t new_word) {
  // RFC 1624 eqn. 3, computed in 32 bits and folded.
  uint32_t sum = static_cast<uint16_t>(~old_checksum);
  sum += static_cast<uint16_t>(~old_word);
  sum += new_word;
  sum = (sum & 0xFFFF) + (sum >> 16);
  sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

uint16_t ChecksumUpdate32(uint16_t old_checksum, uint32_t old_value, uint32_t new_value) {
  uint32_t sum = static_cast<uint16_t>(~old_checksum);
  sum += static_cast<uint16_t>(~(old_value >> 16));
  sum += static_cast<uint16_t>(~old_value);
  sum += new_value >> 16;
  sum += new_value & 0xFFFF;
  sum = (sum & 0xFFFF) + (sum >> 16);
  sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

}  // namespace taptcp::wire
