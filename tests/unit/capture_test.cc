// PcapWriter and PcapReader: frames and times survive a round trip, errors are one clear line, and
// an independent dissector (tshark) accepts what we write.
#include <fcntl.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "capture/pcap_reader.h"
#include "capture/pcap_writer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace taptcp::capture {
namespace {

using ::testing::HasSubstr;

std::string TempPath(const char* stem) {
  return absl::StrCat(::testing::TempDir(), "taptcp_capture_", getpid(), "_", stem, ".pcap");
}

// A capture file path, removed when the test ends however it ends.
struct TempFile {
  explicit TempFile(const char* stem) : path(TempPath(stem)) {}
  ~TempFile() { std::remove(path.c_str()); }
  std::string path;
};

// RFC 1071 Internet checksum over `data`, starting from a partial sum.
uint16_t Checksum(std::span<const uint8_t> data, uint32_t sum = 0) {
  for (size_t i = 0; i + 1 < data.size(); i += 2) sum += (data[i] << 8) | data[i + 1];
  if (data.size() % 2 == 1) sum += data.back() << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

void Put16(std::vector<uint8_t>& f, size_t at, uint16_t v) {
  f[at] = v >> 8;
  f[at + 1] = v & 0xff;
}

constexpr std::array<uint8_t, 6> kMacA = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
constexpr std::array<uint8_t, 6> kMacB = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};
constexpr std::array<uint8_t, 4> kIpA = {192, 0, 2, 1};
constexpr std::array<uint8_t, 4> kIpB = {192, 0, 2, 2};

// Ethernet + IPv4 header (no options) carrying `l4_len` bytes of protocol `proto`, built by hand
// so the test does not trust the codec it exists to check.
std::vector<uint8_t> EthIpv4(uint8_t proto, size_t l4_len, bool a_to_b) {
  std::vector<uint8_t> f(14 + 20 + l4_len, 0);
  const auto& dst_mac = a_to_b ? kMacB : kMacA;
  const auto& src_mac = a_to_b ? kMacA : kMacB;
  std::copy(dst_mac.begin(), dst_mac.end(), f.begin());
  std::copy(src_mac.begin(), src_mac.end(), f.begin() + 6);
  Put16(f, 12, 0x0800);
  f[14] = 0x45;
  Put16(f, 16, static_cast<uint16_t>(20 + l4_len));
  Put16(f, 18, 0x1234);  // identification
  Put16(f, 20, 0x4000);  // DF
  f[22] = 64;
  f[23] = proto;
  const auto& src_ip = a_to_b ? kIpA : kIpB;
  const auto& dst_ip = a_to_b ? kIpB : kIpA;
  std::copy(src_ip.begin(), src_ip.end(), f.begin() + 26);
  std::copy(dst_ip.begin(), dst_ip.end(), f.begin() + 30);
  Put16(f, 24, Checksum(std::span(f).subspan(14, 20)));
  return f;
}

// ICMP echo request (type 8) or reply (type 0) with a 16-byte payload.
std::vector<uint8_t> IcmpEcho(uint8_t type, uint16_t seq) {
  std::vector<uint8_t> f = EthIpv4(/*proto=*/1, 8 + 16, /*a_to_b=*/type == 8);
  f[34] = type;
  Put16(f, 38, 0x4242);  // identifier
  Put16(f, 40, seq);
  for (size_t i = 0; i < 16; ++i) f[42 + i] = static_cast<uint8_t>(i);
  Put16(f, 36, Checksum(std::span(f).subspan(34)));
  return f;
}

// TCP SYN with an MSS option; the checksum covers the RFC 793 pseudo-header.
std::vector<uint8_t> TcpSyn() {
  std::vector<uint8_t> f = EthIpv4(/*proto=*/6, 24, /*a_to_b=*/true);
  const size_t t = 34;
  Put16(f, t + 0, 40000);
  Put16(f, t + 2, 80);
  f[t + 4] = 0x01;  // seq 0x01020304
  f[t + 5] = 0x02;
  f[t + 6] = 0x03;
  f[t + 7] = 0x04;
  f[t + 12] = 6 << 4;  // data offset: 24 bytes
  f[t + 13] = 0x02;    // SYN
  Put16(f, t + 14, 64240);
  f[t + 20] = 2;  // MSS option
  f[t + 21] = 4;
  Put16(f, t + 22, 1460);
  uint32_t pseudo = 0;
  pseudo += (kIpA[0] << 8 | kIpA[1]) + (kIpA[2] << 8 | kIpA[3]);
  pseudo += (kIpB[0] << 8 | kIpB[1]) + (kIpB[2] << 8 | kIpB[3]);
  pseudo += 6 + 24;
  Put16(f, t + 16, Checksum(std::span(f).subspan(t), pseudo));
  return f;
}

// ARP request who-has 192.0.2.2 tell 192.0.2.1 (RFC 826), padded to the 60-byte minimum.
std::vector<uint8_t> ArpRequest() {
  std::vector<uint8_t> f(60, 0);
  std::fill(f.begin(), f.begin() + 6, 0xff);
  std::copy(kMacA.begin(), kMacA.end(), f.begin() + 6);
  Put16(f, 12, 0x0806);
  Put16(f, 14, 1);
  Put16(f, 16, 0x0800);
  f[18] = 6;
  f[19] = 4;
  Put16(f, 20, 1);
  std::copy(kMacA.begin(), kMacA.end(), f.begin() + 22);
  std::copy(kIpA.begin(), kIpA.end(), f.begin() + 28);
  std::copy(kIpB.begin(), kIpB.end(), f.begin() + 38);
  return f;
}

TEST(PcapWriterTest, RoundTripKeepsBytesAndMicrosecondTimes) {
  const TempFile path_file("roundtrip");
  const std::string& path = path_file.path;
  const std::vector<std::vector<uint8_t>> frames = {ArpRequest(), IcmpEcho(8, 1), TcpSyn(),
                                                    IcmpEcho(0, 1)};
  const std::vector<Instant> times = {
      kEpoch, kEpoch + std::chrono::microseconds(1),
      kEpoch + std::chrono::seconds(2) + std::chrono::microseconds(999999),
      kEpoch + std::chrono::hours(49)};
  {
    auto writer = PcapWriter::Open(path);
    ASSERT_TRUE(writer.ok()) << writer.status();
    for (size_t i = 0; i < frames.size(); ++i) (*writer)->Transmit(frames[i], times[i]);
    EXPECT_TRUE((*writer)->Flush().ok());
    EXPECT_EQ((*writer)->frames_written(), frames.size());
  }
  auto read = ReadPcap(path);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), frames.size());
  for (size_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ((*read)[i].bytes, frames[i]) << "frame " << i;
    EXPECT_EQ((*read)[i].time, times[i]) << "frame " << i;
    EXPECT_EQ((*read)[i].wire_length, frames[i].size());
  }
}

