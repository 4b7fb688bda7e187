#include "tap/tap_device.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "stack/absl_sv.h"
#include "stack/wire/bytes.h"
#include "stack/wire/ethernet.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/tcp.h"

namespace taptcp::tap {
namespace {

// The virtio header, then 64 KiB (the largest IPv4 packet, and gso_max_size) plus Ethernet and
// VLAN headers.
constexpr size_t kRxBufferSize = kVnetHeaderSize + 65536 + 64;
// What we take from the kernel and offer it (TUNSETOFFLOAD): partial checksums and TCPv4 TSO. Not
// TUN_F_TSO_ECN (no ECN), TSO6 or UFO/USO: the kernel segments those itself before handing them.
constexpr unsigned kTunOffloads = TUN_F_CSUM | TUN_F_TSO4;
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

uint16_t LoadLe16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | (static_cast<unsigned>(p[1]) << 8));
}
void StoreLe16(uint8_t* p, size_t v) {
  p[0] = static_cast<uint8_t>(v & 0xFF);
  p[1] = static_cast<uint8_t>((v >> 8) & 0xFF);
}

// struct virtio_net_hdr's layout (linux/virtio_net.h).
constexpr size_t kFlags = 0, kGsoType = 1, kHdrLen = 2, kGsoSize = 4, kCsumStart = 6,
                 kCsumOffset = 8;
constexpr uint8_t kKnownFlags = kVnetFlagNeedsCsum | kVnetFlagDataValid;

// Sets up IFF_VNET_HDR's header size, byte order and the offloads on `fd`; false if the kernel
// refused any of it (then no offloads are used, but frames still carry the header).
bool EnableOffloads(int fd) {
  int size = kVnetHeaderSize;
  // The size persists on a persistent device: set it even though 10 is the default.
  if (ioctl(fd, TUNSETVNETHDRSZ, &size) != 0) return false;
  // Little-endian fields whatever the host (virtio 1.0). On a little-endian host that is already
  // the default, so a kernel without TUNSETVNETLE is fine there.
  int le = 1;
  if (ioctl(fd, TUNSETVNETLE, &le) != 0 && std::endian::native != std::endian::little) {
    return false;
  }
  return ioctl(fd, TUNSETOFFLOAD, kTunOffloads) == 0;
}

}  // namespace

std::optional<wire::Offload> DecodeVnetHeader(std::span<const uint8_t> header, size_t frame_size) {
  if (header.size() < kVnetHeaderSize) return std::nullopt;
  const uint8_t flags = header[kFlags];
  const uint8_t gso_type = header[kGsoType];
  if ((flags & ~kKnownFlags) != 0) return std::nullopt;
  wire::Offload offload;
  // NEEDS_CSUM: the kernel left the checksum partial (CHECKSUM_PARTIAL). DATA_VALID: the kernel
  // already validated it (CHECKSUM_UNNECESSARY). Either way it never crossed a wire: trusted.
  offload.csum_partial = flags != 0;
  switch (gso_type) {
    case kVnetGsoNone:
      return offload;
    case kVnetGsoTcpV4: {
      const uint16_t gso_size = LoadLe16(&header[kGsoSize]);
      if (gso_size == 0) return std::nullopt;
      if (gso_size < frame_size) offload.gso_size = gso_size;
      return offload;
    }
    default:  // UDP, TCPv6, UDP_L4, anything with the ECN bit: not offered, never expected
      return std::nullopt;
  }
}

