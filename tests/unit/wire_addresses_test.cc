#include <string>

#include "absl/container/flat_hash_map.h"
#include "gtest/gtest.h"
#include "stack/wire/addresses.h"
#include "stack/wire/bytes.h"

namespace taptcp::wire {
namespace {

TEST(MacAddressTest, ParseAndPrint) {
  std::optional<MacAddress> mac = MacAddress::Parse("02:00:00:00:00:01");
  ASSERT_TRUE(mac.has_value());
  EXPECT_EQ(mac->bytes, (std::array<uint8_t, 6>{2, 0, 0, 0, 0, 1}));
  EXPECT_EQ(mac->ToString(), "02:00:00:00:00:01");
  EXPECT_EQ(MacAddress::Parse("AA-bb-CC-dd-EE-ff")->ToString(), "aa:bb:cc:dd:ee:ff");
}

TEST(MacAddressTest, RejectsMalformed) {
  for (const char* bad :
       {"", "02:00:00:00:00", "02:00:00:00:00:01:", "02:00:00:00:00:0g", "02:00-00:00:00:01",
        "2:00:00:00:00:01", "02:00:00:00:00:001", " 02:00:00:00:00:01", "02.00.00.00.00.01"}) {
    EXPECT_FALSE(MacAddress::Parse(bad).has_value()) << bad;
  }
}

TEST(MacAddressTest, Classification) {
  EXPECT_TRUE(MacAddress::Broadcast().IsBroadcast());
  EXPECT_TRUE(MacAddress::Broadcast().IsMulticast());
  EXPECT_TRUE(MacAddress::Parse("01:00:5e:00:00:01")->IsMulticast());
  EXPECT_FALSE(MacAddress::Parse("01:00:5e:00:00:01")->IsBroadcast());
  EXPECT_FALSE(MacAddress::Parse("02:00:00:00:00:01")->IsMulticast());
  EXPECT_TRUE(MacAddress{}.IsZero());
}

TEST(MacAddressTest, OrderingAndHash) {
  const MacAddress a = *MacAddress::Parse("02:00:00:00:00:01");
  const MacAddress b = *MacAddress::Parse("02:00:00:00:00:02");
  EXPECT_LT(a, b);
  EXPECT_NE(a, b);
  absl::flat_hash_map<MacAddress, int> map;
  map[a] = 1;
  map[b] = 2;
  EXPECT_EQ(map.at(*MacAddress::Parse("02:00:00:00:00:01")), 1);
  EXPECT_EQ(map.at(b), 2);
}

TEST(Ipv4AddressTest, ParseAndPrint) {
  std::optional<Ipv4Address> a = Ipv4Address::Parse("192.0.2.1");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->value, 0xC0000201u);
  EXPECT_EQ(a->ToString(), "192.0.2.1");
  EXPECT_EQ(*a, Ipv4Address::FromOctets(192, 0, 2, 1));
  EXPECT_EQ(Ipv4Address::Parse("0.0.0.0"), Ipv4Address::Any());
  EXPECT_EQ(Ipv4Address::Parse("255.255.255.255"), Ipv4Address::Broadcast());
  EXPECT_EQ(Ipv4Address::Broadcast().ToString(), "255.255.255.255");
}

TEST(Ipv4AddressTest, IsAnAggregate) {
  // Callers may brace-initialise it either way.
  constexpr Ipv4Address a{0xC0000201u};
  constexpr Ipv4Address b{.value = 0xC0000201u};
  static_assert(a == b);
  static_assert(Ipv4Address::FromOctets(192, 0, 2, 1) == a);
  static_assert(Ipv4Address{} == Ipv4Address::Any());
  EXPECT_EQ(a.ToString(), "192.0.2.1");
}

TEST(Ipv4AddressTest, RejectsMalformed) {
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1.2.3.-4", "01.2.3.4", "1..3.4",
                          "1.2.3.4 ", "a.b.c.d", "1.2.3.4/24", "1234.1.1.1", "1.2.3."}) {
    EXPECT_FALSE(Ipv4Address::Parse(bad).has_value()) << bad;
  }
}

TEST(Ipv4AddressTest, Subnets) {
  const Ipv4Address a = *Ipv4Address::Parse("192.0.2.77");
  EXPECT_TRUE(a.InSubnet(*Ipv4Address::Parse("192.0.2.0"), 24));
  EXPECT_FALSE(a.InSubnet(*Ipv4Address::Parse("192.0.3.0"), 24));
  // Host bits of `net` do not matter: 192.0.3.0/23 is 192.0.2.0/23.
  EXPECT_TRUE(a.InSubnet(*Ipv4Address::Parse("192.0.3.0"), 23));
  EXPECT_TRUE(a.InSubnet(*Ipv4Address::Parse("192.0.2.77"), 32));
  EXPECT_FALSE(a.InSubnet(*Ipv4Address::Parse("192.0.2.76"), 32));
  EXPECT_TRUE(a.InSubnet(Ipv4Address::Any(), 0));
  EXPECT_FALSE(a.InSubnet(a, 33));
  EXPECT_FALSE(a.InSubnet(a, -1));
  EXPECT_EQ(PrefixMask(24), 0xFFFFFF00u);
  EXPECT_EQ(PrefixMask(32), 0xFFFFFFFFu);
  EXPECT_EQ(PrefixMask(0), 0u);
  EXPECT_TRUE(Ipv4Address::Parse("224.0.0.1")->IsMulticast());
  EXPECT_TRUE(Ipv4Address::Parse("127.0.0.1")->IsLoopback());
}

TEST(Ipv4AddressTest, Cidr) {
  auto cidr = ParseCidr("192.0.2.2/24");
  ASSERT_TRUE(cidr.has_value());
  EXPECT_EQ(cidr->first, *Ipv4Address::Parse("192.0.2.2"));
  EXPECT_EQ(cidr->second, 24);
  EXPECT_EQ(ParseCidr("0.0.0.0/0")->second, 0);
  EXPECT_EQ(ParseCidr("10.0.0.1/32")->second, 32);
  for (const char* bad : {"192.0.2.2", "192.0.2.2/", "192.0.2.2/33", "192.0.2.2/024",
                          "192.0.2.2/-1", "/24", "192.0.2/24", "192.0.2.2/2 4"}) {
    EXPECT_FALSE(ParseCidr(bad).has_value()) << bad;
  }
}

TEST(Ipv4AddressTest, OrderingAndHash) {
  absl::flat_hash_map<Ipv4Address, std::string> map;
  map[*Ipv4Address::Parse("192.0.2.1")] = "a";
  map[*Ipv4Address::Parse("192.0.2.2")] = "b";
  EXPECT_EQ(map.at(Ipv4Address::FromOctets(192, 0, 2, 2)), "b");
  EXPECT_LT(*Ipv4Address::Parse("9.255.255.255"), *Ipv4Address::Parse("10.0.0.0"));
}

TEST(BytesTest, BigEndianLoadStore) {
  uint8_t buf[7] = {};
  Store16(buf + 1, 0x1234);  // unaligned on purpose
  EXPECT_EQ(buf[1], 0x12);
  EXPECT_EQ(buf[2], 0x34);
  EXPECT_EQ(Load16(buf + 1), 0x1234);
  Store32(buf + 3, 0xDEADBEEF);
  EXPECT_EQ(buf[3], 0xDE);
  EXPECT_EQ(buf[6], 0xEF);
  EXPECT_EQ(Load32(buf + 3), 0xDEADBEEFu);
}

}  // namespace
}  // namespace taptcp::wire
