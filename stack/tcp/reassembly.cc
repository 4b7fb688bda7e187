#include "stack/tcp/reassembly.h"

#include <algorithm>
#include <limits>

namespace taptcp::tcp {
namespace {

// Linux tcp_sack_extend(): grows `block` to cover [start, end) when the two overlap or touch.
bool SackExtend(SackRange& block, uint64_t start, uint64_t end) {
  if (start > block.end || block.start > end) return false;
  block.start = std::min(block.start, start);
  block.end = std::max(block.end, end);
  return true;
}

}  // namespace

ReceiveBuffer::ReceiveBuffer(size_t capacity, uint64_t initial_offset, size_t max_ranges)
    : ring_(capacity), read_(initial_offset), rcv_nxt_(initial_offset), max_ranges_(max_ranges) {
  // The range array is reserved on the first out-of-order segment, not here: most connections
  // never see one, and an idle connection should cost little (issue 3's 1 KiB target).
}

ReceiveBuffer::InsertResult ReceiveBuffer::Insert(uint64_t offset, std::span<const uint8_t> data) {
  InsertResult result;
  if (data.empty()) return result;
  // tcp_data_queue() forgets a D-SACK not yet sent when the next data segment arrives.
  dsack_.reset();

  const uint64_t start = offset;
  const uint64_t win_end = window_end();
  // Bytes at offsets >= win_end are dropped; computing the end this way cannot overflow.
  const uint64_t fit = start < win_end ? std::min<uint64_t>(data.size(), win_end - start) : 0;
  const uint64_t end = start + fit;  // the part inside the buffer: [start, end)
  result.beyond_window = static_cast<size_t>(data.size() - fit);
  if (fit == 0) return result;

  // Bytes below RCV.NXT were delivered already (tcp_data_queue: "!after(end_seq, rcv_nxt)" is a
  // pure duplicate, "before(seq, rcv_nxt)" a partial one); both are D-SACKed from seq.
  if (start < rcv_nxt_) {
    uint64_t dup_end = std::min(end, rcv_nxt_);
    result.duplicate += static_cast<size_t>(dup_end - start);
    dsack_ = SackRange{start, dup_end};
  }
  const uint64_t a = std::max(start, rcv_nxt_);  // the part at or above RCV.NXT: [a, end)
  if (a >= end) return result;
  const bool in_order = start <= rcv_nxt_;
  result.out_of_order = !in_order;

  // Held ranges that overlap or touch [a, end): [lo, hi). Ranges are sorted and never touch, so
  // their ends are sorted too.
  size_t lo = 0;
  while (lo < ooo_.size() && ooo_[lo].end < a) ++lo;
  size_t hi = lo;
  while (hi < ooo_.size() && ooo_[hi].start <= end) ++hi;

  if (!in_order && lo == hi && ooo_.size() >= max_ranges_) {
    // Would start range max_ranges_ + 1: refuse it (see the header; Linux TCPOFODrop).
    result.ofo_dropped = static_cast<size_t>(end - a);
    return result;
  }

  // Store the bytes that fall in the holes between held ranges; bytes inside a range keep the
  // first copy. The first duplicate piece is the lowest contiguous run of duplicates (held ranges
  // never touch, so duplicates from two ranges are never contiguous) and becomes the D-SACK block
  // unless old data came first.
  uint64_t cursor = a;
  for (size_t k = lo; k < hi; ++k) {
    uint64_t rs = std::max(ooo_[k].start, a);
    uint64_t re = std::min(ooo_[k].end, end);
    if (cursor < rs) {
      ring_.Write(cursor, data.subspan(static_cast<size_t>(cursor - start),
                                       static_cast<size_t>(rs - cursor)));
      result.stored += static_cast<size_t>(rs - cursor);
    }
    if (rs < re) {
      result.duplicate += static_cast<size_t>(re - rs);
      if (!dsack_.has_value()) dsack_ = SackRange{rs, re};
    }
    cursor = std::max(cursor, re);
  }
  if (cursor < end) {
    ring_.Write(cursor, data.subspan(static_cast<size_t>(cursor - start),
                                     static_cast<size_t>(end - cursor)));
    result.stored += static_cast<size_t>(end - cursor);
  }

  // Replace ranges [lo, hi) by their union with [a, end).
  SackRange merged{a, end};
  size_t absorbed = 0;
  if (lo < hi) {
    merged.start = std::min(merged.start, ooo_[lo].start);
    merged.end = std::max(merged.end, ooo_[hi - 1].end);
    for (size_t k = lo; k < hi; ++k) absorbed += static_cast<size_t>(ooo_[k].size());
  }
  if (in_order) {
    // tcp_queue_rcv() then tcp_ofo_queue(): RCV.NXT moves over the new bytes and every held range
    // they reach. lo == 0 here, and range hi starts above merged.end (ranges never touch).
    ooo_.erase(ooo_.begin(), ooo_.begin() + static_cast<ptrdiff_t>(hi));
    ooo_bytes_ -= absorbed;
    result.readable_added = static_cast<size_t>(merged.end - rcv_nxt_);
    rcv_nxt_ = merged.end;
    if (num_sacks_ != 0) SackRemove();
  } else {
    if (lo == hi) {
      if (ooo_.capacity() == 0) ooo_.reserve(max_ranges_);  // once per connection, at most
      ooo_.insert(ooo_.begin() + static_cast<ptrdiff_t>(lo), merged);  // within reserve()
    } else {
      ooo_[lo] = merged;
      ooo_.erase(ooo_.begin() + static_cast<ptrdiff_t>(lo) + 1,
                 ooo_.begin() + static_cast<ptrdiff_t>(hi));
    }
    ooo_bytes_ += static_cast<size_t>(merged.size()) - absorbed;
    // tcp_data_queue_ofo() reports the whole segment, even one that was all duplicate (which
    // brings its block to the front: RFC 2883 §4.1.3's second block).
    SackNewOfo(a, end);
  }
  return result;
}

void ReceiveBuffer::SackNewOfo(uint64_t start, uint64_t end) {
  for (size_t i = 0; i < num_sacks_; ++i) {
    if (!SackExtend(sacks_[i], start, end)) continue;
    // Rotate the grown block to the front, keeping the others' order.
    std::rotate(sacks_.begin(), sacks_.begin() + static_cast<ptrdiff_t>(i),
                sacks_.begin() + static_cast<ptrdiff_t>(i) + 1);
    // tcp_sack_maybe_coalesce(): fold in blocks the first one now overlaps or touches.
    for (size_t j = 1; j < num_sacks_;) {
      if (SackExtend(sacks_[0], sacks_[j].start, sacks_[j].end)) {
        std::copy(sacks_.begin() + static_cast<ptrdiff_t>(j) + 1,
                  sacks_.begin() + static_cast<ptrdiff_t>(num_sacks_),
                  sacks_.begin() + static_cast<ptrdiff_t>(j));
        --num_sacks_;
      } else {
        ++j;
      }
    }
    return;
  }
  // No block to grow: a new one goes first; with all four in use the oldest (last) is forgotten.
  if (num_sacks_ == kMaxSackBlocks) --num_sacks_;
  std::copy_backward(sacks_.begin(), sacks_.begin() + static_cast<ptrdiff_t>(num_sacks_),
                     sacks_.begin() + static_cast<ptrdiff_t>(num_sacks_) + 1);
  sacks_[0] = SackRange{start, end};
  ++num_sacks_;
}

void ReceiveBuffer::SackRemove() {
  if (ooo_.empty()) {
    num_sacks_ = 0;
    return;
  }
  // A block whose start RCV.NXT has reached is wholly below it (blocks hold received bytes only,
  // and RCV.NXT stops at a missing byte).
  size_t kept = 0;
  for (size_t i = 0; i < num_sacks_; ++i) {
    if (sacks_[i].start > rcv_nxt_) sacks_[kept++] = sacks_[i];
  }
  num_sacks_ = kept;
}

size_t ReceiveBuffer::Read(std::span<uint8_t> out) {
  size_t n = Peek(out);
  read_ += n;
  return n;
}

size_t ReceiveBuffer::Peek(std::span<uint8_t> out) const {
  return ring_.View(read_, std::min(out.size(), readable())).CopyTo(out);
}

ByteSpans ReceiveBuffer::Readable() const { return ring_.View(read_, readable()); }

size_t ReceiveBuffer::Consume(size_t n) {
  n = std::min(n, readable());
  read_ += n;
  return n;
}

size_t ReceiveBuffer::SackBlocks(std::span<SackRange> out, size_t max) const {
  size_t n = std::min({num_sacks_, out.size(), max});
  std::copy_n(sacks_.begin(), n, out.begin());
  return n;
}

std::optional<SackRange> ReceiveBuffer::TakeDsack() {
  std::optional<SackRange> d = dsack_;
  dsack_.reset();
  return d;
}

std::span<uint8_t> ReceiveBuffer::InPlaceRoom(size_t headroom) {
  if (readable() != 0 || !ooo_.empty() || capacity() <= headroom) return {};
  // Added once (one allocation and copy per connection), not per packet.
  if (ring_.slack() == 0) ring_.Resize(capacity(), kInPlaceSlack, read_, rcv_nxt_);
  std::span<uint8_t> room = ring_.StorageFrom(rcv_nxt_, headroom);
  // Text that runs past the end comes back to the start: it must not get there the headers (the
  // stack still reads them), nor beyond the free space. Both are the frame's own length: with
  // nothing readable the free space is the whole ring.
  return room.first(std::min(room.size(), capacity()));
}

size_t ReceiveBuffer::set_capacity(size_t capacity) {
  const uint64_t held_end = ooo_.empty() ? rcv_nxt_ : ooo_.back().end;
  capacity = std::max(capacity, static_cast<size_t>(held_end - read_));
  if (capacity != ring_.capacity()) ring_.Resize(capacity, read_, held_end);
  return capacity;
}

}  // namespace taptcp::tcp
