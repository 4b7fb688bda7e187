// TapDevice errors: every way of failing to get a TAP device is one line that says what to do.
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tap/privileges.h"
#include "tap/tap_device.h"

namespace taptcp::tap {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

bool OneLine(const absl::Status& s) { return s.message().find('\n') == absl::string_view::npos; }

TEST(TapNameTest, TooLongNamesTheLimit) {
  const absl::Status s = ValidateTapName("sixteen-chars-xx");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("the limit is 15"));
  EXPECT_TRUE(OneLine(s));
  EXPECT_TRUE(ValidateTapName("fifteen-chars-x").ok());
}

TEST(TapNameTest, RejectsCharactersInterfaceNamesCannotHave) {
  for (const char* bad : {"a/b", "a b", "tab\there", "new\nline", "a:b", ".", ".."}) {
    const absl::Status s = ValidateTapName(bad);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_TRUE(OneLine(s)) << s;  // a newline in the name is escaped, not printed
  }
  EXPECT_THAT(ValidateTapName("").message(), HasSubstr("empty"));
  EXPECT_TRUE(ValidateTapName("tap0").ok());
  EXPECT_TRUE(ValidateTapName("tt%d").ok());  // the kernel picks the number
}

// Invalid names fail before any system call, so this runs without privileges.
TEST(TapNameTest, OpenRejectsInvalidNameBeforeTheIoctl) {
  auto tap = TapDevice::Open("this-name-is-too-long");
  ASSERT_FALSE(tap.ok());
  EXPECT_THAT(tap.status().message(), HasSubstr("the limit is 15"));
}

TEST(TapErrnoTest, EveryMappingSaysWhatToDo) {
  for (int err : {ENOENT, ENODEV}) {
    const absl::Status s = TunOpenError(err);
    EXPECT_THAT(s.message(), HasSubstr("modprobe tun")) << s;
    EXPECT_TRUE(OneLine(s));
  }
  for (int err : {EPERM, EACCES}) {
    EXPECT_THAT(TunOpenError(err).message(), HasSubstr("CAP_NET_ADMIN"));
    EXPECT_THAT(TunSetIffError(err, "tap0").message(), HasSubstr("CAP_NET_ADMIN"));
    EXPECT_THAT(TunSetIffError(err, "tap0").message(), HasSubstr("setcap cap_net_admin+ep"));
  }
  const absl::Status busy = TunSetIffError(EBUSY, "tap0");
  EXPECT_EQ(busy.message(),
            "TAP device \"tap0\" is in use by another process; pick another --tap name");
  EXPECT_THAT(TunSetIffError(EINVAL, "eth0").message(), HasSubstr("another kind"));
}

// Reason to skip a test that needs to create TAP devices, or empty.
std::string TapSkipReason() {
  const absl::Status s = CheckTapPrivileges();
  return s.ok() ? "" : std::string(s.message());
}

TEST(TapDeviceTest, BusyNameIsInUseError) {
  if (const std::string why = TapSkipReason(); !why.empty()) GTEST_SKIP() << why;
  const std::string name = absl::StrCat("ttb", getpid());
  auto first = TapDevice::Open(name);
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = TapDevice::Open(name);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(second.status().message(),
            absl::StrCat("TAP device \"", name,
                         "\" is in use by another process; pick another --tap name"));
}

TEST(TapDeviceTest, KernelPicksTheNumberAndReportsTheName) {
  if (const std::string why = TapSkipReason(); !why.empty()) GTEST_SKIP() << why;
  auto tap = TapDevice::Open("ttk%d");
  ASSERT_TRUE(tap.ok()) << tap.status();
  EXPECT_THAT((*tap)->name(), Not(HasSubstr("%")));
  EXPECT_THAT((*tap)->name(), ::testing::StartsWith("ttk"));
  EXPECT_GE((*tap)->mtu(), 68);
  EXPECT_GE((*tap)->fd(), 0);
}

