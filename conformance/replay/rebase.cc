#include "conformance/replay/rebase.h"

#include <algorithm>
#include <cstdlib>

#include "absl/strings/str_join.h"
#include "stack/wire/bytes.h"
#include "stack/wire/checksum.h"
#include "stack/wire/ethernet.h"
#include "stack/wire/ipv4.h"

namespace taptcp::replay {
namespace {

int Index(Side s) { return s == Side::kLinux ? 0 : 1; }

int64_t Abs(Duration d) { return std::llabs(d.count()); }

}  // namespace

void Rebaser::OnDut(Side side, const TcpPacket& p, Duration t) {
  Conn& c = conns_[KeyOfDut(p)];
  // The first SYN fixes the ISN; a retransmission carries the same one, and a later SYN (a
  // reopened 4-tuple) would make every earlier number relative to the wrong base.
  if (p.has(wire::kSyn) && !c.isn[Index(side)]) c.isn[Index(side)] = p.seq;
  if (p.options.timestamp) c.stamps[Index(side)].push_back({t, p.options.timestamp->first});
}

void Rebaser::OnPeer(const TcpPacket& p) {
  Conn& c = conns_[KeyOfPeer(p)];
  // Only the first: a SYN the peer sends into an established connection (RFC 5961 §4) is not a
  // new sequence space.
  if (p.has(wire::kSyn) && !c.peer_isn) c.peer_isn = p.seq;
}

const Rebaser::Conn* Rebaser::Find(const ConnKey& k) const {
  auto it = conns_.find(k);
  return it == conns_.end() ? nullptr : &it->second;
}

std::optional<uint32_t> Rebaser::dut_isn(Side side, const ConnKey& k) const {
  const Conn* c = Find(k);
  return c == nullptr ? std::nullopt : c->isn[Index(side)];
}

std::optional<uint32_t> Rebaser::peer_isn(const ConnKey& k) const {
  const Conn* c = Find(k);
  return c == nullptr ? std::nullopt : c->peer_isn;
}

std::optional<uint32_t> Rebaser::MapEcr(const ConnKey& k, uint32_t ecr, Duration t) const {
  const Conn* c = Find(k);
  if (c == nullptr) return std::nullopt;
  // The Linux segment whose TSval the peer echoed: the latest one sent by `t` with exactly that
  // value, else the one nearest in value (a peer may echo a value of its own making). Only the
  // last kEcrSearch segments are searched, so a huge capture costs no more per segment.
  const std::vector<Stamp>& ls = c->stamps[Index(Side::kLinux)];
  const auto by_time = [](Duration when, const Stamp& s) { return when < s.t; };
  const size_t upto =
      static_cast<size_t>(std::upper_bound(ls.begin(), ls.end(), t, by_time) - ls.begin());
  const Stamp* linux_stamp = nullptr;
  uint32_t best_gap = UINT32_MAX;
  for (size_t i = upto; i-- > 0 && upto - i <= kEcrSearch;) {
    const int32_t d = static_cast<int32_t>(ls[i].tsval - ecr);
    const uint32_t gap = d < 0 ? 0u - static_cast<uint32_t>(d) : static_cast<uint32_t>(d);
    if (gap < best_gap) {
      best_gap = gap;
      linux_stamp = &ls[i];
      if (gap == 0) break;
    }
  }
  if (linux_stamp == nullptr) return std::nullopt;
  // taptcp's segment sent closest in time to that one; the later on a tie. taptcp's stamps are in
  // time order by construction.
  const std::vector<Stamp>& ts = c->stamps[Index(Side::kTaptcp)];
  if (ts.empty()) return std::nullopt;
  const size_t after = static_cast<size_t>(
      std::upper_bound(ts.begin(), ts.end(), linux_stamp->t, by_time) - ts.begin());
  const Stamp* ours = &ts[after == ts.size() ? after - 1 : after];
  if (after > 0 && Abs(linux_stamp->t - ts[after - 1].t) < Abs(ours->t - linux_stamp->t)) {
    ours = &ts[after - 1];
  }
  return ours->tsval + (ecr - linux_stamp->tsval);
}

std::string Rebaser::RebasePeerFrame(std::span<uint8_t> frame, const TcpPacket& p,
                                     Duration t) const {
  wire::EthernetView eth;
  wire::Ipv4View ip;
  if (wire::EthernetView::Parse(frame, &eth) != wire::DropReason::kNone ||
      eth.ethertype() != wire::kIpv4 ||
      wire::Ipv4View::Parse(eth.payload(), &ip) != wire::DropReason::kNone ||
      ip.protocol() != wire::kProtoTcp || ip.payload().size() < wire::kTcpMinHeaderSize) {
    return "";
  }
  const size_t offset = static_cast<size_t>(ip.payload().data() - frame.data());
  const std::span<uint8_t> seg = frame.subspan(offset, ip.payload().size());
  const size_t header = std::min<size_t>((seg[12] >> 4) * 4, seg.size());
  const ConnKey k = KeyOfPeer(p);
  const std::optional<uint32_t> from = dut_isn(Side::kLinux, k);
  const std::optional<uint32_t> to = dut_isn(Side::kTaptcp, k);
  auto move = [&](uint32_t v) { return v - *from + *to; };
  std::vector<std::string> changed;

  if (p.has(wire::kAck) && from && to && *from != *to) {
    wire::Store32(&seg[8], move(wire::Load32(&seg[8])));
    changed.push_back("ack");
  }
  // Walk the options as DecodeTcpFrame did; patch SACK blocks and TSecr in place.
  size_t i = wire::kTcpMinHeaderSize;
  while (i < header) {
    const uint8_t kind = seg[i];
    if (kind == wire::kTcpOptEol) break;
    if (kind == wire::kTcpOptNop) {
      ++i;
      continue;
    }
    if (i + 1 >= header || seg[i + 1] < 2 || i + seg[i + 1] > header) break;
    const size_t len = seg[i + 1];
    if (kind == wire::kTcpOptSack && from && to && *from != *to && len >= 10 &&
        (len - 2) % 8 == 0) {
      for (size_t b = i + 2; b + 4 <= i + len; b += 4)
        wire::Store32(&seg[b], move(wire::Load32(&seg[b])));
      changed.push_back("sack");
    }
    if (kind == wire::kTcpOptTimestamp && len == wire::kTcpOptLenTimestamp) {
      const uint32_t ecr = wire::Load32(&seg[i + 6]);
      // A zero TSecr (in a SYN, or without an ACK) echoes nothing (RFC 7323 §3.2).
      if (ecr != 0) {
        if (std::optional<uint32_t> mapped = MapEcr(k, ecr, t); mapped && *mapped != ecr) {
          wire::Store32(&seg[i + 6], *mapped);
          changed.push_back("tsecr");
        }
      }
    }
    i += len;
  }
  if (changed.empty()) return "";
  // RFC 9293 §3.1: the checksum covers the pseudo-header and the whole segment.
  wire::Store16(&seg[16], 0);
  wire::Checksum sum;
  sum.AddPseudoHeader(ip.src(), ip.dst(), wire::kProtoTcp, static_cast<uint16_t>(seg.size()));
  sum.Add(seg);
  wire::Store16(&seg[16], sum.Finish());
  return absl::StrJoin(changed, ", ");
}

}  // namespace taptcp::replay
