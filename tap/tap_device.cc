#include "tap/tap_device.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "stack/absl_sv.h"

namespace taptcp::tap {
namespace {

// 64 KiB payload plus Ethernet and VLAN headers.
constexpr size_t kRxBufferSize = 65536 + 64;
// EINTR retries per call; a signal storm must not keep us here forever.
constexpr int kMaxEintrRetries = 8;

std::string Quoted(std::string_view name) {
  return absl::StrCat("\"", absl::CHexEscape(Sv(name)), "\"");
}

// MTU and MAC of `name` in the current network namespace; defaults if the query fails (the device
// works regardless, these are informational).
void QueryLink(const std::string& name, int* mtu, std::array<uint8_t, 6>* mac) {
  *mtu = 1500;
  mac->fill(0);
  const int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) return;
  ifreq ifr{};
  std::memcpy(ifr.ifr_name, name.c_str(), std::min(name.size(), size_t{IFNAMSIZ - 1}));
  if (ioctl(sock, SIOCGIFMTU, &ifr) == 0) *mtu = ifr.ifr_mtu;
  if (ioctl(sock, SIOCGIFHWADDR, &ifr) == 0) {
    std::memcpy(mac->data(), ifr.ifr_hwaddr.sa_data, mac->size());
  }
  close(sock);
}

}  // namespace

absl::Status ValidateTapName(std::string_view name) {
  if (name.empty()) return absl::InvalidArgumentError("TAP device name is empty");
  if (name.size() > kMaxIfNameLength) {
    return absl::InvalidArgumentError(absl::StrCat("TAP device name ", Quoted(name), " is ",
                                                   name.size(), " characters; the limit is ",
                                                   kMaxIfNameLength, " (IFNAMSIZ - 1)"));
  }
  if (name == "." || name == "..") {
    return absl::InvalidArgumentError(
        absl::StrCat("TAP device name ", Quoted(name), " is not allowed"));
  }
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    const char* what = c == '/'               ? "'/'"
                       : c == ':'             ? "':'"
                       : std::isspace(u) != 0 ? "whitespace"
                       : std::iscntrl(u) != 0 ? "a control character"
                                              : nullptr;
    if (what != nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("TAP device name ", Quoted(name), " contains ",
                                                     what, ", which interface names cannot"));
    }
  }
  return absl::OkStatus();
}

absl::Status TunOpenError(int err) {
  const std::string what = absl::StrCat("cannot open ", kTunPath, ": ", std::strerror(err));
  switch (err) {
    case ENOENT:
    case ENODEV:
    case ENXIO:
      return absl::FailedPreconditionError(
          absl::StrCat(what, "; load the tun module: modprobe tun"));
    case EPERM:
    case EACCES:
      // 0600 root-owned nodes exist (this also fails for a non-root process with the capability).
      return absl::PermissionDeniedError(absl::StrCat(what, "; ", kCapNetAdminHint, ", and make ",
                                                      kTunPath, " read-writable (usually 0666)"));
    default:
      return absl::InternalError(what);
  }
}

absl::Status TunSetIffError(int err, std::string_view name) {
  const std::string what =
      absl::StrCat("cannot create TAP device ", Quoted(name), ": ", std::strerror(err));
  switch (err) {
    case EPERM:
    case EACCES:
      return absl::PermissionDeniedError(absl::StrCat(what, "; ", kCapNetAdminHint));
    case EBUSY:
      return absl::UnavailableError(absl::StrCat("TAP device ", Quoted(name),
                                                 " is in use by another process; pick another "
                                                 "--tap name"));
    case EINVAL:
      // The kernel says EINVAL when the name belongs to an interface of another kind (eth0, a
      // TUN device, a veth) or is otherwise unusable.
      return absl::InvalidArgumentError(absl::StrCat(
          what,
          "; an interface of another kind may already have this name, pick another --tap name"));
    case EEXIST:
      return absl::AlreadyExistsError(absl::StrCat(what, "; pick another --tap name"));
    default:
      return absl::InternalError(what);
  }
}

absl::StatusOr<std::unique_ptr<TapDevice>> TapDevice::Open(std::string_view name) {
  if (absl::Status valid = ValidateTapName(name); !valid.ok()) return valid;
  // O_NONBLOCK: the event loop reads until EAGAIN and Transmit must never block the stack.
  const int fd = open(kTunPath, O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return TunOpenError(errno);

  ifreq ifr{};
  // IFF_NO_PI: plain Ethernet frames, no 4-byte packet-information prefix.
  // IFF_VNET_HDR would go here: each frame would then carry a struct virtio_net_hdr (set its size
  // with TUNSETVNETHDRSZ) so the kernel can hand us and accept GSO super-frames and skip
  // checksums (TUNSETOFFLOAD); ReadBatch and Transmit would strip and prepend that header.
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  std::memcpy(ifr.ifr_name, name.data(), name.size());  // size checked by ValidateTapName
  if (ioctl(fd, TUNSETIFF, &ifr) != 0) {
    const int err = errno;
    close(fd);
    return TunSetIffError(err, name);
  }
  std::string actual(ifr.ifr_name, strnlen(ifr.ifr_name, IFNAMSIZ));
  int mtu = 0;
  std::array<uint8_t, 6> mac{};
  QueryLink(actual, &mtu, &mac);
  return std::unique_ptr<TapDevice>(new TapDevice(fd, std::move(actual), mtu, mac));
}

TapDevice::TapDevice(int fd, std::string name, int mtu, std::array<uint8_t, 6> kernel_mac)
    : fd_(fd),
      name_(std::move(name)),
      mtu_(mtu),
      kernel_mac_(kernel_mac),
      rx_buffer_(kRxBufferSize) {}

TapDevice::~TapDevice() { close(fd_); }

void TapDevice::Transmit(std::span<const uint8_t> frame, Instant /*now*/) {
  for (int attempt = 0; attempt <= kMaxEintrRetries; ++attempt) {
    const ssize_t n = write(fd_, frame.data(), frame.size());
    if (n == static_cast<ssize_t>(frame.size())) {
      ++counters_.tx_frames;
      counters_.tx_bytes += frame.size();
      return;
    }
    if (n >= 0) break;  // a TAP write is all or nothing; a short one is an error
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      ++counters_.tx_drops;
      return;
    }
    counters_.last_tx_errno = errno;
    ++counters_.tx_errors;
    return;
  }
  ++counters_.tx_errors;
}

absl::StatusOr<size_t> TapDevice::ReadBatch(
    absl::FunctionRef<void(std::span<const uint8_t>)> on_frame, size_t max_frames) {
  size_t frames = 0;
  int interrupted = 0;
  while (frames < max_frames) {
    const ssize_t n = read(fd_, rx_buffer_.data(), rx_buffer_.size());
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == EINTR && ++interrupted <= kMaxEintrRetries) continue;
      if (errno == EBADFD || errno == EBADF) {
        // tun_chr_read_iter: the fd is detached from its device, i.e. the device was destroyed.
        return absl::FailedPreconditionError(
            absl::StrCat("TAP device ", name_,
                         " no longer exists (deleted, or its network namespace was deleted)"));
      }
      return absl::InternalError(
          absl::StrCat("reading TAP device ", name_, ": ", std::strerror(errno)));
    }
    if (n == 0) break;  // a TAP never hands out empty frames; do not count one
    ++counters_.rx_frames;
    counters_.rx_bytes += n;
    ++frames;
    on_frame(std::span<const uint8_t>(rx_buffer_.data(), static_cast<size_t>(n)));
  }
  return frames;
}

}  // namespace taptcp::tap
