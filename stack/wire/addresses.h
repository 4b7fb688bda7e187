// Link and network addresses as small value types: comparable, hashable (absl::flat_hash_map keys
// through AbslHashValue, no absl header needed here), printable and parseable.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace taptcp::wire {

// An IEEE 802 MAC-48 address, bytes in wire order.
struct MacAddress {
  std::array<uint8_t, 6> bytes{};

  static MacAddress Broadcast();
  bool IsBroadcast() const;
  // The I/G bit (least significant bit of the first octet): group address. Broadcast is also a
  // multicast address by this definition.
  bool IsMulticast() const;
  bool IsZero() const;
  // "02:00:00:00:00:01" (lower-case hex, colon separated).
  std::string ToString() const;
  // Accepts six two-digit hex groups separated by ':' or '-' (one separator style per string),
  // either case. Anything else is nullopt.
  static std::optional<MacAddress> Parse(std::string_view text);

  friend auto operator<=>(const MacAddress&, const MacAddress&) = default;
  friend bool operator==(const MacAddress&, const MacAddress&) = default;

  template <typename H>
  friend H AbslHashValue(H h, const MacAddress& mac) {
    return H::combine(std::move(h), mac.bytes);
  }
};

// An IPv4 address; `value` is in host byte order (192.0.2.1 == 0xC0000201). An aggregate:
// Ipv4Address{0xC0000201} and Ipv4Address{.value = ...} both work.
struct Ipv4Address {
  uint32_t value = 0;

  static constexpr Ipv4Address FromOctets(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
    return Ipv4Address{(uint32_t{a} << 24) | (uint32_t{b} << 16) | (uint32_t{c} << 8) | d};
  }

  // Strict dotted quad: exactly four decimal octets 0..255, no leading zeros (so "010" is not
  // silently octal, as inet_aton would read it), no whitespace.
  static std::optional<Ipv4Address> Parse(std::string_view text);
  std::string ToString() const;
  // True if the first `prefix_len` bits equal those of `net`. prefix_len 0 matches everything;
  // outside 0..32 matches nothing.
  bool InSubnet(Ipv4Address net, int prefix_len) const;

  static constexpr Ipv4Address Any() { return Ipv4Address{0}; }
  static constexpr Ipv4Address Broadcast() { return Ipv4Address{0xFFFFFFFFu}; }
  bool IsAny() const { return value == 0; }
  bool IsLimitedBroadcast() const { return value == 0xFFFFFFFFu; }
  // 224.0.0.0/4 (RFC 5771).
  bool IsMulticast() const { return (value & 0xF0000000u) == 0xE0000000u; }
  // 127.0.0.0/8 (RFC 1122 §3.2.1.3).
  bool IsLoopback() const { return (value & 0xFF000000u) == 0x7F000000u; }

  friend auto operator<=>(const Ipv4Address&, const Ipv4Address&) = default;
  friend bool operator==(const Ipv4Address&, const Ipv4Address&) = default;

  template <typename H>
  friend H AbslHashValue(H h, const Ipv4Address& addr) {
    return H::combine(std::move(h), addr.value);
  }
};

// The netmask for a prefix length (0..32), in host order. 0 for out-of-range lengths.
uint32_t PrefixMask(int prefix_len);

// "192.0.2.2/24" -> {192.0.2.2, 24}. Host bits may be set (this is how an interface address is
// written). The prefix is decimal 0..32 without leading zeros.
std::optional<std::pair<Ipv4Address, int>> ParseCidr(std::string_view text);

}  // namespace taptcp::wire
