#include <vector>

#include "gtest/gtest.h"
#include "stack/wire/tcp_options.h"

namespace taptcp::wire {
namespace {

std::vector<uint8_t> Write(const TcpOptions& o) {
  std::vector<uint8_t> out(kTcpMaxOptionsSize);
  const size_t n = WriteTcpOptions(out, o);
  EXPECT_EQ(n, TcpOptionsSize(o));
  out.resize(n);
  return out;
}

TcpOptions Parse(const std::vector<uint8_t>& bytes, DropReason expected = DropReason::kNone) {
  TcpOptions o;
  EXPECT_EQ(ParseTcpOptions(bytes, &o), expected);
  return o;
}

TEST(TcpOptionsWriteTest, LinuxSynLayout) {
  // tcp_options_write for a SYN with everything: MSS, SACKOK+TS, NOP WS.
  TcpOptions o;
  o.mss = 1460;
  o.sack_permitted = true;
  o.timestamp = {{0xAABBCCDD, 0}};
  o.window_scale = 7;
  EXPECT_EQ(Write(o),
            (std::vector<uint8_t>{0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0xaa, 0xbb,
                                  0xcc, 0xdd, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x03, 0x07}));
  EXPECT_EQ(Parse(Write(o)), o);
}

TEST(TcpOptionsWriteTest, WithoutTimestamps) {
  // net.ipv4.tcp_timestamps=0: MSS, NOP NOP SACKOK, NOP WS.
  TcpOptions o;
  o.mss = 1460;
  o.sack_permitted = true;
  o.window_scale = 7;
  EXPECT_EQ(Write(o), (std::vector<uint8_t>{0x02, 0x04, 0x05, 0xb4, 0x01, 0x01, 0x04, 0x02, 0x01,
                                            0x03, 0x03, 0x07}));
  EXPECT_EQ(Parse(Write(o)), o);
}

TEST(TcpOptionsWriteTest, EstablishedTimestampsAndSack) {
  // An established ACK: NOP NOP TS, then NOP NOP SACK with two blocks.
  TcpOptions o;
  o.timestamp = {{1, 2}};
  o.sack_count = 2;
  o.sack[0] = {100, 200};
  o.sack[1] = {300, 400};
  EXPECT_EQ(Write(o), (std::vector<uint8_t>{0x01, 0x01, 0x08, 0x0a, 0,    0,  0, 1, 0,   0,  0,
                                            2,    0x01, 0x01, 0x05, 0x12, 0,  0, 0, 100, 0,  0,
                                            0,    200,  0,    0,    1,    44, 0, 0, 1,   144}));
  EXPECT_EQ(Parse(Write(o)), o);
  o.sack_count = 3;  // 12 + 4 + 24 = 40: the most that fits with timestamps
  o.sack[2] = {500, 600};
  EXPECT_EQ(Write(o).size(), 40u);
  EXPECT_EQ(Parse(Write(o)), o);
  o.sack_count = 4;  // 44 bytes: too many
  std::vector<uint8_t> out(64);
  EXPECT_EQ(WriteTcpOptions(out, o), 0u);
  o.timestamp.reset();
  EXPECT_EQ(Write(o).size(), 36u);
  EXPECT_EQ(Parse(Write(o)), o);
}

TEST(TcpOptionsWriteTest, FastOpen) {
  TcpOptions o;
  o.mss = 1460;
  o.fast_open = FastOpenOption{};  // cookie request: 22 02 + NOP NOP
  EXPECT_EQ(Write(o), (std::vector<uint8_t>{0x02, 0x04, 0x05, 0xb4, 0x22, 0x02, 0x01, 0x01}));
  EXPECT_EQ(Parse(Write(o)), o);
  o.fast_open->cookie_len = 8;
  for (int i = 0; i < 8; ++i) o.fast_open->cookie[i] = static_cast<uint8_t>(0xA0 + i);
  EXPECT_EQ(Write(o), (std::vector<uint8_t>{0x02, 0x04, 0x05, 0xb4, 0x22, 0x0a, 0xa0, 0xa1, 0xa2,
                                            0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0x01, 0x01}));
  EXPECT_EQ(Parse(Write(o)), o);
  o.fast_open->experimental = true;  // fe 0c f9 89 <8 bytes>, already aligned
  EXPECT_EQ(Write(o), (std::vector<uint8_t>{0x02, 0x04, 0x05, 0xb4, 0xfe, 0x0c, 0xf9, 0x89, 0xa0,
                                            0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7}));
  EXPECT_EQ(Parse(Write(o)), o);
  o.fast_open->cookie_len = 16;  // MSS + 20: fits
  EXPECT_EQ(Write(o).size(), 24u);
  EXPECT_EQ(Parse(Write(o)), o);
  std::vector<uint8_t> out(64);
  for (uint8_t bad : {2, 3, 5, 18}) {
    o.fast_open->cookie_len = bad;
    EXPECT_EQ(WriteTcpOptions(out, o), 0u) << int{bad};
  }
}

TEST(TcpOptionsWriteTest, EmptyAndSmallBuffer) {
  std::vector<uint8_t> out(40);
  EXPECT_EQ(TcpOptionsSize({}), 0u);
  EXPECT_EQ(WriteTcpOptions(out, {}), 0u);
  TcpOptions o;
  o.mss = 536;
  std::vector<uint8_t> small(3);
  EXPECT_EQ(WriteTcpOptions(small, o), 0u);
}

TEST(TcpOptionsParseTest, EolNopAndUnknown) {
  // MSS, EOL, then a WS after EOL that must not be parsed.
  TcpOptions o = Parse({0x02, 0x04, 0x02, 0x18, 0x00, 0x03, 0x03, 0x07});
  EXPECT_EQ(o.mss, 536);
  EXPECT_FALSE(o.window_scale.has_value());
  // Unknown kind 99 (length 6) and MD5 (19, length 18) skipped; WS after them parsed.
  std::vector<uint8_t> b = {99, 6, 1, 2, 3, 4, 19, 18};
  b.resize(b.size() + 16, 0xEE);
  b.insert(b.end(), {0x01, 0x03, 0x03, 0x0e});
  o = Parse(b);
  EXPECT_EQ(o.window_scale, 14);
  // Trailing NOPs / zero padding.
  o = Parse({0x01, 0x01, 0x01, 0x01});
  EXPECT_EQ(o, TcpOptions{});
  EXPECT_EQ(Parse({}), TcpOptions{});
}

TEST(TcpOptionsParseTest, StructuralErrorsAreBadOptionButKeepEarlierOptions) {
  // Length 0, length 1, a kind with no length byte, a length past the end.
  TcpOptions o = Parse({0x02, 0x04, 0x05, 0xb4, 0x03, 0x00}, DropReason::kTcpBadOption);
  EXPECT_EQ(o.mss, 1460);
  Parse({0x03, 0x01, 0x00, 0x00}, DropReason::kTcpBadOption);
  Parse({0x01, 0x01, 0x01, 0x08}, DropReason::kTcpBadOption);
  o = Parse({0x02, 0x04, 0x05, 0xb4, 0x08, 0x0a, 0, 0}, DropReason::kTcpBadOption);
  EXPECT_EQ(o.mss, 1460);
  EXPECT_FALSE(o.timestamp.has_value());
  Parse({99, 5, 0, 0}, DropReason::kTcpBadOption);
}

TEST(TcpOptionsParseTest, WrongLengthKnownOptionsAreIgnoredLikeLinux) {
  // tcp_parse_options only acts on the exact length; the option is skipped by its length and
  // parsing continues.
  TcpOptions o = Parse({0x02, 0x05, 0x05, 0xb4, 0x00,                    // MSS of length 5
                        0x03, 0x04, 0x07, 0x00,                          // WS of length 4
                        0x04, 0x03, 0x00,                                // SACKOK of length 3
                        0x08, 0x08, 0,    0,    0,    1, 0, 2,           // TS of length 8
                        0x05, 0x0b, 0,    0,    0,    1, 0, 0, 0, 2, 0,  // SACK of length 11
                        0x05, 0x02,                                      // SACK of length 2 (n = 0)
                        0x02, 0x04, 0x01, 0x00});  // and a good MSS at the end
  EXPECT_EQ(o.mss, 256);
  EXPECT_FALSE(o.window_scale.has_value());
  EXPECT_FALSE(o.sack_permitted);
  EXPECT_FALSE(o.timestamp.has_value());
  EXPECT_EQ(o.sack_count, 0);
}

TEST(TcpOptionsParseTest, RawValuesAndRepeats) {
  // Window scale 15 and MSS 0 are recorded as sent; the TCP layer clamps/ignores (RFC 7323 §2.3,
  // Linux tcp_parse_options logs and clamps to 14).
  TcpOptions o = Parse({0x01, 0x03, 0x03, 0x0f, 0x02, 0x04, 0x00, 0x00});
  EXPECT_EQ(o.window_scale, 15);
  EXPECT_EQ(o.mss, 0);
  // The last instance wins.
  o = Parse({0x02, 0x04, 0x05, 0xb4, 0x02, 0x04, 0x02, 0x18});
  EXPECT_EQ(o.mss, 536);
}

TEST(TcpOptionsParseTest, SackBlocks) {
  std::vector<uint8_t> b = {0x01, 0x01, 0x05, 0x22};
  for (uint32_t i = 1; i <= 8; ++i) b.insert(b.end(), {0, 0, 0, static_cast<uint8_t>(i)});
  TcpOptions o = Parse(b);
  ASSERT_EQ(o.sack_count, 4);
  EXPECT_EQ(o.sack[0], (SackBlock{1, 2}));
  EXPECT_EQ(o.sack[3], (SackBlock{7, 8}));
  EXPECT_EQ(o.sack_blocks().size(), 4u);
  // Five blocks (only possible outside a real header): Linux reads at most 4.
  b[3] = 0x2a;
  b.insert(b.end(), {0, 0, 0, 9, 0, 0, 0, 10});
  o = Parse(b);
  EXPECT_EQ(o.sack_count, 4);
}

TEST(TcpOptionsParseTest, FastOpenCookieLengths) {
  // RFC 7413 §4.1.1 / Linux tcp_parse_fastopen_option.
  TcpOptions o = Parse({0x22, 0x02, 0x01, 0x01});
  ASSERT_TRUE(o.fast_open.has_value());
  EXPECT_EQ(o.fast_open->cookie_len, 0);  // a request
  EXPECT_FALSE(o.fast_open->experimental);
  o = Parse({0x22, 0x06, 1, 2, 3, 4});
  ASSERT_TRUE(o.fast_open.has_value());
  EXPECT_EQ(o.fast_open->cookie_len, 4);
  EXPECT_EQ(o.fast_open->cookie[3], 4);
  EXPECT_FALSE(Parse({0x22, 0x04, 1, 2}).fast_open.has_value());           // 2: invalid
  EXPECT_FALSE(Parse({0x22, 0x07, 1, 2, 3, 4, 5}).fast_open.has_value());  // odd: ignored
  std::vector<uint8_t> long_cookie = {0x22, 20};                           // 18: invalid
  long_cookie.resize(20, 7);
  EXPECT_FALSE(Parse(long_cookie).fast_open.has_value());
  // Experimental kind 254 with the magic; other ExIDs are not Fast Open.
  o = Parse({0xfe, 0x04, 0xf9, 0x89});
  ASSERT_TRUE(o.fast_open.has_value());
  EXPECT_TRUE(o.fast_open->experimental);
  EXPECT_EQ(o.fast_open->cookie_len, 0);
  EXPECT_FALSE(Parse({0xfe, 0x04, 0xf9, 0x8a}).fast_open.has_value());
  EXPECT_FALSE(Parse({0xfe, 0x02, 0x01, 0x01}).fast_open.has_value());
  // An odd-length option does not erase a valid one before it; an invalid even one does.
  o = Parse({0x22, 0x02, 0x22, 0x03, 0x00, 0x01});
  EXPECT_TRUE(o.fast_open.has_value());
  o = Parse({0x22, 0x02, 0x22, 0x04, 0x00, 0x00});
  EXPECT_FALSE(o.fast_open.has_value());
}

}  // namespace
}  // namespace taptcp::wire
