// TCP sequence-number arithmetic (RFC 9293 §3.4): sequence numbers live in a 32-bit space that
// wraps, so "before" and "after" only make sense for numbers less than 2^31 apart. `Seq` keeps a
// uint32_t and compares through the signed 32-bit difference, exactly as Linux's before() and
// after() (include/net/tcp.h) do, so every window and acknowledgment test in the stack reads like
// the kernel's and wraps the same way. Raw uint32_t arithmetic with `<` is the classic bug this
// type exists to prevent.
//
// Caveat: wrap-aware comparison is not a total order (it is not transitive over more than 2^31),
// so never sort Seqs or key an ordered container by them.
#pragma once

#include <cstdint>
#include <ostream>
#include <utility>

namespace taptcp::tcp {

class Seq {
 public:
  constexpr Seq() = default;
  constexpr explicit Seq(uint32_t value) : value_(value) {}

  constexpr uint32_t value() const { return value_; }

  // Advancing by a length is modulo 2^32 (RFC 9293 §3.4: "arithmetic ... modulo 2**32").
  constexpr Seq& operator+=(uint32_t n) {
    value_ += n;
    return *this;
  }
  constexpr Seq& operator-=(uint32_t n) {
    value_ -= n;
    return *this;
  }
  friend constexpr Seq operator+(Seq s, uint32_t n) { return s += n; }
  friend constexpr Seq operator-(Seq s, uint32_t n) { return s -= n; }

  // The signed distance a - b as Linux computes it, (s32)(a - b), in [-2^31, 2^31). Numbers exactly
  // 2^31 apart read as INT32_MIN in both directions.
  friend constexpr int32_t operator-(Seq a, Seq b) {
    return static_cast<int32_t>(a.value_ - b.value_);
  }

  friend constexpr bool operator==(Seq, Seq) = default;
  // a < b is Linux's before(a, b): (s32)(a - b) < 0; a > b is after(a, b) == before(b, a).
  // a <= b is !after(a, b) and a >= b is !before(a, b), the idioms tcp_input.c uses. For two
  // numbers exactly 2^31 apart, Linux says each is before the other; so do we (RFC 1982 §3.2 leaves
  // that case undefined), which makes both <= and >= false there.
  friend constexpr bool operator<(Seq a, Seq b) { return (a - b) < 0; }
  friend constexpr bool operator>(Seq a, Seq b) { return b < a; }
  friend constexpr bool operator<=(Seq a, Seq b) { return !(b < a); }
  friend constexpr bool operator>=(Seq a, Seq b) { return !(a < b); }

  template <typename H>
  friend H AbslHashValue(H h, Seq s) {
    return H::combine(std::move(h), s.value_);
  }
  friend std::ostream& operator<<(std::ostream& os, Seq s) { return os << s.value_; }