// A name taken by an interface of another kind ("lo" always exists) is EINVAL from the kernel.
TEST(TapDeviceTest, NameOfAnotherKindOfInterface) {
  if (const std::string why = TapSkipReason(); !why.empty()) GTEST_SKIP() << why;
  auto tap = TapDevice::Open("lo");
  ASSERT_FALSE(tap.ok());
  EXPECT_THAT(tap.status().message(), HasSubstr("pick another --tap name"));
  EXPECT_TRUE(OneLine(tap.status()));
}

// Runs `drop` then TapDevice::Open and CheckTapPrivileges in a child process; returns the two
// messages ("" for OK) joined by '\n'.
template <typename Drop>
std::string OpenInChild(Drop drop, const std::string& name) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return "pipe failed";
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    std::string report;
    if (!drop()) {
      report = "could not drop privileges";
    } else {
      auto tap = TapDevice::Open(name);
      report = tap.ok() ? "opened" : std::string(tap.status().message());
      report += "\n";
      const absl::Status check = CheckTapPrivileges();
      report += check.ok() ? "ok" : std::string(check.message());
    }
    (void)!write(fds[1], report.data(), report.size());
    _exit(0);
  }
  close(fds[1]);
  std::string out;
  char buf[1024];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof(buf))) > 0) out.append(buf, n);
  close(fds[0]);
  int status;
  waitpid(pid, &status, 0);
  return out;
}

TEST(TapDeviceTest, UnprivilegedUserIsToldAboutCapNetAdmin) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to switch a child process to uid 65534";
  if (access(kTunPath, F_OK) != 0) {
    GTEST_SKIP() << TunOpenError(errno).message();  // the message would be about the module
  }
  const std::string report = OpenInChild(
      [] {
        // Changing every uid away from 0 clears the capability sets (no PR_SET_KEEPCAPS).
        return setgroups(0, nullptr) == 0 && setgid(65534) == 0 && setuid(65534) == 0;
      },
      absl::StrCat("ttu", getpid()));
  ASSERT_NE(report, "could not drop privileges");
  const size_t split = report.find('\n');
  ASSERT_NE(split, std::string::npos) << report;
  EXPECT_THAT(report.substr(0, split), HasSubstr("CAP_NET_ADMIN"));
  EXPECT_THAT(report.substr(split + 1), HasSubstr("CAP_NET_ADMIN"));
}

// Root without CAP_NET_ADMIN opens /dev/net/tun but the TUNSETIFF ioctl fails with EPERM.
TEST(TapDeviceTest, RootWithoutCapNetAdminFailsAtTheIoctl) {
  if (const std::string why = TapSkipReason(); !why.empty()) GTEST_SKIP() << why;
  const std::string report = OpenInChild(
      [] {
        __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
        __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
        if (syscall(SYS_capget, &header, data) != 0) return false;
        const int i = CAP_TO_INDEX(CAP_NET_ADMIN);
        data[i].effective &= ~CAP_TO_MASK(CAP_NET_ADMIN);
        data[i].permitted &= ~CAP_TO_MASK(CAP_NET_ADMIN);
        data[i].inheritable &= ~CAP_TO_MASK(CAP_NET_ADMIN);
        return syscall(SYS_capset, &header, data) == 0;
      },
      absl::StrCat("ttc", getpid()));
  ASSERT_NE(report, "could not drop privileges");
  const size_t split = report.find('\n');
  ASSERT_NE(split, std::string::npos) << report;
  EXPECT_THAT(report.substr(0, split), HasSubstr("cannot create TAP device"));
  EXPECT_THAT(report.substr(0, split), HasSubstr("CAP_NET_ADMIN"));
  EXPECT_THAT(report.substr(split + 1), HasSubstr("lacks CAP_NET_ADMIN"));
}

}  // namespace
}  // namespace taptcp::tap
