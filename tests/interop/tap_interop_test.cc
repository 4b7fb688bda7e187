// The TAP driver against the real kernel. Each test that needs privileges builds
//   namespace taptcp-t<pid>:  tt<pid> 192.0.2.1/24 (the kernel)  <--TAP fd-->  this process
// and tears it down by name (RAII, so also when an assertion fails). Traffic goes only to
// 192.0.2.2, which exists only as the far end of our TAP fd.
#include <dirent.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tap/event_loop.h"
#include "tap/netns.h"
#include "tap/privileges.h"
#include "tap/tap_device.h"

namespace taptcp::tap {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;
using Mac = std::array<uint8_t, 6>;

constexpr Mac kOurMac = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};  // locally administered
constexpr std::array<uint8_t, 4> kKernelIp = {192, 0, 2, 1};
constexpr std::array<uint8_t, 4> kOurIp = {192, 0, 2, 2};
constexpr char kNsPrefix[] = "taptcp-t";

std::string MacString(const Mac& mac) {
  return absl::StrFormat("%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
                         mac[5]);
}

uint16_t Get16(std::span<const uint8_t> f, size_t at) { return (f[at] << 8) | f[at + 1]; }

struct ArpRequest {
  Mac sender_mac;
  Mac eth_source;
};

// An ARP request (RFC 826, Ethernet/IPv4) for 192.0.2.2 from 192.0.2.1, parsed by hand so the test
// does not depend on the codec.
std::optional<ArpRequest> ParseArpRequestForUs(std::span<const uint8_t> f) {
  if (f.size() < 42 || Get16(f, 12) != 0x0806) return std::nullopt;
  if (Get16(f, 14) != 1 || Get16(f, 16) != 0x0800 || f[18] != 6 || f[19] != 4) return std::nullopt;
  if (Get16(f, 20) != 1) return std::nullopt;  // op: request
  if (!std::equal(kKernelIp.begin(), kKernelIp.end(), f.begin() + 28)) return std::nullopt;
  if (!std::equal(kOurIp.begin(), kOurIp.end(), f.begin() + 38)) return std::nullopt;
  ArpRequest r;
  std::copy(f.begin() + 22, f.begin() + 28, r.sender_mac.begin());
  std::copy(f.begin() + 6, f.begin() + 12, r.eth_source.begin());
  return r;
}

// An IPv4 ICMP echo request to 192.0.2.2 sent to our MAC: the kernel used our ARP reply.
bool IsEchoRequestToUs(std::span<const uint8_t> f) {
  return f.size() >= 42 && std::equal(kOurMac.begin(), kOurMac.end(), f.begin()) &&
         Get16(f, 12) == 0x0800 && f[23] == 1 &&
         std::equal(kOurIp.begin(), kOurIp.end(), f.begin() + 30) && f[34] == 8;
}

std::vector<uint8_t> ArpReply(const Mac& kernel_mac) {
  std::vector<uint8_t> f(60, 0);  // padded to the Ethernet minimum
  std::copy(kernel_mac.begin(), kernel_mac.end(), f.begin());
  std::copy(kOurMac.begin(), kOurMac.end(), f.begin() + 6);
  f[12] = 0x08, f[13] = 0x06;
  f[14] = 0, f[15] = 1;        // htype Ethernet
  f[16] = 0x08, f[17] = 0x00;  // ptype IPv4
  f[18] = 6, f[19] = 4;
  f[20] = 0, f[21] = 2;  // op: reply
  std::copy(kOurMac.begin(), kOurMac.end(), f.begin() + 22);
  std::copy(kOurIp.begin(), kOurIp.end(), f.begin() + 28);
  std::copy(kernel_mac.begin(), kernel_mac.end(), f.begin() + 32);
  std::copy(kKernelIp.begin(), kKernelIp.end(), f.begin() + 38);
  return f;
}

// Reads frames from `tap` until `match` accepts one or `timeout` passes (at most 1000 frames).
template <typename Match>
bool ReadUntil(TapDevice& tap, Duration timeout, Match match) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool found = false;
  for (int frames = 0; !found && frames < 1000;) {
    const auto left = std::chrono::ceil<milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd p{tap.fd(), POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    absl::StatusOr<size_t> n = tap.ReadBatch(
        [&](std::span<const uint8_t> f) {
          if (!found) found = match(f);
        },
        16);
    if (!n.ok()) return false;
    frames += static_cast<int>(*n);
  }
  return found;
}

