// The Internet checksum: RFC 1071 one's-complement sum of 16-bit words, and its RFC 1624
// incremental update. Used by IPv4 (RFC 791), ICMP (RFC 792) and TCP (RFC 9293 §3.1, over the
// pseudo-header too).
#pragma once

#include <cstdint>
#include <span>

#include "stack/wire/addresses.h"

namespace taptcp::wire {

// Accumulates data in any number of pieces, of any lengths: a piece that starts at an odd offset
// of the logical byte stream is handled as RFC 1071 §2(B) describes (byte-swapped partial sum).
class Checksum {
 public:
  // Sums 8 bytes per step into a 64-bit accumulator with end-around carry; byte order
  // independence (RFC 1071 §2(B)) lets us sum native-order words and swap once at the end.
  void Add(std::span<const uint8_t> data);
  // Adds the value as 2 / 4 big-endian bytes of the stream.
  void Add16(uint16_t value);
  void Add32(uint32_t value);
  // The TCP/UDP pseudo-header (RFC 9293 §3.1): src, dst, zero, protocol, length.
  void AddPseudoHeader(Ipv4Address src, Ipv4Address dst, uint8_t protocol, uint16_t length);

  // The value to put in the checksum field, in host order (store it with Store16). Over data
  // that already contains a correct checksum field this returns 0.
  uint16_t Finish() const;

 private:
  uint64_t sum_ = 0;  // native-order partial sum, end-around carry kept
  bool odd_ = false;  // the stream so far has an odd length
};

// Checksum of one buffer (e.g. an IPv4 header with its checksum field zeroed). 0 over a buffer
// whose checksum field is correct.
uint16_t InternetChecksum(std::span<const uint8_t> data);

// RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'). The checksum after one 16-bit word of the covered data
// changed from old_word to new_word (all host order). Eqn. 3 rather than RFC 1141's HC + m - m',
// which can produce 0xFFFF (-0) where a full recomputation gives 0x0000 (RFC 1624 §3).
uint16_t ChecksumUpdate16(uint16_t old_checksum, uint16_t old_word, uint16_t new_word);
// Same for an aligned 32-bit quantity (an address, a sequence number).
uint16_t ChecksumUpdate32(uint16_t old_checksum, uint32_t old_value, uint32_t new_value);

}  // namespace taptcp::wire
