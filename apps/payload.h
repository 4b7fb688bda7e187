// The byte stream the apps send when a test must check every byte: byte i of an endless stream
// that anyone can recompute from i alone (a SplitMix64-style mix, keeping the low byte), so
// neither side stores what it sent. `connect --send N` sends bytes 0..N-1, `serve --app
// write-close:N` and the HTTP responder's /bytes/N do the same. In Python:
//   x = ((i + 0x9E3779B97F4A7C15) * 0xBF58476D1CE4E5B9) % 2**64; byte = (x ^ (x >> 31)) & 0xFF
#pragma once

#include <cstdint>
#include <span>

namespace taptcp::apps {

inline uint8_t PayloadByte(uint64_t i) {
  uint64_t x = (i + 0x9E3779B97F4A7C15ull) * 0xBF58476D1CE4E5B9ull;
  x ^= x >> 31;
  return static_cast<uint8_t>(x);
}

// Bytes offset..offset+out.size()-1 of the stream.
inline void FillPayload(uint64_t offset, std::span<uint8_t> out) {
  for (size_t i = 0; i < out.size(); ++i) out[i] = PayloadByte(offset + i);
}

}  // namespace taptcp::apps
