// A Linux TAP device as a Link: the stack's frames go out through write(2) on the TAP fd, and the
// kernel's frames come back through ReadBatch. The kernel side of the device is an ordinary
// interface (address, routes, `ping`, `curl`), typically moved into a test network namespace.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "stack/link.h"
#include "timers/time.h"

namespace taptcp::tap {

inline constexpr char kTunPath[] = "/dev/net/tun";
// Longest interface name the kernel accepts (IFNAMSIZ - 1).
inline constexpr size_t kMaxIfNameLength = 15;
// What to do about missing CAP_NET_ADMIN, appended to every such error.
inline constexpr char kCapNetAdminHint[] =
    "run as root or grant CAP_NET_ADMIN, e.g. sudo setcap cap_net_admin+ep $(command -v taptcp)";

class TapDevice final : public Link {
 public:
  struct Counters {
    uint64_t rx_frames = 0;
    uint64_t rx_bytes = 0;
    uint64_t tx_frames = 0;
    uint64_t tx_bytes = 0;
    // Frames not written because the fd would have blocked: the stack is never blocked, TCP
    // recovers the loss like any other.
    uint64_t tx_drops = 0;
    // Frames the kernel refused (device down or gone, frame too long); last_tx_errno says why.
    uint64_t tx_errors = 0;
    int last_tx_errno = 0;
  };

  // Creates (or attaches to a persistent) TAP device `name` (IFF_TAP | IFF_NO_PI, non-blocking).
  // A name with "%d" lets the kernel pick the number; name() is the name it chose. Errors are one
  // line and say what to do (modprobe tun, CAP_NET_ADMIN, pick another name).
  static absl::StatusOr<std::unique_ptr<TapDevice>> Open(std::string_view name);

  TapDevice(const TapDevice&) = delete;
  TapDevice& operator=(const TapDevice&) = delete;
  // Closes the fd; a non-persistent device (the kind Open creates) disappears with it, from
  // whatever network namespace it lives in by then.
  ~TapDevice() override;

  // Writes one frame. Never blocks: a full queue counts a drop (Counters::tx_drops).
  void Transmit(std::span<const uint8_t> frame, Instant now) override;

  // Reads frames until the device has none left or `max_frames` were read (so one busy device
  // cannot starve the rest of an event loop), calling `on_frame` for each; the span is valid only
  // during the call. Returns how many frames were read, or an error when the device is unusable
  // (for example destroyed because its network namespace was deleted).
  absl::StatusOr<size_t> ReadBatch(absl::FunctionRef<void(std::span<const uint8_t>)> on_frame,
                                   size_t max_frames);

  int fd() const { return fd_; }
  const std::string& name() const { return name_; }
  // MTU and the kernel side's MAC address as of Open, while the device was still in our network
  // namespace (both can be changed later from wherever the device lives).
  int mtu() const { return mtu_; }
  const std::array<uint8_t, 6>& kernel_mac() const { return kernel_mac_; }
  const Counters& counters() const { return counters_; }

 private:
  TapDevice(int fd, std::string name, int mtu, std::array<uint8_t, 6> kernel_mac);

  int fd_;
  std::string name_;
  int mtu_;
  std::array<uint8_t, 6> kernel_mac_;
  Counters counters_;
  // One frame: large enough for any frame a TAP can hand us (64 KiB with GSO off), so a read is
  // never silently truncated whatever MTU is set on the kernel side later.
  std::vector<uint8_t> rx_buffer_;
};

// Checks an interface name before any system call: 1..15 bytes, no '/', ':', whitespace or
// control characters, not "." or "..", as the kernel's dev_valid_name() requires.
absl::Status ValidateTapName(std::string_view name);

// The one-line errors for open(/dev/net/tun) and ioctl(TUNSETIFF) failing with `err`; exposed so
// every errno mapping can be unit tested without provoking it.
absl::Status TunOpenError(int err);
absl::Status TunSetIffError(int err, std::string_view name);

}  // namespace taptcp::tap
