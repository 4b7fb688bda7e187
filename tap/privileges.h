// Can this process drive a TAP device? Asked up front so the `taptcp` command and the interop
// tests can say what is missing in one line (and tests can skip) instead of failing half-way.
#pragma once

#include "absl/status/status.h"

namespace taptcp::tap {

// OK when /dev/net/tun can be opened read-write and the effective capability set holds
// CAP_NET_ADMIN (needed by TUNSETIFF to create a device, and by `ip` to configure it).
// Otherwise a one-line reason that says what to do.
absl::Status CheckTapPrivileges();

// Whether the effective capability set holds CAP_NET_ADMIN (capget(2)).
bool HasCapNetAdmin();

}  // namespace taptcp::tap
