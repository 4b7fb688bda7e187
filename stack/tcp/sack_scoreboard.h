// The sender's SACK scoreboard (RFC 6675 §3, §4): which bytes above SND.UNA the receiver has
// selectively acknowledged, and the RFC 6675 §4 routines that read it: IsLost(), SetPipe() (here
// Pipe()) and NextSeg().
//
// Linux keeps the same knowledge as per-skb flags on the retransmit queue (TCPCB_SACKED_ACKED,
// TCPCB_LOST, TCPCB_SACKED_RETRANS), set by tcp_sacktag_write_queue(); this scoreboard keeps it
// as a sorted array of SACKed byte ranges, which needs no per-segment state. Offsets are stream
// offsets (buf_types.h); "HighACK + 1" is SND.UNA and "HighData + 1" is SND.NXT. Where RFC 6675
// names an inclusive sequence number (HighRxt, RescueRxt), the inputs here are one past it, so
// every range is half-open: high_rxt is one past the highest byte retransmitted in this
// recovery (== snd_una when none was), rescue_rxt likewise.
//
// Which blocks count (Update): Linux's tcp_is_sackblock_valid() and tcp_check_dsack(), reduced to
// what a scoreboard needs. The first block is a D-SACK (RFC 2883 §4) when it starts below the
// ACK's cumulative acknowledgment or lies inside the second block; it is reported so the TCB can
// undo (Eifel/RFC 3708-style, tcp_try_undo_dsack), and it marks nothing unless it is above
// SND.UNA. A block is recorded only if SND.UNA < start < end <= SND.NXT: Linux discards blocks
// past SND.NXT or reversed (TCPSACKDiscard) and ignores ones at or below SND.UNA, including one
// that straddles it ("start_seq == snd_una is non-sensical"), rather than trimming it.
//
// Bounded: at most max_ranges() disjoint ranges. A block that would add one more and overlaps or
// touches none is ignored (counted in UpdateResult::dropped): the scoreboard then under-reports
// SACKed data, which can only cause a spurious retransmission and an over-estimated pipe, never a
// missed one. Merging ranges across a gap would claim unreceived bytes and could stall recovery.
//
// RTO (RFC 6675 §5.1): RFC 2018 says the sender SHOULD forget SACK information on a timeout,
// because the receiver may have reneged (RFC 2018 §8 lets a receiver discard SACKed data); RFC 6675
// §5.1 notes that keeping it is reasonable given a robust reneging test. Linux keeps it
// (tcp_timeout_mark_lost): only when the byte at SND.UNA is itself marked SACKed (the receiver
// acknowledged up to a SACKed byte but not past it, i.e. it dropped data it had SACKed) does it
// count TCPSACKReneging and clear every SACK mark; then it marks every un-SACKed byte lost.
// EnterLoss() does exactly that and is what the TCB should call on RTO; Reset() is the RFC 2018
// alternative. The "lost" marks are honoured by IsLost(), Pipe() and NextSeg() rule (1) until
// SND.UNA passes them. (Linux with RACK skips segments sent less than an RTT ago; a TCB doing RACK
// passes a lower `lost_end`.)
//
// IsLost (RFC 6675 §4): an un-SACKed byte is lost when DupThresh (3) discontiguous SACKed ranges
// lie above it, or more than (DupThresh - 1) * SMSS SACKed bytes do. Ranges, not segments, are
// counted: three SACKed small segments that arrived contiguously form one range and count once
// (the byte rule still applies). Linux's own SACK loss marking (tcp_mark_head_lost by
// sacked_out >= reordering, or RACK by time) differs; RFC 6675's rule is the base this provides.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "stack/tcp/buf_types.h"

namespace taptcp::tcp {

class SackScoreboard {
 public:
  static constexpr size_t kDefaultMaxRanges = 64;
  static constexpr uint64_t kDupThresh = 3;  // RFC 6675 §2 DupThresh

  struct UpdateResult {
    uint64_t newly_sacked = 0;       // bytes SACKed by this ACK that were not before
    std::optional<SackRange> dsack;  // the first block, when it is a D-SACK (RFC 2883 §4)
    size_t discarded = 0;            // blocks past SND.NXT, reversed or empty (TCPSACKDiscard)
    size_t ignored_old = 0;          // non-D-SACK blocks at or below SND.UNA
    size_t dropped = 0;              // valid blocks not recorded: max_ranges() reached
    // The byte at SND.UNA is marked SACKed after this ACK: the receiver acknowledged up to data
    // it had SACKed but not past it (Linux FLAG_SACK_RENEGING in tcp_clean_rtx_queue).
    bool reneging = false;
  };