TEST(PcapWriterTest, SubMicrosecondPartIsTruncated) {
  const TempFile path_file("truncate_time");
  const std::string& path = path_file.path;
  {
    auto writer = PcapWriter::Open(path);
    ASSERT_TRUE(writer.ok()) << writer.status();
    (*writer)->Record(ArpRequest(), kEpoch + std::chrono::nanoseconds(1'234'567'891));
  }
  auto read = ReadPcap(path);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), 1u);
  EXPECT_EQ((*read)[0].time, kEpoch + std::chrono::nanoseconds(1'234'567'000));
}

TEST(PcapWriterTest, TimeBaseShiftsStampsToWallClock) {
  const TempFile path_file("time_base");
  const std::string& path = path_file.path;
  // 2024-01-01T00:00:00Z.
  const std::chrono::system_clock::time_point base{std::chrono::seconds(1704067200)};
  {
    auto writer = PcapWriter::Open(path);
    ASSERT_TRUE(writer.ok()) << writer.status();
    (*writer)->set_time_base(base);
    (*writer)->Transmit(ArpRequest(), kEpoch + std::chrono::milliseconds(1500));
  }
  auto read = ReadPcap(path);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), 1u);
  EXPECT_EQ((*read)[0].time,
            kEpoch + std::chrono::seconds(1704067200) + std::chrono::milliseconds(1500));
}

TEST(PcapWriterTest, OversizedFrameIsStoredTruncatedWithItsRealLength) {
  const TempFile path_file("oversized");
  const std::string& path = path_file.path;
  std::vector<uint8_t> big(kMaxSnapLen + 1000, 0xab);
  {
    auto writer = PcapWriter::Open(path);
    ASSERT_TRUE(writer.ok()) << writer.status();
    (*writer)->Transmit(big, kEpoch);
    EXPECT_EQ((*writer)->frames_truncated(), 1u);
  }
  auto read = ReadPcap(path);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->size(), 1u);
  EXPECT_EQ((*read)[0].bytes.size(), kMaxSnapLen);
  EXPECT_EQ((*read)[0].wire_length, big.size());
}

