#include "stack/sysctl.h"

#include <gtest/gtest.h>

namespace taptcp {
namespace {

TEST(Sysctl, DefaultsAreLinuxDefaults) {
  Sysctl s;
  EXPECT_EQ(*s.Get("net.ipv4.tcp_syncookies"), "1");
  EXPECT_EQ(*s.Get("net.core.somaxconn"), "4096");
  EXPECT_EQ(*s.Get("net.ipv4.tcp_syn_retries"), "6");
  EXPECT_EQ(*s.Get("net.ipv4.tcp_synack_retries"), "5");
  EXPECT_EQ(*s.Get("net.ipv4.tcp_fin_timeout"), "60");
  EXPECT_EQ(*s.Get("net.ipv4.tcp_tw_reuse"), "2");
  EXPECT_EQ(*s.Get("net.ipv4.ip_local_port_range"), "32768\t60999");
  EXPECT_EQ(*s.Get("net.ipv4.tcp_congestion_control"), "cubic");
  EXPECT_EQ(s.tcp_max_syn_backlog, 512);  // max(128, 65536 / 128)
}

TEST(Sysctl, SetsByDottedOrSlashedName) {
  Sysctl s;
  ASSERT_TRUE(s.Set("net.ipv4.tcp_syncookies", "2").ok());
  EXPECT_EQ(s.tcp_syncookies, 2);
  ASSERT_TRUE(s.Set("net/ipv4/tcp_abort_on_overflow", " 1\n").ok());
  EXPECT_EQ(s.tcp_abort_on_overflow, 1);
  ASSERT_TRUE(s.SetAssignment("net.ipv4.ip_local_port_range=40000 40100").ok());
  EXPECT_EQ(s.ip_local_port_range[0], 40000);
  EXPECT_EQ(s.ip_local_port_range[1], 40100);
  ASSERT_TRUE(s.Set("net.ipv4.tcp_congestion_control", "reno").ok());
  EXPECT_EQ(s.tcp_congestion_control, "reno");
}

TEST(Sysctl, OutOfRangeNamesTheKnobAndItsRange) {
  Sysctl s;
  absl::Status st = s.Set("net.ipv4.tcp_syncookies", "3");
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("net.ipv4.tcp_syncookies"), absl::string_view::npos) << st;
  EXPECT_NE(st.message().find("[0, 2]"), absl::string_view::npos) << st;
  EXPECT_EQ(s.tcp_syncookies, 1);  // unchanged
  EXPECT_FALSE(s.Set("net.ipv4.tcp_syn_retries", "abc").ok());
  EXPECT_FALSE(s.Set("net.ipv4.tcp_syn_retries", "0").ok());
  EXPECT_FALSE(s.Set("net.ipv4.ip_local_port_range", "50000 40000").ok());
  EXPECT_FALSE(s.Set("net.ipv4.ip_local_port_range", "40000").ok());
  EXPECT_FALSE(s.Set("net.ipv4.tcp_congestion_control", "bbr").ok());
  EXPECT_FALSE(s.SetAssignment("net.ipv4.tcp_sack").ok());
}

TEST(Sysctl, UnknownNamesAndRemovedKnobsAreExplained) {
  Sysctl s;
  absl::Status st = s.Set("net.ipv4.tcp_bogus", "1");
  EXPECT_TRUE(absl::IsNotFound(st));
  EXPECT_NE(st.message().find("net.ipv4.tcp_bogus"), absl::string_view::npos);
  st = s.Set("net.ipv4.tcp_tw_recycle", "1");
  EXPECT_NE(st.message().find("4.12"), absl::string_view::npos) << st;
}

TEST(Sysctl, FormatListsEveryKnob) {
  Sysctl s;
  const std::string text = s.Format();
  for (const std::string& name : Sysctl::Names()) {
    EXPECT_NE(text.find(name + " = "), std::string::npos) << name;
    EXPECT_TRUE(s.Get(name).ok()) << name;
  }
}

}  // namespace
}  // namespace taptcp