 private:
  uint32_t value_ = 0;
};

// The later / earlier of two sequence numbers, wrap-aware (Linux's usage of after() to advance
// snd_una, rcv_nxt and friends only forward).
constexpr Seq SeqMax(Seq a, Seq b) { return a > b ? a : b; }
constexpr Seq SeqMin(Seq a, Seq b) { return a < b ? a : b; }

// s in the half-open window [start, start + len), modulo 2^32: the form RFC 9293 writes as
// "start =< s < start+len". The unsigned distance makes it exact for any len < 2^32, including
// windows that straddle the wrap. len == 0 is an empty window.
constexpr bool InWindow(Seq s, Seq start, uint32_t len) { return s.value() - start.value() < len; }

// s in the half-open range [lo, hi), modulo 2^32; empty when lo == hi.
constexpr bool InRange(Seq s, Seq lo, Seq hi) { return InWindow(s, lo, hi.value() - lo.value()); }

// s in the closed range [lo, hi], modulo 2^32: Linux's between(seq1, seq2, seq3), which is
// "seq3 - seq2 >= seq1 - seq2" in unsigned arithmetic (include/net/tcp.h).
constexpr bool Between(Seq s, Seq lo, Seq hi) {
  return hi.value() - lo.value() >= s.value() - lo.value();
}

// The segment acceptability test, RFC 9293 §3.4 and §3.10.7.4 ("first, check sequence number"),
// implemented as the RFC's four-case table, literally:
//
//   SEG.LEN  RCV.WND  acceptable when
//   0        0        SEG.SEQ = RCV.NXT
//   0        >0       RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND
//   >0       0        never
//   >0       >0       RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND
//                     or RCV.NXT =< SEG.SEQ+SEG.LEN-1 < RCV.NXT+RCV.WND
//
// seg_len is SEG.LEN: data octets plus one for SYN and one for FIN (RFC 9293 §3.4). The table tests
// only the first and last octet, so a segment that starts before the window and ends after it is
// *not* acceptable by this test even though it covers the window; that is the RFC as written.
// Linux does not use this table: tcp_sequence() (net/ipv4/tcp_input.c) drops a segment that ends
// before rcv_wup or starts after rcv_nxt + the receive window, and since Linux 6.17 (2025,
// SKB_DROP_REASON_TCP_INVALID_END_SEQUENCE) one that ends beyond the window while the receive
// queue holds data; so it admits the covering segment when the queue is empty, and data at the
// right edge of a zero window. The receive path should use TcpSequence() below to behave like
// Linux; this function is the RFC reference it is measured against.
constexpr bool SegmentAcceptable(Seq seg_seq, uint32_t seg_len, Seq rcv_nxt, uint32_t rcv_wnd) {
  if (seg_len == 0) {
    return rcv_wnd == 0 ? seg_seq == rcv_nxt : InWindow(seg_seq, rcv_nxt, rcv_wnd);
  }
  if (rcv_wnd == 0) return false;
  return InWindow(seg_seq, rcv_nxt, rcv_wnd) || InWindow(seg_seq + (seg_len - 1), rcv_nxt, rcv_wnd);
}

// What is left of the window last advertised (Linux tcp_receive_window()): the right edge
// rcv_wup + rcv_wnd minus rcv_nxt, never negative. rcv_wup is rcv_nxt as of the last window update
// sent, rcv_wnd the window advertised then.
constexpr uint32_t ReceiveWindowLeft(Seq rcv_wup, uint32_t rcv_wnd, Seq rcv_nxt) {
  const int32_t left = (rcv_wup + rcv_wnd) - rcv_nxt;
  return left < 0 ? 0u : static_cast<uint32_t>(left);
}

// Linux's sequence check, tcp_sequence() in net/ipv4/tcp_input.c (tcp_validate_incoming step 1),
// named after its drop reasons (SKB_DROP_REASON_TCP_*).
enum class SequenceVerdict {
  kAcceptable,
  kOldSequence,         // ends before rcv_wup: a duplicate
  kInvalidSequence,     // starts after the right edge (counted as BeyondWindow)
  kInvalidEndSequence,  // ends after the right edge while data is queued (Linux 6.17+)
};

// seq and end_seq are the segment's first sequence number and one past its last (end_seq = seq +
// data + SYN + FIN, TCP_SKB_CB()->end_seq). The right edge is rcv_nxt + ReceiveWindowLeft(...).
// A segment is dropped when it ends before rcv_wup, or starts after the right edge; one that starts
// inside but ends after the edge is accepted only when the receive queue is empty (Linux 6.17, so
// a buggy peer that overruns the window is not frozen out). Pass receive_queue_empty = true for the
// behaviour of Linux before 6.17, which never looked at end_seq against the right edge.
// Everything else goes on to PAWS, RST and data processing, which trim the segment to the window.
constexpr SequenceVerdict TcpSequence(Seq seq, Seq end_seq, Seq rcv_wup, Seq rcv_nxt,
                                      uint32_t rcv_wnd, bool receive_queue_empty) {
  if (end_seq < rcv_wup) return SequenceVerdict::kOldSequence;
  const Seq right_edge = rcv_nxt + ReceiveWindowLeft(rcv_wup, rcv_wnd, rcv_nxt);
  if (end_seq > right_edge) {
    if (seq > right_edge) return SequenceVerdict::kInvalidSequence;
    if (!receive_queue_empty) return SequenceVerdict::kInvalidEndSequence;
  }
  return SequenceVerdict::kAcceptable;
}

}  // namespace taptcp::tcp
