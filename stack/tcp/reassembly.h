// The receive side of a connection: in-order bytes the application can read, plus out-of-order
// ranges waiting for a gap to fill, plus the SACK and D-SACK blocks that describe them.
//
// RFC 9293 §3.10.7.4 ("seventh, process the segment text") asks the receiver to deliver text in
// order and lets it keep segments that arrive early. Linux does this in tcp_data_queue() (in-order
// path, moving RCV.NXT) and tcp_data_queue_ofo() (an rb-tree of early skbs). Here both live in one
// byte ring of `capacity` bytes indexed by stream offset: in-order and early bytes are written
// straight to their final place, and a small sorted array of [start, end) ranges records which
// early bytes are present. Reading never copies more than once; nothing is allocated per segment.
//
// Offsets (see buf_types.h): 0 is the first byte after the peer's SYN. read_offset() is the next
// byte the application reads; next_expected() is RCV.NXT. The buffer holds
// [read_offset(), read_offset() + capacity()): bytes at or beyond that right edge are dropped.
// The TCB advertises at most free_space() (the room from RCV.NXT to that edge; early bytes already
// sit inside it) and converts ranges to sequence numbers.
//
// Bounds, whatever the peer sends:
//  - bytes: never more than capacity() held, readable and out-of-order together;
//  - ranges: at most max_ranges() distinct out-of-order ranges. A segment that would start one
//    more (it touches no held range and is not in order) is dropped whole and reported in
//    `ofo_dropped`, like Linux's TCPOFODrop. Linux instead bounds the ofo queue by memory and, when
//    short, prunes from the highest sequence down (tcp_prune_ofo_queue, which also forgets every
//    SACK block): that reneges on data already SACKed. Dropping the newcomer never reneges, and
//    progress is never blocked, because in-order bytes and bytes that extend or join held ranges
//    are always accepted (a retransmission filling a hole from its left edge does not add a range).
//
// Overlaps: each byte keeps the first copy that arrived; a later copy of a held byte is counted
// as a duplicate and only feeds D-SACK. Linux agrees for bytes below RCV.NXT and for a segment
// wholly inside a held one (dropped, TCPOFOMerge), but otherwise delivers the copy from the
// segment that starts lowest: tcp_data_queue_ofo() keeps partially overlapping early skbs and
// tcp_ofo_queue() trims the later-starting one, a new segment that starts with a held one and
// covers it replaces it (rb_replace_node), and in-order data wins over early data it overlaps.
// The bytes differ only when a peer sends different data for the same sequence numbers.
//
// SACK blocks (RFC 2018 §4) are kept exactly as Linux keeps tp->selective_acks[]: at most four
// (TCP_NUM_SACKS), the block holding the most recently received early segment first
// (tcp_sack_new_ofo_skb: a segment that overlaps or touches a block extends it and moves it to
// the front, then tcp_sack_maybe_coalesce merges blocks it now touches; otherwise a new block is
// pushed at the front and, with four already, the oldest is forgotten), and blocks at or below
// RCV.NXT are removed as the gap fills (tcp_sack_remove). With more than four holes a forgotten
// range is not reported again until a segment touches it, and a block can then cover only part
// of a contiguous held range; RFC 2018 §4 would report whole ranges but Linux does not, and the
// stack follows Linux. How many blocks fit in the option (3 with timestamps, 4 without, one fewer
// with a D-SACK) is the TCB's decision.
//
// D-SACK (RFC 2883 §4): an Insert that carries bytes already received (below RCV.NXT, or held
// early) records the lowest contiguous run of them as the pending D-SACK block, which the TCB
// takes with TakeDsack() to put first in the next ACK's SACK option. That is the block Linux
// reports: tcp_dsack_set() for old data (tcp_data_queue, tcp_send_dupack) and for an early segment
// that overlaps held data (tcp_data_queue_ofo), grown by tcp_dsack_extend() only while the
// duplicate bytes stay contiguous. A block already pending is dropped by the next Insert, as
// tcp_data_queue() clears rx_opt.dsack for every data segment. (One Linux quirk is not
// reproduced: for in-order data that overlaps several held ranges, tcp_ofo_queue() can report a
// D-SACK running from the first overlap to the end of the new data, new bytes included; here the
// block stops at the last duplicate byte of the run.)
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "stack/tcp/buf_types.h"

namespace taptcp::tcp {

class ReceiveBuffer {
 public:
  static constexpr size_t kDefaultMaxRanges = 64;
  // Linux TCP_NUM_SACKS: SACK blocks remembered (and at most what fits in 40 option bytes).
  static constexpr size_t kMaxSackBlocks = 4;

  // What one Insert did. The byte counts add up to the segment length.
  struct InsertResult {
    size_t readable_added = 0;  // RCV.NXT moved forward by this much (new bytes plus ranges joined)
    size_t stored = 0;          // bytes not held before, now kept (in order or early)
    size_t duplicate = 0;       // bytes already received (below RCV.NXT or held early)
    size_t beyond_window = 0;   // bytes at or past read_offset() + capacity(), dropped
    size_t ofo_dropped = 0;     // early segment dropped whole: it would need range max_ranges()+1
    bool out_of_order = false;  // started above RCV.NXT, inside the buffer (tcp_data_queue_ofo)