// Deletes namespaces left behind by earlier runs of this test that crashed (their pid is gone):
// by exact name, never a namespace of a live process.
class StaleNamespaceCleanup : public ::testing::Environment {
 public:
  void SetUp() override {
    if (!CheckTapPrivileges().ok()) return;
    DIR* dir = opendir("/run/netns");
    if (dir == nullptr) return;
    std::vector<std::string> stale;
    for (int i = 0; i < 1000; ++i) {
      const dirent* e = readdir(dir);
      if (e == nullptr) break;
      const std::string name = e->d_name;
      int pid = 0;
      if (name.rfind(kNsPrefix, 0) != 0 ||
          !absl::SimpleAtoi(name.substr(sizeof(kNsPrefix) - 1), &pid) || pid <= 0) {
        continue;
      }
      if (pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH) stale.push_back(name);
    }
    closedir(dir);
    absl::StatusOr<std::string> ip = FindIpCommand();
    if (!ip.ok()) return;
    for (const std::string& name : stale) {
      (void)RunProcess({*ip, "netns", "del", name}, seconds(10));
    }
  }
};
const auto* const kCleanup = ::testing::AddGlobalTestEnvironment(new StaleNamespaceCleanup);

// The namespace and the TAP device, created in SetUp and removed in TearDown by name.
class TapNetnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (absl::Status s = CheckTapPrivileges(); !s.ok()) GTEST_SKIP() << s.message();
    auto ns = Netns::Create(absl::StrCat(kNsPrefix, getpid()));
    ASSERT_TRUE(ns.ok()) << ns.status();
    ns_ = *std::move(ns);
    auto tap = TapDevice::Open(absl::StrCat("tt", getpid()));
    ASSERT_TRUE(tap.ok()) << tap.status();
    tap_ = *std::move(tap);
    ASSERT_TRUE(ns_->MoveLink(tap_->name()).ok());
    // Keep the kernel quiet apart from what the test provokes (no IPv6 DAD or solicitations).
    (void)ns_->Exec({"sysctl", "-q", "-w", "net.ipv6.conf.all.disable_ipv6=1"});
    ASSERT_TRUE(ns_->AddAddress(tap_->name(), "192.0.2.1/24").ok());
    ASSERT_TRUE(ns_->SetUp(tap_->name()).ok());
  }

  // Bounded: 2 probes, 1 s each, 3 s hard deadline; killed (by pid) at the end of the test anyway.
  std::unique_ptr<ChildProcess> StartPing() {
    auto ping = ns_->Spawn({"ping", "-n", "-c", "2", "-W", "1", "-w", "3", "192.0.2.2"});
    EXPECT_TRUE(ping.ok()) << ping.status();
    return ping.ok() ? *std::move(ping) : nullptr;
  }

  // Declared in this order so the TAP device closes (and vanishes) before the namespace goes.
  std::unique_ptr<Netns> ns_;
  std::unique_ptr<TapDevice> tap_;
};

TEST_F(TapNetnsTest, KernelArpsThroughTheMovedDeviceAndLearnsOurReply) {
  auto ping = StartPing();
  ASSERT_NE(ping, nullptr);
  // The fd was opened in our namespace; the device now lives in ns_. Reads still work:
  std::optional<ArpRequest> request;
  ASSERT_TRUE(ReadUntil(*tap_, seconds(5), [&](std::span<const uint8_t> f) {
    request = ParseArpRequestForUs(f);
    return request.has_value();
  })) << "no ARP request for 192.0.2.2 within 5 s";
  EXPECT_EQ(request->sender_mac, request->eth_source);
  // The MAC is the one the device had before the move.
  EXPECT_EQ(MacString(request->sender_mac), MacString(tap_->kernel_mac()));

  // ...and so do writes: the kernel learns our address from a hand-written reply.
  tap_->Transmit(ArpReply(request->sender_mac), kEpoch);
  EXPECT_EQ(tap_->counters().tx_frames, 1u);
  EXPECT_EQ(tap_->counters().tx_errors, 0u);
  std::string neigh;
  for (int i = 0; i < 50; ++i) {
    auto r = ns_->Exec({"ip", "neigh", "show", "192.0.2.2"});
    ASSERT_TRUE(r.ok()) << r.status();
    neigh = r->output;
    if (neigh.find(MacString(kOurMac)) != std::string::npos) break;
    poll(nullptr, 0, 20);
  }
  EXPECT_THAT(neigh, HasSubstr(absl::StrCat("lladdr ", MacString(kOurMac))));
  // The queued echo request now goes to our MAC.
  EXPECT_TRUE(ReadUntil(*tap_, seconds(3), IsEchoRequestToUs));
  EXPECT_GE(tap_->counters().rx_frames, 2u);
  ping->Kill();  // nobody answers its echo requests; no need to wait for its deadline
}

