#include "stack/link.h"

#include <memory>
#include <vector>

#include "stack/wire/ethernet.h"

namespace taptcp {
namespace {

// Room for one piece: the largest IPv4 packet plus its Ethernet header. A piece handed on may
// come back here re-entrantly (a frame fed to a stack makes it transmit), so each nesting depth
// has its own buffer; per thread, allocated once per depth.
class ScratchLease {
 public:
  ScratchLease() {
    if (buffers_.size() <= depth_) {
      buffers_.push_back(std::make_unique<uint8_t[]>(kSize));
    }
    span_ = std::span<uint8_t>(buffers_[depth_++].get(), kSize);
  }
  ~ScratchLease() { --depth_; }
  ScratchLease(const ScratchLease&) = delete;
  ScratchLease& operator=(const ScratchLease&) = delete;
  std::span<uint8_t> span() const { return span_; }

 private:
  static constexpr size_t kSize = wire::kEthernetHeaderSize + 65535;
  static thread_local std::vector<std::unique_ptr<uint8_t[]>> buffers_;
  static thread_local size_t depth_;
  std::span<uint8_t> span_;
};

thread_local std::vector<std::unique_ptr<uint8_t[]>> ScratchLease::buffers_;
thread_local size_t ScratchLease::depth_ = 0;

}  // namespace

void Link::TransmitOffloaded(std::span<const uint8_t> frame, const wire::Offload& offload,
                             Instant now) {
  const ScratchLease scratch;
  wire::SegmentFrame(frame, offload, scratch.span(),
                     [&](std::span<uint8_t> piece) { Transmit(piece, now); });
}

void Driveable::InputOffloaded(std::span<const uint8_t> frame, const wire::Offload& offload,
                               Instant now) {
  const ScratchLease scratch;
  wire::SegmentFrame(frame, offload, scratch.span(),
                     [&](std::span<uint8_t> piece) { Input(piece, now); });
}

}  // namespace taptcp