bool EncodeVnetHeader(std::span<const uint8_t> frame, const wire::Offload& offload,
                      std::span<uint8_t> header) {
  if (header.size() < kVnetHeaderSize) return false;
  std::fill_n(header.begin(), kVnetHeaderSize, uint8_t{0});
  if (!offload.any()) return true;
  // The kernel's TSO needs CHECKSUM_PARTIAL, and the checksum must be TCP's in an Ethernet /
  // IPv4 / TCP frame with whole headers.
  if (!offload.csum_partial) return false;
  constexpr size_t kEth = wire::kEthernetHeaderSize;
  if (frame.size() < kEth + wire::kIpv4MinHeaderSize ||
      wire::Load16(frame.data() + 12) != wire::kIpv4 || (frame[kEth] >> 4) != 4 ||
      frame[kEth + 9] != wire::kProtoTcp) {
    return false;
  }
  const size_t ihl = static_cast<size_t>(frame[kEth] & 0x0F) * 4;
  if (ihl < wire::kIpv4MinHeaderSize || frame.size() < kEth + ihl + wire::kTcpMinHeaderSize) {
    return false;
  }
  const size_t doff = static_cast<size_t>(frame[kEth + ihl + 12] >> 4) * 4;
  const size_t headers = kEth + ihl + doff;
  if (doff < wire::kTcpMinHeaderSize || frame.size() < headers) return false;
  header[kFlags] = kVnetFlagNeedsCsum;
  StoreLe16(&header[kCsumStart], kEth + ihl);
  StoreLe16(&header[kCsumOffset], 16);  // offsetof(struct tcphdr, check)
  // hdr_len: what the kernel copies into the skb's linear part (it needs the headers there).
  StoreLe16(&header[kHdrLen], headers);
  if (offload.gso_size > 0 && frame.size() - headers > offload.gso_size) {
    header[kGsoType] = kVnetGsoTcpV4;
    StoreLe16(&header[kGsoSize], offload.gso_size);
  }
  return true;
}

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

