// The send queue: bytes the application wrote that are not yet acknowledged, as a byte ring.
//
// Linux keeps this as a list of skbs (sk_write_queue plus the tcp_rtx_queue rb-tree), each a
// segment-sized chunk, and re-slices skbs when the MSS changes (tcp_fragment). A flat ring
// indexed by stream offset gives the same service with no per-segment objects: the output path
// asks for any [offset, offset + len) and gets at most two spans to copy into the frame, so
// retransmissions after an MSS change, SACK holes and partial ACKs need no splitting.
//
// Offsets: byte 0 is the first data byte after the SYN (ISN + 1). The queue holds
// [begin_offset(), end_offset()); begin_offset() is SND.UNA as an offset and grows with AckTo(),
// end_offset() grows with Append(). Where SND.NXT lies inside the queue is the TCB's business:
// the buffer does not distinguish sent from unsent bytes (Linux's write queue / rtx queue split).
//
// Memory: `capacity` bytes allocated in the constructor and in set_capacity(), never elsewhere.
// Capacity counts payload bytes only; mapping SO_SNDBUF (which Linux doubles and charges with skb
// overhead, sk_wmem_queued vs sk_sndbuf) to a byte count is the socket layer's job.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "stack/tcp/buf_types.h"

namespace taptcp::tcp {

class SendBuffer {
 public:
  // `initial_offset` is where the stream starts (0 for a normal connection).
  explicit SendBuffer(size_t capacity, uint64_t initial_offset = 0);

  SendBuffer(const SendBuffer&) = delete;
  SendBuffer& operator=(const SendBuffer&) = delete;
  SendBuffer(SendBuffer&&) = default;
  SendBuffer& operator=(SendBuffer&&) = default;

  // Queues as much of `data` as fits and returns how many bytes that was: a partial write, like
  // send() on a non-blocking socket (0 when full, where send() would say EAGAIN).
  size_t Append(std::span<const uint8_t> data);

  // The queued bytes [offset, offset + len), clipped to end_offset(), as at most two spans (the
  // ring may wrap once). Empty when offset is outside [begin_offset(), end_offset()): bytes below
  // begin_offset() were acknowledged and are gone. The spans stay valid until the next Append,
  // AckTo or set_capacity.
  ByteSpans Peek(uint64_t offset, size_t len) const;
  // Peek() copied into `out` (len = out.size()); returns the number of bytes copied.
  size_t CopyOut(uint64_t offset, std::span<uint8_t> out) const;

  // Frees every byte below `offset` (a cumulative ACK, RFC 9293 §3.10.7.4 "fifth, check the ACK
  // field": SND.UNA advances). An offset at or below begin_offset() changes nothing (an old or
  // duplicate ACK); one past end_offset() is clamped to it (the TCB must not acknowledge unsent
  // data, and a FIN's sequence number is not a stream byte). Returns the number of bytes freed.
  size_t AckTo(uint64_t offset);

  uint64_t begin_offset() const { return begin_; }
  uint64_t end_offset() const { return begin_ + size_; }
  size_t size() const { return size_; }
  size_t capacity() const { return ring_.capacity(); }
  size_t free_space() const { return ring_.capacity() - size_; }

  // Resizes the ring (SO_SNDBUF, or tcp_sndbuf_expand-style growth) keeping every queued byte.
  // A capacity below size() is clamped to size(): queued data is never dropped, since some of it
  // may be in flight and must stay retransmittable until acknowledged. Linux instead lets
  // sk_wmem_queued exceed a lowered sk_sndbuf and simply blocks writers until it drains; here
  // the capacity stays at size() and writers see free_space() == 0, which looks the same to the
  // application but means a later set_capacity() is needed to shrink further. Returns the
  // capacity now in effect. Allocates (once); not for the per-packet path.
  size_t set_capacity(size_t capacity);

 private:
  ByteRing ring_;
  uint64_t begin_;
  size_t size_ = 0;
};

}  // namespace taptcp::tcp
