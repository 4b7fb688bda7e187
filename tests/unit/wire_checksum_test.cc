#include <cstdint>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "stack/wire/bytes.h"
#include "stack/wire/checksum.h"

namespace taptcp::wire {
namespace {

// The textbook definition (RFC 1071 §4.1), byte by byte: the oracle for the fast version.
uint16_t NaiveChecksum(const std::vector<uint8_t>& data) {
  uint32_t sum = 0;
  for (size_t i = 0; i < data.size(); i += 2) {
    uint16_t word = static_cast<uint16_t>(data[i] << 8);
    if (i + 1 < data.size()) word |= data[i + 1];
    sum += word;
    sum = (sum & 0xFFFF) + (sum >> 16);
  }
  return static_cast<uint16_t>(~sum);
}

TEST(ChecksumTest, Rfc1071Example) {
  // RFC 1071 §3: the bytes 00 01 f2 03 f4 f5 f6 f7 sum to 0xddf2; the checksum is its
  // complement.
  const std::vector<uint8_t> data = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
  EXPECT_EQ(InternetChecksum(data), 0x220D);
  EXPECT_EQ(NaiveChecksum(data), 0x220D);
}

TEST(ChecksumTest, KnownIpv4Header) {
  // A commonly cited header (192.168.0.1 -> 192.168.0.199, UDP) with checksum 0xb861.
  std::vector<uint8_t> header = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
                                 0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
  EXPECT_EQ(InternetChecksum(header), 0xB861);
  Store16(header.data() + 10, 0xB861);
  EXPECT_EQ(InternetChecksum(header), 0);  // verification yields 0
}

TEST(ChecksumTest, EmptyAndOddLengths) {
  EXPECT_EQ(InternetChecksum({}), 0xFFFF);
  const std::vector<uint8_t> one = {0xAB};
  EXPECT_EQ(InternetChecksum(one), static_cast<uint16_t>(~0xAB00));
  const std::vector<uint8_t> three = {0x01, 0x02, 0x03};
  EXPECT_EQ(InternetChecksum(three), static_cast<uint16_t>(~(0x0102 + 0x0300)));
}

TEST(ChecksumTest, MatchesNaiveOnRandomData) {
  std::mt19937 rng(1071);
  for (int iter = 0; iter < 2000; ++iter) {
    std::vector<uint8_t> data(rng() % 2000);
    for (auto& b : data) b = static_cast<uint8_t>(rng());
    // Also all-0xFF data, which exercises the carries hardest.
    if (iter % 10 == 0) std::fill(data.begin(), data.end(), 0xFF);
    ASSERT_EQ(InternetChecksum(data), NaiveChecksum(data)) << "size " << data.size();
    // Start at an odd address too: loads must not assume alignment.
    if (data.size() > 1) {
      std::vector<uint8_t> tail(data.begin() + 1, data.end());
      ASSERT_EQ(InternetChecksum(std::span(data).subspan(1)), NaiveChecksum(tail));
    }
  }
}

TEST(ChecksumTest, PiecewiseEqualsWhole) {
  // Splitting at arbitrary (odd) points must not change the sum (RFC 1071 §2(B)).
  std::mt19937 rng(7);
  for (int iter = 0; iter < 2000; ++iter) {
    std::vector<uint8_t> data(rng() % 300);
    for (auto& b : data) b = static_cast<uint8_t>(rng());
    Checksum c;
    size_t at = 0;
    while (at < data.size()) {
      const size_t n = std::min<size_t>(data.size() - at, rng() % 9);
      c.Add(std::span(data).subspan(at, n));
      at += n;
    }
    ASSERT_EQ(c.Finish(), NaiveChecksum(data));
  }
}

TEST(ChecksumTest, Add16Add32AndPseudoHeader) {
  // Add16/Add32 are big-endian bytes of the stream, even after an odd-length piece.
  const std::vector<uint8_t> bytes = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77};
  Checksum c;
  c.Add(std::span(bytes).first(1));
  c.Add16(0x2233);
  c.Add32(0x44556677);
  EXPECT_EQ(c.Finish(), NaiveChecksum(bytes));

  Checksum p;
  p.AddPseudoHeader(Ipv4Address::FromOctets(192, 0, 2, 1), Ipv4Address::FromOctets(192, 0, 2, 2), 6,
                    40);
  const std::vector<uint8_t> pseudo = {192, 0, 2, 1, 192, 0, 2, 2, 0, 6, 0, 40};
  EXPECT_EQ(p.Finish(), NaiveChecksum(pseudo));
}

TEST(ChecksumTest, IncrementalUpdateEqualsRecompute) {
  // RFC 1624: updating one 16-bit word (or an aligned 32-bit value) incrementally must give the
  // same checksum as summing everything again.
  std::mt19937 rng(1624);
  for (int iter = 0; iter < 20000; ++iter) {
    std::vector<uint8_t> data(4 + 2 * (rng() % 40));
    for (auto& b : data) b = static_cast<uint8_t>(rng());
    const uint16_t before = InternetChecksum(data);
    if (iter % 2 == 0) {
      const size_t at = 2 * (rng() % (data.size() / 2));
      const uint16_t old_word = Load16(data.data() + at);
      const uint16_t new_word = static_cast<uint16_t>(rng());
      Store16(data.data() + at, new_word);
      ASSERT_EQ(ChecksumUpdate16(before, old_word, new_word), InternetChecksum(data));
    } else {
      const size_t at = 2 * (rng() % (data.size() / 2 - 1));
      const uint32_t old_value = Load32(data.data() + at);
      const uint32_t new_value = static_cast<uint32_t>(rng());
      Store32(data.data() + at, new_value);
      ASSERT_EQ(ChecksumUpdate32(before, old_value, new_value), InternetChecksum(data));
    }
  }
}

TEST(ChecksumTest, IncrementalUpdateRfc1624Example) {
  // RFC 1624 §4: HC = 0xDD2F, m = 0x5555 -> m' = 0x3285 gives HC' = 0x0000 (eqn. 3), where
  // RFC 1141's formula would give 0xFFFF.
  EXPECT_EQ(ChecksumUpdate16(0xDD2F, 0x5555, 0x3285), 0x0000);
}

}  // namespace
}  // namespace taptcp::wire