TEST(PcapWriterTest, UnwritablePathIsOneLineNamingThePath) {
  const std::string path = absl::StrCat("/nonexistent-taptcp-dir-", getpid(), "/out.pcap");
  auto writer = PcapWriter::Open(path);
  ASSERT_FALSE(writer.ok());
  EXPECT_THAT(writer.status().message(), HasSubstr(path));
  EXPECT_THAT(writer.status().message(), HasSubstr("cannot create capture file"));
  EXPECT_EQ(writer.status().message().find('\n'), std::string::npos);
}

TEST(PcapReaderTest, RejectsNonEthernetCapture) {
  const TempFile path_file("raw_ip");
  const std::string& path = path_file.path;
  {
    pcap_t* dead = pcap_open_dead(DLT_RAW, 65535);
    ASSERT_NE(dead, nullptr);
    pcap_dumper_t* dumper = pcap_dump_open(dead, path.c_str());
    ASSERT_NE(dumper, nullptr) << pcap_geterr(dead);
    pcap_dump_close(dumper);
    pcap_close(dead);
  }
  auto read = ReadPcap(path);
  ASSERT_FALSE(read.ok());
  EXPECT_EQ(read.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(read.status().message(), HasSubstr("Ethernet"));
  EXPECT_THAT(read.status().message(), HasSubstr(path));
  EXPECT_EQ(read.status().message().find('\n'), std::string::npos);
}

TEST(PcapReaderTest, MissingFileIsAnError) {
  auto read = ReadPcap(TempPath("does_not_exist"));
  ASSERT_FALSE(read.ok());
  EXPECT_THAT(read.status().message(), HasSubstr("cannot read capture"));
}

// A hand-written pcap whose one record claims a caplen above the limit: refused, not allocated.
TEST(PcapReaderTest, RefusesAbsurdCaplen) {
  const TempFile path_file("absurd_caplen");
  const std::string& path = path_file.path;
  {
    std::ofstream out(path, std::ios::binary);
    auto put32 = [&](uint32_t v) { out.write(reinterpret_cast<const char*>(&v), 4); };
    auto put16 = [&](uint16_t v) { out.write(reinterpret_cast<const char*>(&v), 2); };
    put32(0xa1b2c3d4);  // native byte order, microsecond stamps
    put16(2);
    put16(4);
    put32(0);
    put32(0);
    put32(kMaxSnapLen);
    put32(DLT_EN10MB);
    put32(1);                // ts_sec
    put32(0);                // ts_usec
    put32(kMaxSnapLen + 1);  // caplen
    put32(kMaxSnapLen + 1);  // len
    std::vector<char> junk(64, 0);
    out.write(junk.data(), junk.size());
  }
  auto reader = PcapReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status();
  auto next = (*reader)->Next();
  EXPECT_FALSE(next.ok());
}

TEST(PcapReaderTest, StreamsFramesThenEnds) {
  const TempFile path_file("stream");
  const std::string& path = path_file.path;
  {
    auto writer = PcapWriter::Open(path);
    ASSERT_TRUE(writer.ok()) << writer.status();
    for (int i = 0; i < 3; ++i) {
      (*writer)->Transmit(IcmpEcho(8, i), kEpoch + std::chrono::milliseconds(i));
    }
  }
  auto reader = PcapReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status();
  for (int i = 0; i < 3; ++i) {
    auto next = (*reader)->Next();
    ASSERT_TRUE(next.ok()) << next.status();
    ASSERT_TRUE(next->has_value());
    EXPECT_EQ((**next).bytes, IcmpEcho(8, i));
  }
  auto end = (*reader)->Next();
  ASSERT_TRUE(end.ok()) << end.status();
  EXPECT_FALSE(end->has_value());
  EXPECT_EQ((*reader)->frames_read(), 3u);

  auto too_many = ReadPcap(path, /*max_frames=*/2);
  EXPECT_EQ(too_many.status().code(), absl::StatusCode::kResourceExhausted);
}

// Runs argv (no shell) and returns its exit code and stdout; stderr is discarded (tshark warns
// about running as root there). Bounded by `timeout`.
struct CommandResult {
  int exit_code = -1;
  std::string out;
};
CommandResult RunCommand(const std::vector<std::string>& argv, std::chrono::seconds timeout) {
  CommandResult result;
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) return result;
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(pipefd[1], STDOUT_FILENO);
    const int devnull = open("/dev/null", O_WRONLY);
    if (devnull >= 0) dup2(devnull, STDERR_FILENO);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(pipefd[1]);
  if (pid < 0) {
    close(pipefd[0]);
    return result;
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{pipefd[0], POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    const ssize_t n = read(pipefd[0], buf, sizeof(buf));
    if (n <= 0) break;
    result.out.append(buf, n);
  }
  close(pipefd[0]);
  // stdout closes just before exit: give the process until the deadline to finish.
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      kill(pid, SIGKILL);  // only our own child, by pid
      waitpid(pid, &status, 0);
      return result;
    }
    poll(nullptr, 0, 10);
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

bool HaveTshark() {
  return RunCommand({"tshark", "--version"}, std::chrono::seconds(30)).exit_code == 0;
}

CommandResult Dissect(const std::string& path) {
  return RunCommand({"tshark", "-r", path, "-V", "-o", "ip.check_checksum:TRUE", "-o",
                     "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE"},
                    std::chrono::seconds(60));
}

// Lines where tshark reports a malformed packet or a bad checksum. Wireshark 4.x prints the
// status as "[Header checksum status: Bad]" / "[Checksum Status: Bad]" plus an expert item;
// ICMP checksums are always verified (there is no preference to turn on).
std::vector<std::string> ComplaintLines(const std::string& dissection) {
  std::vector<std::string> bad;
  for (absl::string_view line : absl::StrSplit(dissection, '\n')) {
    if (absl::StrContains(line, "Malformed") || absl::StrContains(line, "[Bad") ||
        absl::StrContains(line, "status: Bad") || absl::StrContains(line, "Status: Bad") ||
        absl::StrContains(line, "incorrect")) {
      bad.emplace_back(line);
    }
  }
  return bad;
}

TEST(PcapTsharkTest, TsharkAcceptsHandBuiltFrames) {
  if (!HaveTshark()) GTEST_SKIP() << "tshark is not installed (apt-get install tshark)";
  const TempFile good_file("tshark_good");
  const std::string& good = good_file.path;
  const TempFile bad_file("tshark_bad");
  const std::string& bad = bad_file.path;
  {
    auto writer = PcapWriter::Open(good);
    ASSERT_TRUE(writer.ok()) << writer.status();
    (*writer)->Transmit(ArpRequest(), kEpoch);
    (*writer)->Transmit(IcmpEcho(8, 1), kEpoch + std::chrono::milliseconds(1));
    (*writer)->Transmit(IcmpEcho(0, 1), kEpoch + std::chrono::milliseconds(2));
    (*writer)->Transmit(TcpSyn(), kEpoch + std::chrono::milliseconds(3));
  }
  {
    // The negative control: proves the checksum checks are really on in this tshark.
    auto writer = PcapWriter::Open(bad);
    ASSERT_TRUE(writer.ok()) << writer.status();
    std::vector<uint8_t> broken = IcmpEcho(8, 1);
    broken[24] ^= 0x01;  // IPv4 header checksum
    (*writer)->Transmit(broken, kEpoch);
    broken = TcpSyn();
    broken[34 + 16] ^= 0x01;  // TCP checksum
    (*writer)->Transmit(broken, kEpoch);
  }
  const CommandResult ok = Dissect(good);
  ASSERT_EQ(ok.exit_code, 0) << ok.out;
  EXPECT_THAT(ok.out, HasSubstr("Echo (ping) request"));
  EXPECT_THAT(ok.out, HasSubstr("Address Resolution Protocol (request)"));
  EXPECT_THAT(ok.out, HasSubstr("Transmission Control Protocol"));
  EXPECT_THAT(ComplaintLines(ok.out), ::testing::IsEmpty()) << ok.out;

  const CommandResult ko = Dissect(bad);
  ASSERT_EQ(ko.exit_code, 0) << ko.out;
  EXPECT_GE(ComplaintLines(ko.out).size(), 2u) << ko.out;
}

}  // namespace
}  // namespace taptcp::capture