  // RFC 6675 §4 NextSeg() inputs, all as stream offsets (ends exclusive).
  struct NextSegInput {
    uint64_t snd_una = 0;     // HighACK + 1
    uint64_t snd_nxt = 0;     // HighData + 1
    uint64_t high_rxt = 0;    // HighRxt + 1; == snd_una when nothing was retransmitted yet
    uint64_t send_end = 0;    // end of the data the application queued (SendBuffer::end_offset)
    uint64_t window_end = 0;  // SND.UNA + SND.WND: rule (2) sends nothing past it
    uint32_t smss = 0;
    std::optional<uint64_t> rescue_rxt;  // RescueRxt + 1; nullopt while undefined
  };
  enum class Rule { kLost = 1, kNewData = 2, kUnsacked = 3, kRescue = 4 };
  struct NextSegment {
    SackRange range;
    Rule rule;
  };

  // Allocates the range array once.
  explicit SackScoreboard(size_t max_ranges = kDefaultMaxRanges);

  // RFC 6675 §4 Update(): records the SACK blocks of one ACK. `ack` is that segment's cumulative
  // acknowledgment (below snd_una only for a reordered old ACK; tcp_check_dsack compares the
  // first block with it), `snd_una` SND.UNA after the ACK, `snd_nxt` the highest offset sent so
  // far (SND.MAX if the TCB ever pulls SND.NXT back). Ranges at or below snd_una are forgotten,
  // ranges past snd_nxt trimmed, so sacked_bytes() <= snd_nxt - snd_una.
  UpdateResult Update(uint64_t ack, uint64_t snd_una, uint64_t snd_nxt,
                      std::span<const SackRange> blocks);

  // RFC 6675 §4 IsLost(): false for a SACKed byte.
  bool IsLost(uint64_t offset, uint32_t smss) const;
  bool IsSacked(uint64_t offset) const;

  // RFC 6675 §4 SetPipe(): octets in [snd_una, snd_nxt) that are not SACKed and either not lost
  // or below high_rxt (a lost octet retransmitted counts once, a retransmitted octet not lost
  // counts twice).
  uint64_t Pipe(uint64_t snd_una, uint64_t snd_nxt, uint64_t high_rxt, uint32_t smss) const;

  // RFC 6675 §4 NextSeg(): the first of rules (1)-(4) that applies, or nullopt for (5). A segment
  // of rule (1) or (3) ends at the next SACKed byte; one of rule (4) is the last SMSS (at most)
  // of the highest un-SACKed hole. The TCB then advances HighRxt for rules (1) and (3), sets
  // RescueRxt = RecoveryPoint for (4), and checks cwnd against Pipe() itself.
  std::optional<NextSegment> NextSeg(const NextSegInput& in) const;

  // Linux tcp_timeout_mark_lost() on RTO: if the byte at snd_una is SACKed (reneging), forgets
  // every range and returns true (count TCPSACKReneging); then marks every un-SACKed byte below
  // lost_end (normally SND.NXT) lost.
  bool EnterLoss(uint64_t snd_una, uint64_t lost_end);
  // Forgets everything: RFC 2018's advice to expunge SACK information on RTO, as quoted in
  // RFC 6675 §5.1.
  void Reset();

  uint64_t sacked_bytes() const { return sacked_bytes_; }
  // One past the highest SACKed byte, if any byte is SACKed.
  std::optional<uint64_t> highest_sacked() const;
  // Un-SACKed bytes below this are lost by EnterLoss() (0 when none are).
  uint64_t lost_end() const { return lost_end_; }
  // Sorted, disjoint, never touching, all within [SND.UNA, SND.NXT) of the last Update (a range
  // starts at SND.UNA only while the receiver reneges).
  std::span<const SackRange> ranges() const { return ranges_; }
  size_t max_ranges() const { return max_ranges_; }

 private:
  // Adds [start, end), merging with ranges it overlaps or touches; returns bytes newly covered,
  // or nullopt if it needed a new range and none was free.
  std::optional<uint64_t> Add(uint64_t start, uint64_t end);
  // Forgets bytes below `snd_una` and at or above `snd_nxt`.
  void Clip(uint64_t snd_una, uint64_t snd_nxt);

  size_t max_ranges_;
  std::vector<SackRange> ranges_;  // reserved to max_ranges_ on first use; never grows past it
  uint64_t sacked_bytes_ = 0;
  uint64_t lost_end_ = 0;
};

}  // namespace taptcp::tcp