absl::StatusOr<std::unique_ptr<TapDevice>> TapDevice::Open(std::string_view name,
                                                           bool request_offloads) {
  if (absl::Status valid = ValidateTapName(name); !valid.ok()) return valid;
  // O_NONBLOCK: the event loop reads until EAGAIN and Transmit must never block the stack.
  const int fd = open(kTunPath, O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return TunOpenError(errno);

  ifreq ifr{};
  // IFF_NO_PI: plain Ethernet frames, no 4-byte packet-information prefix. IFF_VNET_HDR: each
  // frame behind a struct virtio_net_hdr (kVnetHeaderSize), through which the kernel hands us and
  // accepts GSO super-frames and partial checksums once TUNSETOFFLOAD allows them.
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (request_offloads ? IFF_VNET_HDR : 0);
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
  std::unique_ptr<TapDevice> dev(new TapDevice(fd, std::move(actual), mtu, mac));
  if (request_offloads) {
    // TUNSETIFF accepted IFF_VNET_HDR (every kernel since 2.6.27 does): frames carry the header
    // from here on, whether or not the offloads below are granted.
    dev->vnet_header_ = true;
    if (EnableOffloads(fd)) {
      dev->offloads_.tx_csum = true;
      dev->offloads_.tso = true;
      dev->offloads_.gso_max_size = 65536;
    } else {
      (void)ioctl(fd, TUNSETOFFLOAD, 0u);  // a kernel that took some of it: back to none
    }
  } else {
    // A persistent device keeps the offloads an earlier user set; with no header to describe
    // them, the kernel must not send us super-frames or partial checksums.
    (void)ioctl(fd, TUNSETOFFLOAD, 0u);
  }
  return dev;
}

TapDevice::TapDevice(int fd, std::string name, int mtu, std::array<uint8_t, 6> kernel_mac)
    : fd_(fd),
      name_(std::move(name)),
      mtu_(mtu),
      kernel_mac_(kernel_mac),
      rx_buffer_(kRxBufferSize) {}

TapDevice::~TapDevice() { close(fd_); }

void TapDevice::Write(std::span<const uint8_t> header, std::span<const uint8_t> frame, bool gso) {
  // One frame per write: a TAP has no multi-frame write (only vhost-net batches, in the kernel).
  iovec iov[2] = {{const_cast<uint8_t*>(header.data()), header.size()},
                  {const_cast<uint8_t*>(frame.data()), frame.size()}};
  const size_t total = header.size() + frame.size();
  for (int attempt = 0; attempt <= kMaxEintrRetries; ++attempt) {
    const ssize_t n = header.empty() ? write(fd_, frame.data(), frame.size()) : writev(fd_, iov, 2);
    if (n == static_cast<ssize_t>(total)) {
      ++counters_.tx_frames;
      counters_.tx_bytes += frame.size();
      if (gso) ++counters_.tx_gso_frames;
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

void TapDevice::Transmit(std::span<const uint8_t> frame, Instant /*now*/) {
  static constexpr uint8_t kNoOffload[kVnetHeaderSize] = {};
  Write(vnet_header_ ? std::span<const uint8_t>(kNoOffload) : std::span<const uint8_t>(), frame,
        false);
}

void TapDevice::TransmitOffloaded(std::span<const uint8_t> frame, const wire::Offload& offload,
                                  Instant now) {
  uint8_t header[kVnetHeaderSize];
  // Only what offloads() promised; anything else is finished in software (Link's fallback).
  const bool allowed = (!offload.csum_partial || offloads_.tx_csum) &&
                       (offload.gso_size == 0 || offloads_.tso) &&
                       frame.size() <= offloads_.gso_max_size + wire::kEthernetHeaderSize;
  if (!vnet_header_ || !allowed || !EncodeVnetHeader(frame, offload, header)) {
    Link::TransmitOffloaded(frame, offload, now);
    return;
  }
  Write(header, frame, header[kGsoType] != kVnetGsoNone);
}

ssize_t TapDevice::ReadOne(std::span<uint8_t> place, uint8_t** start) {
  if (place.empty()) {
    *start = rx_buffer_.data();
    return read(fd_, rx_buffer_.data(), rx_buffer_.size());
  }
  // Room for the longest frame whatever `place` offers: what does not fit there goes to the same
  // position of the device's buffer, so a frame that did not fit is made whole by copying the
  // first part over.
  const size_t first = std::min(place.size(), rx_buffer_.size());
  iovec iov[2] = {{place.data(), first}, {rx_buffer_.data() + first, rx_buffer_.size() - first}};
  const ssize_t n = readv(fd_, iov, iov[1].iov_len > 0 ? 2 : 1);
  if (n > static_cast<ssize_t>(first)) {
    std::memcpy(rx_buffer_.data(), place.data(), first);
    ++counters_.rx_in_place_misses;
    *start = rx_buffer_.data();
  } else {
    *start = place.data();
  }
  return n;
}

absl::StatusOr<size_t> TapDevice::ReadBatch(FrameFn on_frame, size_t max_frames,
                                            Driveable* placement) {
  const size_t skip = vnet_header_ ? kVnetHeaderSize : 0;
  size_t frames = 0;
  int interrupted = 0;
  while (frames < max_frames) {
    // Asked before every read: the frame before may have changed the receiver's state.
    std::span<uint8_t> place;
    if (placement != nullptr) place = placement->InputBuffer(skip);
    uint8_t* start = nullptr;
    const ssize_t n = ReadOne(place, &start);
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
    ++frames;
    const auto size = static_cast<size_t>(n);
    if (size <= skip) {  // a header and no frame: cannot happen, never trusted
      ++counters_.rx_vnet_drops;
      continue;
    }
    std::span<const uint8_t> frame(start + skip, size - skip);
    wire::Offload offload;
    if (vnet_header_) {
      std::optional<wire::Offload> decoded =
          DecodeVnetHeader(std::span<const uint8_t>(start, skip), frame.size());
      if (!decoded.has_value()) {
        ++counters_.rx_vnet_drops;
        continue;
      }
      offload = *decoded;
      if (offload.gso_size > 0) ++counters_.rx_gso_frames;
      if (offload.csum_partial) ++counters_.rx_csum_trusted;
    }
    if (start != rx_buffer_.data()) {
      if (placement->InputInPlace(frame, offload)) {
        ++counters_.rx_in_place;
      } else {
        // Not the segment the memory was offered for: it may not be processed from there.
        ++counters_.rx_in_place_misses;
        std::memcpy(rx_buffer_.data(), start, size);
        frame = std::span<const uint8_t>(rx_buffer_.data() + skip, size - skip);
      }
    }
    ++counters_.rx_frames;
    counters_.rx_bytes += frame.size();
    on_frame(frame, offload);
  }
  return frames;
}

absl::StatusOr<size_t> TapDevice::ReadBatch(
    absl::FunctionRef<void(std::span<const uint8_t>)> on_frame, size_t max_frames) {
  return ReadBatch(
      [&](std::span<const uint8_t> frame, const wire::Offload& offload) {
        if (!offload.any()) {
          on_frame(frame);
          return;
        }
        if (segment_scratch_.empty()) segment_scratch_.resize(wire::kEthernetHeaderSize + 65535);
        wire::SegmentFrame(frame, offload, segment_scratch_,
                           [&](std::span<uint8_t> piece) { on_frame(piece); });
      },
      max_frames);
}

}  // namespace taptcp::tap