TEST_F(TapNetnsTest, EventLoopFeedsTapFramesToTheDriveable) {
  struct Counter : Driveable {
    void Input(std::span<const uint8_t> frame, Instant now) override {
      ++frames;
      if (ParseArpRequestForUs(frame)) ++arp_requests;
      last_input = now;
    }
    void Advance(Instant) override {}
    std::optional<Instant> NextDeadline() const override { return std::nullopt; }
    int frames = 0;
    int arp_requests = 0;
    Instant last_input = kEpoch;
  } counter;
  auto loop = EventLoop::Create(&counter);
  ASSERT_TRUE(loop.ok()) << loop.status();
  ASSERT_TRUE((*loop)->AddTap(tap_.get()).ok());
  auto ping = StartPing();
  ASSERT_NE(ping, nullptr);
  auto reason = (*loop)->RunUntil([&] { return counter.arp_requests > 0; }, seconds(5));
  ASSERT_TRUE(reason.ok()) << reason.status();
  EXPECT_EQ(*reason, EventLoop::StopReason::kPredicate);
  EXPECT_EQ((*loop)->stats().frames_in, static_cast<uint64_t>(counter.frames));
  EXPECT_GT(counter.last_input, kEpoch);
  EXPECT_LE(counter.last_input, (*loop)->Now());
}

// Deleting the namespace destroys the TAP device inside it even though our fd is open (a TAP
// device has rtnl_link_ops, so netns teardown deletes it instead of moving it back); the fd then
// reports the device gone.
TEST_F(TapNetnsTest, DeletingTheNamespaceDestroysTheDevice) {
  ASSERT_TRUE(ns_->Delete().ok());
  // Namespace teardown runs asynchronously in the kernel (cleanup_net, a workqueue that waits
  // for RCU): poll, bounded by time, not by attempts. On the way the fd can wake poll() at once
  // and read nothing, so a count of attempts once ran out in 0.1 s, before the device was gone.
  absl::Status read_status;
  const auto deadline = std::chrono::steady_clock::now() + seconds(30);
  while (read_status.ok() && std::chrono::steady_clock::now() < deadline) {
    pollfd p{tap_->fd(), POLLIN, 0};
    poll(&p, 1, 50);
    read_status = tap_->ReadBatch([](std::span<const uint8_t>) {}, 16).status();
    if (read_status.ok()) std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_EQ(read_status.code(), absl::StatusCode::kFailedPrecondition) << read_status;
  EXPECT_THAT(read_status.message(), HasSubstr("no longer exists"));
  tap_->Transmit(ArpReply(Mac{}), kEpoch);
  EXPECT_EQ(tap_->counters().tx_errors, 1u);
  EXPECT_EQ(tap_->counters().last_tx_errno, EBADFD);
  // And it did not come back to our namespace.
  auto r = RunProcess({"ip", "link", "show", "dev", tap_->name()}, seconds(10));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_NE(r->exit_code, 0) << r->output;
}

TEST(NetnsTest, RefusesAddressesOutsideTheTestNetworks) {
  EXPECT_TRUE(CheckTestNetAddress("192.0.2.1/24").ok());
  EXPECT_TRUE(CheckTestNetAddress("198.51.100.7/32").ok());
  EXPECT_TRUE(CheckTestNetAddress("192.0.2.9").ok());
  for (const char* bad : {"10.0.0.1/24", "192.0.3.1/24", "192.0.2.1/16", "8.8.8.8",
                          "203.0.113.1/24", "192.0.2.1/33", "not-an-address", "192.0.2.1/x"}) {
    const absl::Status s = CheckTestNetAddress(bad);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(s.message(), HasSubstr("TEST-NET-1 (192.0.2.0/24)")) << bad;
  }
}

TEST(NetnsTest, RejectsBadNamesAndMissingPrograms) {
  EXPECT_EQ(Netns::Create("../etc").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Netns::Create("").status().code(), absl::StatusCode::kInvalidArgument);
  auto missing = RunProcess({"taptcp-no-such-program"}, seconds(5));
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  auto missing_ip = RunProcess({"/nonexistent/ip"}, seconds(5));
  EXPECT_THAT(missing_ip.status().message(), HasSubstr("install iproute2"));
}

TEST(NetnsTest, RunProcessCapturesOutputAndEnforcesTheTimeout) {
  auto echo = RunProcess({"sh", "-c", "echo out; echo err >&2; exit 3"}, seconds(10));
  ASSERT_TRUE(echo.ok()) << echo.status();
  EXPECT_EQ(echo->exit_code, 3);
  EXPECT_THAT(echo->output, HasSubstr("out"));
  EXPECT_THAT(echo->output, HasSubstr("err"));
  const auto start = std::chrono::steady_clock::now();
  auto slow = RunProcess({"sleep", "30"}, milliseconds(200));
  ASSERT_TRUE(slow.ok()) << slow.status();
  EXPECT_TRUE(slow->timed_out);
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(5));
}

