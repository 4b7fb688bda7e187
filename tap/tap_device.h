// A Linux TAP device as a Link: the stack's frames go out through write(2) on the TAP fd, and the
// kernel's frames come back through ReadBatch. The kernel side of the device is an ordinary
// interface (address, routes, `ping`, `curl`), typically moved into a test network namespace.
//
// Offloads (DESIGN.md "Offloads at the Link boundary"): opened with IFF_VNET_HDR, every frame on
// the fd carries a struct virtio_net_hdr in front, and TUNSETOFFLOAD(TUN_F_CSUM | TUN_F_TSO4)
// makes the kernel side a netdev with checksum offload and TSO. The kernel then hands us TCP
// super-frames of up to 64 KiB with partial checksums (its TSO, as a NIC would get them) and takes
// ours the same way, so one read(2) or write(2) moves up to 44 segments instead of one.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "stack/link.h"
#include "stack/wire/offload.h"
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
    // Offloads: super-frames (GSO) read and written, frames read with a partial or
    // already-validated checksum, and frames dropped because their virtio header asked for
    // something we did not offer (GSO_UDP, TCPv6, ECN, unknown flags, a GSO frame with gso_size 0).
    uint64_t rx_gso_frames = 0;
    uint64_t rx_csum_trusted = 0;
    uint64_t rx_vnet_drops = 0;
    uint64_t tx_gso_frames = 0;
    // Zero-copy receive: frames read into the receiver's memory and handed on from there, and
    // those read there that had to be copied out (not the segment expected, or too long).
    uint64_t rx_in_place = 0;
    uint64_t rx_in_place_misses = 0;
  };

  // A frame and what the kernel left undone on it (decoded from its virtio header); the span is
  // valid only during the ReadBatch callback.
  using FrameFn =
      absl::FunctionRef<void(std::span<const uint8_t> frame, const wire::Offload& offload)>;

  // Creates (or attaches to a persistent) TAP device `name` (IFF_TAP | IFF_NO_PI, non-blocking).
  // A name with "%d" lets the kernel pick the number; name() is the name it chose. Errors are one
  // line and say what to do (modprobe tun, CAP_NET_ADMIN, pick another name).
  // With `request_offloads`, also IFF_VNET_HDR and TUNSETOFFLOAD(TUN_F_CSUM | TUN_F_TSO4);
  // offloads() says whether the kernel agreed (if not, the device works with plain frames).
  // Without it, the device carries plain frames and any offload a persistent device kept from an
  // earlier user is switched off.
  static absl::StatusOr<std::unique_ptr<TapDevice>> Open(std::string_view name,
                                                         bool request_offloads = true);

  TapDevice(const TapDevice&) = delete;
  TapDevice& operator=(const TapDevice&) = delete;
  // Closes the fd; a non-persistent device (the kind Open creates) disappears with it, from
  // whatever network namespace it lives in by then.
  ~TapDevice() override;

  // Writes one frame (behind a zero virtio header when the device has them). Never blocks: a full
  // queue counts a drop (Counters::tx_drops).
  void Transmit(std::span<const uint8_t> frame, Instant now) override;
  // Writes a super-frame or a frame with a partial checksum as it is, its virtio header saying
  // what is left for the kernel, in one writev(2). Without offloads (or for a frame the header
  // cannot describe) Link's software fallback cuts it into ordinary frames first.
  void TransmitOffloaded(std::span<const uint8_t> frame, const wire::Offload& offload,
                         Instant now) override;
  // {tx_csum, tso, 64 KiB} when IFF_VNET_HDR and TUNSETOFFLOAD succeeded, else none.
  wire::LinkOffloads offloads() const override { return offloads_; }

  // Reads frames until the device has none left or `max_frames` were read (so one busy device
  // cannot starve the rest of an event loop), calling `on_frame` for each with the offload its
  // virtio header describes (none without offloads). Returns how many frames were read (dropped
  // ones included), or an error when the device is unusable (for example destroyed because its
  // network namespace was deleted).
  // With `placement` (zero-copy receive, link.h): each frame is read into the memory
  // placement->InputBuffer offers, when it offers any, and handed on from there if
  // placement->InputInPlace agrees; otherwise it is copied to the device's own buffer first.
  absl::StatusOr<size_t> ReadBatch(FrameFn on_frame, size_t max_frames,
                                   Driveable* placement = nullptr);
  // The same for a reader that wants ordinary frames only: a super-frame is cut and a partial
  // checksum completed in software first (wire::SegmentFrame), as a capture would see them.
  absl::StatusOr<size_t> ReadBatch(absl::FunctionRef<void(std::span<const uint8_t>)> on_frame,
                                   size_t max_frames);

  int fd() const { return fd_; }
  const std::string& name() const { return name_; }
  // MTU and the kernel side's MAC address as of Open, while the device was still in our network
  // namespace (both can be changed later from wherever the device lives).
  int mtu() const { return mtu_; }
  const std::array<uint8_t, 6>& kernel_mac() const { return kernel_mac_; }
  const Counters& counters() const { return counters_; }
  // Whether every frame on the fd carries a virtio_net_hdr (IFF_VNET_HDR was accepted).
  bool vnet_header() const { return vnet_header_; }

 private:
  TapDevice(int fd, std::string name, int mtu, std::array<uint8_t, 6> kernel_mac);
  void Write(std::span<const uint8_t> header, std::span<const uint8_t> frame, bool gso);
  // One read(2) of a frame (virtio header included) into `place` if it is not empty, with the
  // device's own buffer behind it for what does not fit, else into the device's buffer. Returns
  // the bytes read (or -1 with errno) and where they start: `place` only if they all fit there.
  ssize_t ReadOne(std::span<uint8_t> place, uint8_t** start);

  int fd_;
  std::string name_;
  int mtu_;
  std::array<uint8_t, 6> kernel_mac_;
  Counters counters_;
  bool vnet_header_ = false;
  wire::LinkOffloads offloads_;
  // One frame and its virtio header: large enough for any frame a TAP can hand us (a 64 KiB GSO
  // super-frame, or 64 KiB with GSO off), so a read is never silently truncated whatever MTU is
  // set on the kernel side later.
  std::vector<uint8_t> rx_buffer_;
  // For the ordinary-frames ReadBatch: one piece of a super-frame; allocated on first use.
  std::vector<uint8_t> segment_scratch_;
};

