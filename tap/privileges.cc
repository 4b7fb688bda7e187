#include "tap/privileges.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "tap/tap_device.h"

namespace taptcp::tap {

bool HasCapNetAdmin() {
  // Raw capget: libcap is not a dependency, and version 3 covers capabilities above 31.
  __user_cap_header_struct header{};
  header.version = _LINUX_CAPABILITY_VERSION_3;
  header.pid = 0;  // this thread
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (syscall(SYS_capget, &header, data) != 0) return false;
  return (data[CAP_TO_INDEX(CAP_NET_ADMIN)].effective & CAP_TO_MASK(CAP_NET_ADMIN)) != 0;
}

absl::Status CheckTapPrivileges() {
  const int fd = open(kTunPath, O_RDWR | O_CLOEXEC);
  if (fd < 0) return TunOpenError(errno);
  close(fd);
  if (!HasCapNetAdmin()) {
    return absl::PermissionDeniedError(absl::StrCat(
        "this process lacks CAP_NET_ADMIN (needed to create a TAP device): ", kCapNetAdminHint));
  }
  return absl::OkStatus();
}

}  // namespace taptcp::tap
