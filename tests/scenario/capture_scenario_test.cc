// A simulated link teed to a pcap file: the capture carries the stack's virtual clock as its
// timestamps, reads back frame for frame, and (where tshark is installed) opens with no
// malformed-packet or bad-checksum reports.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "capture/pcap_reader.h"
#include "capture/pcap_writer.h"
#include "stack/sim/network.h"
#include "stack/stack.h"
#include "tests/support/test_frames.h"

namespace taptcp {
namespace {

StackConfig Config(const char* mac, const char* ip) {
  StackConfig c;
  c.mac = *wire::MacAddress::Parse(mac);
  c.addr = *wire::Ipv4Address::Parse(ip);
  return c;
}

std::string TempPath(const char* name) {
  return (std::filesystem::temp_directory_path() /
          (std::string(name) + "-" + std::to_string(getpid()) + ".pcap"))
      .string();
}

TEST(CaptureScenario, SimulatedPingIsCapturedWithVirtualTimestamps) {
  const std::string path = TempPath("taptcp-sim");
  sim::Impairments imp;
  imp.delay = milliseconds(7);
  sim::Network net(1);
  sim::SimLink& link = net.Connect(nullptr, nullptr, imp);
  Stack a(Config("02:00:00:00:00:0a", "192.0.2.10"), link.end(0));
  Stack b(Config("02:00:00:00:00:0b", "192.0.2.11"), link.end(1));
  link.Attach(0, &a);
  link.Attach(1, &b);
  net.AddHost(&a);
  net.AddHost(&b);
  testing::RecordingLink sent;  // the same frames, to compare with what the file holds
  {
    auto writer = capture::PcapWriter::Open(path);
    ASSERT_TRUE(writer.ok()) << writer.status();
    TeeLink tee(&sent, writer->get());
    link.set_tap(&tee);
    for (int i = 0; i < 3; ++i) {
      net.RunUntil(kEpoch + seconds(i + 1));
      const std::vector<uint8_t> payload(24, static_cast<uint8_t>(i));
      ASSERT_TRUE(a.icmp().SendEchoRequest(b.config().addr, 5, static_cast<uint16_t>(i), payload));
    }
    net.RunFor(seconds(1));
    link.set_tap(nullptr);
  }
  // ARP request + reply, then 3 x (request + reply).
  ASSERT_EQ(sent.frames.size(), 8u);
  absl::StatusOr<std::vector<capture::CapturedFrame>> frames = capture::ReadPcap(path);
  ASSERT_TRUE(frames.ok()) << frames.status();
  ASSERT_EQ(frames->size(), sent.frames.size());
  for (size_t i = 0; i < frames->size(); ++i) {
    EXPECT_EQ((*frames)[i].bytes, sent.frames[i].bytes) << i;
    EXPECT_EQ((*frames)[i].time, sent.frames[i].at) << i;  // the stack's clock, to the microsecond
  }
  // The first echo request leaves at 1 s (after 14 ms of ARP), its reply 7 ms later.
  EXPECT_EQ((*frames)[2].time, kEpoch + seconds(1) + milliseconds(14));
  EXPECT_EQ((*frames)[3].time, kEpoch + seconds(1) + milliseconds(21));

  if (std::system("command -v tshark >/dev/null 2>&1") != 0) {
    std::filesystem::remove(path);
    GTEST_SKIP() << "tshark is not installed (apt-get install tshark): capture not dissected";
  }
  const std::string cmd = "tshark -r " + path +
                          " -V -o ip.check_checksum:TRUE 2>&1 | grep -Eic "
                          "'malformed|\\[bad|incorrect'";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[64] = {};
  ASSERT_NE(std::fgets(buf, sizeof buf, p), nullptr);
  pclose(p);
  EXPECT_EQ(std::string(buf), "0\n") << "tshark complained about " << path;
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace taptcp