// The struct virtio_net_hdr in front of every frame of an IFF_VNET_HDR device (linux/virtio_net.h;
// TUNSETVNETHDRSZ is set to its size): flags, gso_type, then hdr_len, gso_size, csum_start and
// csum_offset as little-endian 16-bit fields (TUNSETVNETLE). 10 bytes, not 12 (the mergeable-
// buffers variant, which a TAP never needs): with 10, the IPv4 header lands 24 bytes into the
// read buffer, 8-byte aligned.
inline constexpr size_t kVnetHeaderSize = 10;
// Its flags and gso_type values (linux/virtio_net.h, which C++ cannot include: a field is named
// `class`).
inline constexpr uint8_t kVnetFlagNeedsCsum = 1;  // VIRTIO_NET_HDR_F_NEEDS_CSUM
inline constexpr uint8_t kVnetFlagDataValid = 2;  // VIRTIO_NET_HDR_F_DATA_VALID
inline constexpr uint8_t kVnetFlagRscInfo = 4;    // VIRTIO_NET_HDR_F_RSC_INFO
inline constexpr uint8_t kVnetGsoNone = 0;        // VIRTIO_NET_HDR_GSO_NONE
inline constexpr uint8_t kVnetGsoTcpV4 = 1;       // VIRTIO_NET_HDR_GSO_TCPV4
inline constexpr uint8_t kVnetGsoUdp = 3;         // VIRTIO_NET_HDR_GSO_UDP
inline constexpr uint8_t kVnetGsoTcpV6 = 4;       // VIRTIO_NET_HDR_GSO_TCPV6
inline constexpr uint8_t kVnetGsoUdpL4 = 5;       // VIRTIO_NET_HDR_GSO_UDP_L4
inline constexpr uint8_t kVnetGsoEcn = 0x80;      // VIRTIO_NET_HDR_GSO_ECN

// What a received header means for the frame behind it, or nullopt to drop the frame (a header
// asking for something we did not offer with TUNSETOFFLOAD: GSO_UDP, UDP_L4, TCPv6, the ECN bit,
// flags other than NEEDS_CSUM and DATA_VALID; or a TCPv4 GSO frame with gso_size 0, which the
// kernel refuses too). NEEDS_CSUM gives csum_partial; so does DATA_VALID, meaning "trusted, do
// not verify" (the checksum is then already complete, which the stack's receive path never reads
// and wire::SegmentFrame recomputes anyway). A gso_size no smaller than the frame is no GSO at
// all, as virtio_net_hdr_to_skb decides ("too small packets are not really GSO ones"). The frame
// itself is not parsed: a header claiming GSO on a frame that is not TCP reaches the stack, whose
// InputOffloaded treats a malformed super-frame as an ordinary frame.
std::optional<wire::Offload> DecodeVnetHeader(std::span<const uint8_t> header, size_t frame_size);

// Writes the header for sending `frame` with `offload` into `header` (kVnetHeaderSize bytes):
// NEEDS_CSUM with csum_start at the TCP header and csum_offset 16 for a partial checksum; GSO_TCPV4
// with gso_size and hdr_len (Ethernet + IPv4 + TCP headers) for a super-frame. Returns false,
// leaving the work to the software fallback, if the frame is not Ethernet/IPv4/TCP with whole
// headers or asks for GSO without a partial checksum (the kernel's TSO needs CHECKSUM_PARTIAL).
bool EncodeVnetHeader(std::span<const uint8_t> frame, const wire::Offload& offload,
                      std::span<uint8_t> header);

// Checks an interface name before any system call: 1..15 bytes, no '/', ':', whitespace or
// control characters, not "." or "..", as the kernel's dev_valid_name() requires.
absl::Status ValidateTapName(std::string_view name);

// The one-line errors for open(/dev/net/tun) and ioctl(TUNSETIFF) failing with `err`; exposed so
// every errno mapping can be unit tested without provoking it.
absl::Status TunOpenError(int err);
absl::Status TunSetIffError(int err, std::string_view name);

}  // namespace taptcp::tap