// A Driveable whose timers are due every 20 ms, five times, then nothing pending.
struct TimerProbe : Driveable {
  void Input(std::span<const uint8_t>, Instant) override {}
  void Advance(Instant now) override {
    calls.push_back({deadline.value_or(kEpoch), now});
    deadline = calls.size() < 5 ? std::optional<Instant>(now + milliseconds(20)) : std::nullopt;
  }
  std::optional<Instant> NextDeadline() const override { return deadline; }
  struct Call {
    Instant deadline;
    Instant at;
  };
  std::optional<Instant> deadline;
  std::vector<Call> calls;
};

TEST(EventLoopTest, AdvancesAtDeadlinesNeverEarlyAndSleepsWhenIdle) {
  TimerProbe probe;
  auto loop = EventLoop::Create(&probe);
  ASSERT_TRUE(loop.ok()) << loop.status();
  probe.deadline = (*loop)->Now() + milliseconds(20);
  auto reason = (*loop)->RunFor(milliseconds(300));
  ASSERT_TRUE(reason.ok()) << reason.status();
  EXPECT_EQ(*reason, EventLoop::StopReason::kTimeout);
  ASSERT_EQ(probe.calls.size(), 5u);
  for (const TimerProbe::Call& c : probe.calls) {
    EXPECT_GE(c.at, c.deadline);                      // never early
    EXPECT_LT(c.at - c.deadline, milliseconds(150));  // not absurdly late, even on a busy box
  }
  // One wakeup per deadline plus the final timeout: no spinning on sub-millisecond remainders,
  // and no wakeups at all once nothing is pending.
  EXPECT_EQ((*loop)->stats().advances, 5u);
  EXPECT_LE((*loop)->stats().wakeups, 8u);
}

TEST(EventLoopTest, StopFromAnFdCallbackAndRemoveFd) {
  TimerProbe probe;  // nothing pending
  auto loop = EventLoop::Create(&probe);
  ASSERT_TRUE(loop.ok()) << loop.status();
  const int efd = eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC);  // readable at once
  ASSERT_GE(efd, 0);
  int calls = 0;
  ASSERT_TRUE((*loop)
                  ->AddFd(efd,
                          [&] {
                            uint64_t v;
                            (void)!read(efd, &v, sizeof(v));
                            ++calls;
                            EXPECT_TRUE((*loop)->RemoveFd(efd).ok());  // removes itself
                            (*loop)->Stop();
                          })
                  .ok());
  EXPECT_EQ((*loop)->AddFd(efd, [] {}).code(), absl::StatusCode::kAlreadyExists);
  auto reason = (*loop)->RunFor(seconds(5));
  ASSERT_TRUE(reason.ok()) << reason.status();
  EXPECT_EQ(*reason, EventLoop::StopReason::kStopped);
  EXPECT_EQ(calls, 1);
  close(efd);
}

TEST(EventLoopTest, StopsOnSigtermAndRestoresTheSignalMask) {
  TimerProbe probe;
  auto loop = EventLoop::Create(&probe);
  ASSERT_TRUE(loop.ok()) << loop.status();
  int periodic = 0;
  // Thread-directed, and blocked while the loop runs: it can only reach the signalfd.
  (*loop)->AddPeriodic(milliseconds(10), [&] {
    if (++periodic == 3) pthread_kill(pthread_self(), SIGTERM);
  });
  auto reason = (*loop)->RunFor(seconds(5));
  ASSERT_TRUE(reason.ok()) << reason.status();
  EXPECT_EQ(*reason, EventLoop::StopReason::kSignal);
  EXPECT_EQ((*loop)->last_signal(), SIGTERM);
  EXPECT_EQ(periodic, 3);
  sigset_t now_blocked;
  pthread_sigmask(SIG_BLOCK, nullptr, &now_blocked);
  EXPECT_FALSE(sigismember(&now_blocked, SIGTERM));
  EXPECT_FALSE(sigismember(&now_blocked, SIGINT));
}

TEST(EventLoopTest, RunUntilTimesOutWhenThePredicateStaysFalse) {
  TimerProbe probe;
  auto loop = EventLoop::Create(&probe);
  ASSERT_TRUE(loop.ok()) << loop.status();
  const Instant start = (*loop)->Now();
  auto reason = (*loop)->RunUntil([] { return false; }, milliseconds(50));
  ASSERT_TRUE(reason.ok()) << reason.status();
  EXPECT_EQ(*reason, EventLoop::StopReason::kTimeout);
  EXPECT_GE((*loop)->Now() - start, milliseconds(50));
  EXPECT_LE((*loop)->stats().wakeups, 2u);
}

}  // namespace
}  // namespace taptcp::tap
