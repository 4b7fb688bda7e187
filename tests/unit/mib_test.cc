#include "stack/mib.h"

#include <gtest/gtest.h>

namespace taptcp {
namespace {

TEST(Mib, NamesAreNstatNames) {
  EXPECT_EQ(Mib::Name(Counter::kTcpExtListenOverflows), "TcpExtListenOverflows");
  EXPECT_EQ(Mib::Name(Counter::kIpInHdrErrors), "IpInHdrErrors");
  EXPECT_EQ(Mib::Name(Counter::kIcmpOutEchoReps), "IcmpOutEchoReps");
  EXPECT_EQ(Mib::Name(Counter::kTcpActiveOpens), "TcpActiveOpens");
  EXPECT_EQ(Mib::Table(Counter::kIpExtInCsumErrors), "IpExt");
  for (size_t i = 0; i < kCounterCount; ++i) {
    Counter back;
    ASSERT_TRUE(Mib::FromName(Mib::Name(static_cast<Counter>(i)), &back));
    EXPECT_EQ(static_cast<size_t>(back), i);
  }
  Counter c;
  EXPECT_FALSE(Mib::FromName("TcpExtNoSuchThing", &c));
}

TEST(Mib, FormatShowsZerosOnlyWhenAsked) {
  Mib m;
  m.Inc(Counter::kIcmpInEchos, 3);
  m.CountDrop(wire::DropReason::kIpBadChecksum);
  const std::string some = m.Format(false);
  EXPECT_EQ(some, "IcmpInEchos 3\nTaptcpDrop_ip_bad_checksum 1\n");
  const std::string all = m.Format(true);
  EXPECT_NE(all.find("TcpExtListenOverflows 0\n"), std::string::npos);
  EXPECT_EQ(m.TotalDrops(), 1u);
}

}  // namespace
}  // namespace taptcp
