#include "stack/wire/addresses.h"

#include <cstddef>

#include "absl/strings/str_cat.h"

namespace taptcp::wire {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Parses a decimal number in [0, max] with no sign, no leading zeros (except "0" itself) and at
// most `max_digits` digits; the whole of `text` must be consumed.
std::optional<uint32_t> ParseDecimal(std::string_view text, size_t max_digits, uint32_t max) {
  if (text.empty() || text.size() > max_digits) return std::nullopt;
  if (text.size() > 1 && text[0] == '0') return std::nullopt;
  uint32_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v > max) return std::nullopt;
  return v;
}

}  // namespace

MacAddress MacAddress::Broadcast() {
  MacAddress mac;
  mac.bytes.fill(0xFF);
  return mac;
}

bool MacAddress::IsBroadcast() const { return *this == Broadcast(); }

bool MacAddress::IsMulticast() const { return (bytes[0] & 0x01) != 0; }

bool MacAddress::IsZero() const { return *this == MacAddress{}; }

std::string MacAddress::ToString() const {
  std::string s(17, ':');
  for (size_t i = 0; i < bytes.size(); ++i) {
    s[i * 3] = kHexDigits[bytes[i] >> 4];
    s[i * 3 + 1] = kHexDigits[bytes[i] & 0x0F];
  }
  return s;
}

std::optional<MacAddress> MacAddress::Parse(std::string_view text) {
  if (text.size() != 17) return std::nullopt;
  const char sep = text[2];
  if (sep != ':' && sep != '-') return std::nullopt;
  MacAddress mac;
  for (size_t i = 0; i < 6; ++i) {
    const size_t at = i * 3;
    if (i > 0 && text[at - 1] != sep) return std::nullopt;
    const int hi = HexValue(text[at]);
    const int lo = HexValue(text[at + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    mac.bytes[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return mac;
}

std::optional<Ipv4Address> Ipv4Address::Parse(std::string_view text) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) {
    const size_t dot = text.find('.');
    const bool last = i == 3;
    if (last != (dot == std::string_view::npos)) return std::nullopt;
    const std::string_view part = last ? text : text.substr(0, dot);
    const std::optional<uint32_t> octet = ParseDecimal(part, 3, 255);
    if (!octet) return std::nullopt;
    value = (value << 8) | *octet;
    if (!last) text.remove_prefix(dot + 1);
  }
  return Ipv4Address{value};
}

std::string Ipv4Address::ToString() const {
  return absl::StrCat(value >> 24, ".", (value >> 16) & 0xFF, ".", (value >> 8) & 0xFF, ".",
                      value & 0xFF);
}

uint32_t PrefixMask(int prefix_len) {
  if (prefix_len <= 0 || prefix_len > 32) return 0;
  // Shift a 64-bit value so prefix_len == 32 does not shift a 32-bit value by 32 (UB).
  return static_cast<uint32_t>(~uint64_t{0} << (32 - prefix_len));
}

bool Ipv4Address::InSubnet(Ipv4Address net, int prefix_len) const {
  if (prefix_len < 0 || prefix_len > 32) return false;
  const uint32_t mask = PrefixMask(prefix_len);
  return (value & mask) == (net.value & mask);
}

std::optional<std::pair<Ipv4Address, int>> ParseCidr(std::string_view text) {
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  const std::optional<Ipv4Address> addr = Ipv4Address::Parse(text.substr(0, slash));
  const std::optional<uint32_t> len = ParseDecimal(text.substr(slash + 1), 2, 32);
  if (!addr || !len) return std::nullopt;
  return std::make_pair(*addr, static_cast<int>(*len));
}

}  // namespace taptcp::wire