    // Nothing new and nothing refused: a pure retransmission (the D-SACK case of RFC 2883 §4.1).
    bool all_duplicate() const {
      return duplicate != 0 && stored == 0 && beyond_window == 0 && ofo_dropped == 0;
    }
  };

  // Allocates the ring and the range array; nothing else allocates. `initial_offset` is the
  // stream offset of the first byte expected (0 for a normal connection).
  explicit ReceiveBuffer(size_t capacity, uint64_t initial_offset = 0,
                         size_t max_ranges = kDefaultMaxRanges);

  ReceiveBuffer(const ReceiveBuffer&) = delete;
  ReceiveBuffer& operator=(const ReceiveBuffer&) = delete;
  ReceiveBuffer(ReceiveBuffer&&) = default;
  ReceiveBuffer& operator=(ReceiveBuffer&&) = default;

  // Takes the segment text that starts at stream offset `offset`. Bytes below RCV.NXT or already
  // held are duplicates, bytes at or beyond the right edge are dropped, the rest are stored;
  // RCV.NXT advances over any bytes that are now contiguous. The TCB has already checked the
  // segment is acceptable (RFC 9293 §3.10.7.4 "first, check sequence number") and trimmed it to the
  // window it advertised, if it wants a tighter bound than the buffer's edge. An empty span does
  // nothing.
  InsertResult Insert(uint64_t offset, std::span<const uint8_t> data);

  // Copies up to out.size() readable bytes and consumes them (recv()); returns how many.
  size_t Read(std::span<uint8_t> out);
  // Like Read() without consuming (recv(MSG_PEEK)).
  size_t Peek(std::span<uint8_t> out) const;
  // All readable bytes without copying, valid until the next non-const call; then Consume().
  ByteSpans Readable() const;
  // Consumes min(n, readable()) bytes; returns how many.
  size_t Consume(size_t n);

  uint64_t read_offset() const { return read_; }
  uint64_t next_expected() const { return rcv_nxt_; }  // RCV.NXT as an offset
  size_t readable() const { return static_cast<size_t>(rcv_nxt_ - read_); }
  size_t capacity() const { return ring_.capacity(); }
  // Room from RCV.NXT to the right edge: the most the TCB may advertise (RCV.WND). Early bytes
  // already sit inside it and do not reduce it.
  size_t free_space() const { return capacity() - readable(); }
  uint64_t window_end() const { return read_ + capacity(); }
  size_t max_ranges() const { return max_ranges_; }

  // Early data: total bytes held above RCV.NXT, and the held ranges, sorted, disjoint and never
  // touching (each range is bounded by missing bytes on both sides, RFC 2018 §3).
  size_t ooo_bytes() const { return ooo_bytes_; }
  std::span<const SackRange> ooo_ranges() const { return ooo_; }

  // Copies the current SACK blocks, most recent first, at most min(max, out.size()); returns the
  // count. Empty when there is no early data.
  size_t SackBlocks(std::span<SackRange> out, size_t max) const;
  std::span<const SackRange> sack_blocks() const { return {sacks_.data(), num_sacks_}; }

  // The D-SACK block recorded by the last Insert, if any; clears it (Linux clears rx_opt.dsack
  // once an ACK carried it).
  std::optional<SackRange> TakeDsack();
  const std::optional<SackRange>& pending_dsack() const { return dsack_; }

  // Zero-copy receive: storage a driver may read the next frame into, `headroom` bytes for what
  // comes before the text (the driver's header, Ethernet, IPv4, TCP), then room for text at the
  // place of RCV.NXT, so that Insert(next_expected(), text) finds it in place and copies nothing
  // (ByteRing::Write). The room never reaches a byte anyone still needs: only with nothing
  // readable (the headers overwrite bytes already read) and nothing held early (the room is free
  // space), and never past the free space. Text may run past the ring's end into a slack area
  // (kInPlaceSlack bytes), added to the ring on the first call, from where Insert moves it to the
  // start. Empty when any of that does not hold.
  std::span<uint8_t> InPlaceRoom(size_t headroom);
  // The slack: one frame of the largest IPv4 packet plus the link's headers.
  static constexpr size_t kInPlaceSlack = 65536 + 128;

  // Resizes the ring (SO_RCVBUF, or receive-buffer autotuning as in tcp_rcv_space_adjust),
  // keeping every held byte: a capacity below what is held (up to the end of the highest early
  // range) is clamped to it. Returns the capacity now in effect. The TCB must not shrink below
  // the right edge it has already advertised (RFC 9293 §3.8.6 strongly discourages shrinking the
  // window; Linux never moves the edge back, tcp_select_window); only it knows that edge.
  // Allocates (once); not for the per-packet path.
  size_t set_capacity(size_t capacity);

 private:
  // Linux tcp_sack_new_ofo_skb(): a segment [start, end) went to the out-of-order queue.
  void SackNewOfo(uint64_t start, uint64_t end);
  // Linux tcp_sack_remove(): RCV.NXT advanced.
  void SackRemove();

  ByteRing ring_;
  uint64_t read_;
  uint64_t rcv_nxt_;
  size_t max_ranges_;
  std::vector<SackRange> ooo_;  // reserved to max_ranges_ on first use; never grows past it
  size_t ooo_bytes_ = 0;
  std::array<SackRange, kMaxSackBlocks> sacks_{};
  size_t num_sacks_ = 0;
  std::optional<SackRange> dsack_;
};

}  // namespace taptcp::tcp
