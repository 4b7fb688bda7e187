// Small value types shared by the data-path buffers (send_buffer.h, reassembly.h,
// sack_scoreboard.h).
//
// All three buffers number bytes by a 64-bit stream offset: 0 is the first data byte after the
// SYN (ISN + 1), so an offset never wraps in the life of a connection and the buffers need no
// modular arithmetic. The TCB converts between offsets and 32-bit sequence numbers at the edge
// (RFC 9293 §3.4: sequence numbers are the stream offset modulo 2^32, plus the ISN).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>

namespace taptcp::tcp {

// A half-open byte range [start, end) in stream offsets: the shape of one SACK block (RFC 2018
// §3: "Left Edge" is the first byte, "Right Edge" the byte just after the last), of a D-SACK
// block (RFC 2883), and of a segment to (re)send.
struct SackRange {
  uint64_t start = 0;
  uint64_t end = 0;

  uint64_t size() const { return end - start; }
  bool empty() const { return end <= start; }
  bool Contains(uint64_t offset) const { return offset >= start && offset < end; }
  friend bool operator==(const SackRange&, const SackRange&) = default;
};

// Up to two contiguous pieces of a byte ring: what a ring can hand out without copying. A
// segment is built with at most two memcpy (first, then second).
struct ByteSpans {
  std::span<const uint8_t> first;
  std::span<const uint8_t> second;

  size_t size() const { return first.size() + second.size(); }
  bool empty() const { return size() == 0; }
  // Copies min(size(), out.size()) bytes into `out`; returns how many.
  size_t CopyTo(std::span<uint8_t> out) const {
    size_t n1 = first.size() < out.size() ? first.size() : out.size();
    if (n1 != 0) std::memcpy(out.data(), first.data(), n1);
    size_t n2 = second.size() < out.size() - n1 ? second.size() : out.size() - n1;
    if (n2 != 0) std::memcpy(out.data() + n1, second.data(), n2);
    return n1 + n2;
  }
};

// Fixed-size byte storage addressed by stream offset: byte `o` lives at index o % capacity. A
// user keeps at most capacity() bytes live, in one window of consecutive offsets, so live bytes
// never collide. Allocates only in the constructor and in Resize(); no per-packet allocation
// (DESIGN.md).
//
// Zero-copy receive (ReceiveBuffer::InPlaceRoom): a driver may read a frame straight into the
// storage so that its text already sits at the index of its offset. The storage can then carry
// `slack` bytes past the end, where such text may run over; Write moves what ran over to the
// start, where it belongs, and copies nothing else of data that is already in place.
class ByteRing {
 public:
  // `capacity` and `slack` below 4 GiB (Linux's buffers are int-sized too).
  explicit ByteRing(size_t capacity, size_t slack = 0)
      : data_(capacity != 0
                  ? std::make_unique_for_overwrite<uint8_t[]>(capacity + std::min(slack, capacity))
                  : nullptr),
        capacity_(static_cast<uint32_t>(capacity)),
        slack_(static_cast<uint32_t>(std::min(slack, capacity))) {}

  size_t capacity() const { return capacity_; }
  size_t slack() const { return slack_; }

  // Stores `data` at offsets [offset, offset + data.size()); data.size() <= capacity(). `data` is
  // either outside the storage or exactly in place (see the class comment): data.data() is the
  // index of `offset` and data runs at most slack() bytes past the end.
  void Write(uint64_t offset, std::span<const uint8_t> data) {
    if (data.empty()) return;
    size_t pos = Index(offset);
    size_t n1 = std::min(data.size(), capacity_ - pos);
    if (data.data() == &data_[pos]) {
      // Already in place: only the part in the slack moves, to the start (never overlapping it:
      // slack <= capacity).
      if (n1 < data.size()) std::memcpy(&data_[0], &data_[capacity_], data.size() - n1);
      return;
    }
    std::memcpy(&data_[pos], data.data(), n1);
    if (n1 < data.size()) std::memcpy(&data_[0], data.data() + n1, data.size() - n1);
  }

  // The bytes at offsets [offset, offset + len), len <= capacity(), as at most two spans.
  ByteSpans View(uint64_t offset, size_t len) const {
    if (len == 0) return {};
    size_t pos = Index(offset);
    size_t n1 = std::min(len, capacity_ - pos);
    return {{&data_[pos], n1}, {&data_[0], len - n1}};
  }

  // Writable storage from the index of `offset` to the end of the slack (for zero-copy receive),
  // with `before` bytes in front of it; empty if the index is less than `before`.
  std::span<uint8_t> StorageFrom(uint64_t offset, size_t before) {
    if (capacity_ == 0) return {};
    const size_t pos = Index(offset);
    if (pos < before) return {};
    return {&data_[pos - before], size_t{capacity_} + slack_ - (pos - before)};
  }

  // New storage of `capacity` (and `slack`) bytes holding the old bytes [from, to) at the same
  // offsets; to - from <= both capacities.
  void Resize(size_t capacity, uint64_t from, uint64_t to) { Resize(capacity, slack_, from, to); }
  void Resize(size_t capacity, size_t slack, uint64_t from, uint64_t to) {
    ByteRing next(capacity, slack);
    ByteSpans live = View(from, static_cast<size_t>(to - from));
    next.Write(from, live.first);
    next.Write(from + live.first.size(), live.second);
    *this = std::move(next);
  }

 private:
  size_t Index(uint64_t offset) const { return static_cast<size_t>(offset % capacity_); }

  std::unique_ptr<uint8_t[]> data_;
  // 32 bits each, so the slack costs a connection no memory (issue 3's 1 KiB per connection).
  uint32_t capacity_;
  uint32_t slack_;
};

}  // namespace taptcp::tcp
