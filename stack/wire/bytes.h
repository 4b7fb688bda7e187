// Big-endian (network byte order, RFC 791 Appendix B) loads and stores on raw byte pointers.
// memcpy-based so unaligned access and type punning are well defined; compilers turn each into a
// single load/store plus a byte swap.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

namespace taptcp::wire {

constexpr uint16_t ByteSwap16(uint16_t v) { return static_cast<uint16_t>((v << 8) | (v >> 8)); }
constexpr uint32_t ByteSwap32(uint32_t v) {
  return ((v & 0x000000FFu) << 24) | ((v & 0x0000FF00u) << 8) | ((v & 0x00FF0000u) >> 8) |
         ((v & 0xFF000000u) >> 24);
}

// Host order <-> network order.
constexpr uint16_t HostToNet16(uint16_t v) {
  return std::endian::native == std::endian::little ? ByteSwap16(v) : v;
}
constexpr uint32_t HostToNet32(uint32_t v) {
  return std::endian::native == std::endian::little ? ByteSwap32(v) : v;
}
constexpr uint16_t NetToHost16(uint16_t v) { return HostToNet16(v); }
constexpr uint32_t NetToHost32(uint32_t v) { return HostToNet32(v); }

inline uint16_t Load16(const uint8_t* p) {
  uint16_t v;
  std::memcpy(&v, p, sizeof(v));
  return NetToHost16(v);
}
inline uint32_t Load32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof(v));
  return NetToHost32(v);
}
inline void Store16(uint8_t* p, uint16_t v) {
  v = HostToNet16(v);
  std::memcpy(p, &v, sizeof(v));
}
inline void Store32(uint8_t* p, uint32_t v) {
  v = HostToNet32(v);
  std::memcpy(p, &v, sizeof(v));
}

}  // namespace taptcp::wire
