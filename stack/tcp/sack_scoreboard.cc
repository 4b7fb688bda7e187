#include "stack/tcp/sack_scoreboard.h"

#include <algorithm>

namespace taptcp::tcp {
namespace {

// RFC 6675 §4 IsLost() for an un-SACKed byte with `ranges_above` SACKed ranges holding
// `bytes_above` bytes above it: DupThresh discontiguous SACKed sequences, or more than
// (DupThresh - 1) * SMSS SACKed bytes.
bool LostByRfc(size_t ranges_above, uint64_t bytes_above, uint32_t smss) {
  return ranges_above >= SackScoreboard::kDupThresh ||
         bytes_above > (SackScoreboard::kDupThresh - 1) * uint64_t{smss};
}

// One hole: un-SACKed bytes [start, end) in [snd_una, snd_nxt), the SACKed ranges above it, and
// where its lost part ends. IsLost() is the same for every byte of a hole (the same SACKed data
// lies above each) except for the RTO marks, which cover a prefix, so a hole's lost bytes are
// [start, lost_until).
struct Hole {
  uint64_t start;
  uint64_t end;
  size_t ranges_above;
  uint64_t lost_until;
};

// Calls f(const Hole&) for each hole in [snd_una, snd_nxt), lowest first, until f returns false.
template <typename F>
void ForEachHole(std::span<const SackRange> ranges, uint64_t snd_una, uint64_t snd_nxt,
                 uint64_t lost_end, uint32_t smss, F&& f) {
  auto clipped = [&](const SackRange& r) {
    return SackRange{std::max(r.start, snd_una), std::min(r.end, snd_nxt)};
  };
  size_t total_ranges = 0;
  uint64_t total_bytes = 0;
  for (const SackRange& r : ranges) {
    SackRange c = clipped(r);
    if (c.empty()) continue;
    ++total_ranges;
    total_bytes += c.size();
  }
  size_t seen_ranges = 0;
  uint64_t seen_bytes = 0;
  uint64_t cursor = snd_una;
  auto visit = [&](uint64_t start, uint64_t end) {
    size_t above = total_ranges - seen_ranges;
    bool rfc_lost = LostByRfc(above, total_bytes - seen_bytes, smss);
    uint64_t lost_until = rfc_lost ? end : std::clamp(lost_end, start, end);
    return f(Hole{start, end, above, lost_until});
  };
  for (const SackRange& r : ranges) {
    SackRange c = clipped(r);
    if (c.empty()) continue;
    if (cursor < c.start && !visit(cursor, c.start)) return;
    ++seen_ranges;
    seen_bytes += c.size();
    cursor = c.end;
  }
  if (cursor < snd_nxt) visit(cursor, snd_nxt);
}

}  // namespace

// The range array is reserved on the first SACK block, not here: most connections never see loss.
SackScoreboard::SackScoreboard(size_t max_ranges) : max_ranges_(max_ranges) {}

SackScoreboard::UpdateResult SackScoreboard::Update(uint64_t ack, uint64_t snd_una,
                                                    uint64_t snd_nxt,
                                                    std::span<const SackRange> blocks) {
  UpdateResult result;
  Clip(snd_una, snd_nxt);
  if (lost_end_ <= snd_una) lost_end_ = 0;

  // tcp_check_dsack(): RFC 2883 §4's two ways a first block can be a D-SACK.
  if (!blocks.empty()) {
    const SackRange& b0 = blocks[0];
    if (b0.start < ack ||
        (blocks.size() > 1 && b0.start >= blocks[1].start && b0.end <= blocks[1].end)) {
      result.dsack = b0;
    }
  }
  for (size_t i = 0; i < blocks.size(); ++i) {
    const SackRange& b = blocks[i];
    // tcp_is_sackblock_valid(): "too far in future, or reversed".
    if (b.end > snd_nxt || b.start >= b.end) {
      ++result.discarded;
      continue;
    }
    // At or below SND.UNA: old news, or a D-SACK for data already acknowledged.
    if (b.start <= snd_una) {
      if (!(i == 0 && result.dsack.has_value())) ++result.ignored_old;
      continue;
    }
    std::optional<uint64_t> added = Add(b.start, b.end);
    if (added.has_value()) {
      result.newly_sacked += *added;
    } else {
      ++result.dropped;
    }
  }
  result.reneging = !ranges_.empty() && ranges_.front().start <= snd_una;
  return result;
}

std::optional<uint64_t> SackScoreboard::Add(uint64_t start, uint64_t end) {
  // Ranges overlapping or touching [start, end): [lo, hi). Ends are sorted like starts.
  size_t lo = 0;
  while (lo < ranges_.size() && ranges_[lo].end < start) ++lo;
  size_t hi = lo;
  while (hi < ranges_.size() && ranges_[hi].start <= end) ++hi;
  if (lo == hi) {
    if (ranges_.size() >= max_ranges_) return std::nullopt;
    if (ranges_.capacity() == 0) ranges_.reserve(max_ranges_);  // once per connection, at most
    ranges_.insert(ranges_.begin() + static_cast<ptrdiff_t>(lo), SackRange{start, end});
    sacked_bytes_ += end - start;
    return end - start;
  }
  SackRange merged{std::min(start, ranges_[lo].start), std::max(end, ranges_[hi - 1].end)};
  uint64_t before = 0;
  for (size_t k = lo; k < hi; ++k) before += ranges_[k].size();
  ranges_[lo] = merged;
  ranges_.erase(ranges_.begin() + static_cast<ptrdiff_t>(lo) + 1,
                ranges_.begin() + static_cast<ptrdiff_t>(hi));
  sacked_bytes_ += merged.size() - before;
  return merged.size() - before;
}

void SackScoreboard::Clip(uint64_t snd_una, uint64_t snd_nxt) {
  size_t drop = 0;
  while (drop < ranges_.size() && ranges_[drop].end <= snd_una) {
    sacked_bytes_ -= ranges_[drop].size();
    ++drop;
  }
  ranges_.erase(ranges_.begin(), ranges_.begin() + static_cast<ptrdiff_t>(drop));
  if (!ranges_.empty() && ranges_.front().start < snd_una) {
    sacked_bytes_ -= snd_una - ranges_.front().start;
    ranges_.front().start = snd_una;
  }
  while (!ranges_.empty() && ranges_.back().start >= snd_nxt) {
    sacked_bytes_ -= ranges_.back().size();
    ranges_.pop_back();
  }
  if (!ranges_.empty() && ranges_.back().end > snd_nxt) {
    sacked_bytes_ -= ranges_.back().end - snd_nxt;
    ranges_.back().end = snd_nxt;
  }
}

bool SackScoreboard::IsSacked(uint64_t offset) const {
  auto it = std::upper_bound(ranges_.begin(), ranges_.end(), offset,
                             [](uint64_t o, const SackRange& r) { return o < r.end; });
  return it != ranges_.end() && it->start <= offset;
}

bool SackScoreboard::IsLost(uint64_t offset, uint32_t smss) const {
  if (IsSacked(offset)) return false;
  if (offset < lost_end_) return true;
  size_t above = 0;
  uint64_t bytes = 0;
  for (const SackRange& r : ranges_) {
    if (r.start > offset) {
      ++above;
      bytes += r.size();
    }
  }
  return LostByRfc(above, bytes, smss);
}

uint64_t SackScoreboard::Pipe(uint64_t snd_una, uint64_t snd_nxt, uint64_t high_rxt,
                              uint32_t smss) const {
  uint64_t pipe = 0;
  ForEachHole(ranges_, snd_una, snd_nxt, lost_end_, smss, [&](const Hole& h) {
    pipe += h.end - h.lost_until;  // (a) not lost: still in the network
    if (high_rxt > h.start) pipe += std::min(high_rxt, h.end) - h.start;  // (b) retransmitted
    return true;
  });
  return pipe;
}

std::optional<SackScoreboard::NextSegment> SackScoreboard::NextSeg(const NextSegInput& in) const {
  const uint64_t smss = std::max<uint32_t>(in.smss, 1);
  std::optional<NextSegment> out;

  // (1) The lowest un-SACKed byte above HighRxt, below the highest SACKed byte, that IsLost().
  // Bytes lost by the RTO marks qualify even above the highest SACKed byte (Linux retransmits
  // every lost-marked skb, tcp_xmit_retransmit_queue).
  ForEachHole(ranges_, in.snd_una, in.snd_nxt, lost_end_, in.smss, [&](const Hole& h) {
    uint64_t s2 = std::max(h.start, in.high_rxt);
    if (s2 >= h.lost_until) return true;
    out = NextSegment{{s2, std::min(s2 + smss, h.lost_until)}, Rule::kLost};
    return false;
  });
  if (out.has_value()) return out;

  // (2) New data, if the application queued some and the peer's window allows.
  const uint64_t limit = std::min(in.send_end, in.window_end);
  if (in.snd_nxt < limit) {
    return NextSegment{{in.snd_nxt, std::min(in.snd_nxt + smss, limit)}, Rule::kNewData};
  }

  // (3) Rule (1) without IsLost(): any un-SACKed byte above HighRxt below the highest SACK.
  ForEachHole(ranges_, in.snd_una, in.snd_nxt, lost_end_, in.smss, [&](const Hole& h) {
    if (h.ranges_above == 0) return false;  // above every SACKed byte: (1.b) fails from here on
    uint64_t s3 = std::max(h.start, in.high_rxt);
    if (s3 >= h.end) return true;
    out = NextSegment{{s3, std::min(s3 + smss, h.end)}, Rule::kUnsacked};
    return false;
  });
  if (out.has_value()) return out;

  // (4) One rescue retransmission per recovery, holding the highest un-SACKed byte, if
  // HighACK > RescueRxt (here: snd_una > RescueRxt + 1) or RescueRxt is undefined.
  if (!in.rescue_rxt.has_value() || in.snd_una > *in.rescue_rxt) {
    std::optional<SackRange> top;
    ForEachHole(ranges_, in.snd_una, in.snd_nxt, lost_end_, in.smss, [&](const Hole& h) {
      top = SackRange{h.start, h.end};
      return true;
    });
    if (top.has_value()) {
      uint64_t start = top->end - std::min(top->size(), smss);
      return NextSegment{{start, top->end}, Rule::kRescue};
    }
  }
  return std::nullopt;  // (5)
}

bool SackScoreboard::EnterLoss(uint64_t snd_una, uint64_t lost_end) {
  bool reneged = IsSacked(snd_una);
  if (reneged) {
    ranges_.clear();
    sacked_bytes_ = 0;
  }
  lost_end_ = lost_end;
  return reneged;
}

void SackScoreboard::Reset() {
  ranges_.clear();
  sacked_bytes_ = 0;
  lost_end_ = 0;
}

std::optional<uint64_t> SackScoreboard::highest_sacked() const {
  if (ranges_.empty()) return std::nullopt;
  return ranges_.back().end;
}

}  // namespace taptcp::tcp
