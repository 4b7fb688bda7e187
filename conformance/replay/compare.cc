#include "conformance/replay/compare.h"

#include <algorithm>
#include <cstdlib>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace taptcp::replay {
namespace {

RelPacket Common(const TcpPacket& p, Duration t, ConnKey conn, std::optional<uint32_t> seq_base,
                 std::optional<uint32_t> ack_base) {
  RelPacket r;
  r.t = t;
  r.conn = conn;
  r.flags = p.flags;
  r.seq = seq_base ? p.seq - *seq_base : p.seq;
  r.seq_relative = seq_base.has_value();
  r.ack = ack_base ? p.ack - *ack_base : p.ack;
  r.ack_relative = ack_base.has_value();
  r.payload = p.payload;
  r.window = p.window;
  r.option_kinds = p.option_kinds;
  r.mss = p.options.mss;
  r.wscale = p.options.window_scale;
  for (const wire::SackBlock& b : p.options.sack_blocks()) {
    r.sack.emplace_back(ack_base ? b.left - *ack_base : b.left,
                        ack_base ? b.right - *ack_base : b.right);
  }
  if (p.options.timestamp) {
    r.ts_val = p.options.timestamp->first;
    r.ts_ecr = p.options.timestamp->second;
  }
  return r;
}

std::string OptionsText(const RelPacket& p, bool show_tsval) {
  std::vector<std::string> parts;
  for (uint8_t kind : p.option_kinds) {
    switch (kind) {
      case wire::kTcpOptMss:
        parts.push_back(p.mss ? absl::StrCat("mss ", *p.mss) : "mss ?");
        break;
      case wire::kTcpOptSackPermitted:
        parts.push_back("sackOK");
        break;
      case wire::kTcpOptTimestamp:
        if (!p.ts_ecr) {
          parts.push_back("TS ?");
        } else if (show_tsval) {
          parts.push_back(absl::StrCat("TS val ", *p.ts_val, " ecr ", *p.ts_ecr));
        } else {
          parts.push_back(absl::StrCat("TS ecr ", *p.ts_ecr));
        }
        break;
      case wire::kTcpOptWindowScale:
        parts.push_back(p.wscale ? absl::StrCat("ws ", *p.wscale) : "ws ?");
        break;
      case wire::kTcpOptSack: {
        std::vector<std::string> blocks;
        for (const auto& [l, r] : p.sack) blocks.push_back(absl::StrCat(l, ":", r));
        parts.push_back(absl::StrCat("sack ", absl::StrJoin(blocks, " ")));
        break;
      }
      case wire::kTcpOptFastOpen:
        parts.push_back("tfo");
        break;
      default:
        parts.push_back(absl::StrCat("opt ", kind));
    }
  }
  if (parts.empty()) return "";
  return absl::StrCat(" <", absl::StrJoin(parts, ","), ">");
}

std::string KindsText(const std::vector<uint8_t>& kinds) {
  return absl::StrCat("[", absl::StrJoin(kinds, ","), "]");
}

}  // namespace

RelPacket RelativeDut(const TcpPacket& p, Side side, Duration t, const Rebaser& r) {
  const ConnKey k = Rebaser::KeyOfDut(p);
  return Common(p, t, k, r.dut_isn(side, k), r.peer_isn(k));
}

RelPacket RelativePeer(const TcpPacket& p, Duration t, const Rebaser& r) {
  const ConnKey k = Rebaser::KeyOfPeer(p);
  return Common(p, t, k, r.peer_isn(k), r.dut_isn(Side::kLinux, k));
}

std::string Describe(const RelPacket& p, bool show_tsval) {
  std::string s = FlagsText(p.flags);
  if (p.payload > 0) {
    absl::StrAppend(&s, " ", p.seq, ":", p.seq + p.payload);
  } else {
    absl::StrAppend(&s, " ", p.seq);
  }
  if (p.flags & wire::kAck) absl::StrAppend(&s, " ack ", p.ack);
  absl::StrAppend(&s, " win ", p.window);
  absl::StrAppend(&s, OptionsText(p, show_tsval));
  return s;
}

std::vector<std::string> Differences(const RelPacket& a, const RelPacket& b,
                                     const CompareOptions& o, bool with_time) {
  std::vector<std::string> d;
  if (a.conn != b.conn) {
    d.push_back(absl::StrCat("ports ", a.conn.dut_port, ">", a.conn.peer_port, " vs ",
                             b.conn.dut_port, ">", b.conn.peer_port));
  }
  if (a.flags != b.flags)
    d.push_back(absl::StrCat("flags ", FlagsText(a.flags), " vs ", FlagsText(b.flags)));
  if (a.seq != b.seq || a.seq_relative != b.seq_relative) {
    d.push_back(absl::StrCat("seq ", a.seq, a.seq_relative ? "" : " (raw)", " vs ", b.seq,
                             b.seq_relative ? "" : " (raw)"));
  }
  if ((a.flags & b.flags & wire::kAck) && a.ack != b.ack) {
    d.push_back(absl::StrCat("ack ", a.ack, " vs ", b.ack));
  }
  if (a.payload != b.payload) d.push_back(absl::StrCat("len ", a.payload, " vs ", b.payload));
  const bool syn = (a.flags | b.flags) & wire::kSyn;
  const bool window = o.window == WindowCompare::kAll || (o.window == WindowCompare::kSyn && syn);
  if (window && a.window != b.window) {
    d.push_back(absl::StrCat("win ", a.window, " vs ", b.window));
  }
  if (a.option_kinds != b.option_kinds) {
    d.push_back(absl::StrCat("option kinds ", KindsText(a.option_kinds), " vs ",
                             KindsText(b.option_kinds)));
  }
  if (a.mss && b.mss && *a.mss != *b.mss) d.push_back(absl::StrCat("mss ", *a.mss, " vs ", *b.mss));
  if (a.wscale && b.wscale && *a.wscale != *b.wscale) {
    d.push_back(absl::StrCat("ws ", *a.wscale, " vs ", *b.wscale));
  }
  if (a.sack != b.sack) {
    auto text = [](const std::vector<std::pair<uint32_t, uint32_t>>& v) {
      std::vector<std::string> s;
      for (const auto& blk : v) s.push_back(absl::StrCat(blk.first, ":", blk.second));
      return s.empty() ? std::string("none") : absl::StrJoin(s, " ");
    };
    d.push_back(absl::StrCat("sack ", text(a.sack), " vs ", text(b.sack)));
  }
  if (a.ts_ecr && b.ts_ecr && *a.ts_ecr != *b.ts_ecr) {
    d.push_back(absl::StrCat("TS ecr ", *a.ts_ecr, " vs ", *b.ts_ecr));
  }
  if (with_time) {
    const Duration dt = b.t - a.t;
    if (std::chrono::abs(dt) > o.tolerance) {
      d.push_back(absl::StrFormat("time %+.1f ms", ToSeconds(dt) * 1000));
    }
  }
  return d;
}

namespace {

constexpr double kUnpairable = -1;

// How good a pair is: identical (3..4) over same flags (1..2) over anything close in time
// (0.1..0.5); closer in time scores higher within each class, so of two candidates the nearer
// one is chosen. Segments of different connections never pair.
double PairScore(const RelPacket& a, const RelPacket& b, const CompareOptions& o) {
  if (a.conn != b.conn) return kUnpairable;
  const double dt = std::abs(ToSeconds(b.t - a.t));
  const double closeness = std::min(dt, 1.0);
  if (Differences(a, b, o, /*with_time=*/false).empty()) return 4 - closeness;
  if (a.flags == b.flags) return 2 - closeness;
  if (dt <= 0.5) return 0.5 - 0.8 * closeness;
  return kUnpairable;
}

// For captures too large for the table: walk both in time order, pairing identical segments
// within 10 tolerances, otherwise reporting the earlier one unpaired.
std::vector<Pairing> GreedyAlign(const std::vector<RelPacket>& a, const std::vector<RelPacket>& b,
                                 const CompareOptions& o) {
  std::vector<Pairing> out;
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (i < a.size() && j < b.size() && std::chrono::abs(b[j].t - a[i].t) <= 10 * o.tolerance &&
        PairScore(a[i], b[j], o) >= 3) {
      out.push_back({static_cast<int>(i++), static_cast<int>(j++)});
    } else if (j >= b.size() || (i < a.size() && a[i].t <= b[j].t)) {
      out.push_back({static_cast<int>(i++), -1});
    } else {
      out.push_back({-1, static_cast<int>(j++)});
    }
  }
  return out;
}

}  // namespace

std::vector<Pairing> Align(const std::vector<RelPacket>& a, const std::vector<RelPacket>& b,
                           const CompareOptions& o) {
  const size_t n = a.size(), m = b.size();
  if (n * m > kMaxAlignCells) return GreedyAlign(a, b, o);
  // Needleman-Wunsch with free gaps: best[i][j] is the best total score pairing a[0..i) with
  // b[0..j); a row-major table of (n+1) x (m+1).
  std::vector<double> best((n + 1) * (m + 1), 0);
  auto at = [m](size_t i, size_t j) { return i * (m + 1) + j; };
  std::vector<double> score(n * m);
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = 0; j < m; ++j) score[i * m + j] = PairScore(a[i], b[j], o);
  }
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      double v = std::max(best[at(i - 1, j)], best[at(i, j - 1)]);
      const double s = score[(i - 1) * m + (j - 1)];
      if (s != kUnpairable) v = std::max(v, best[at(i - 1, j - 1)] + s);
      best[at(i, j)] = v;
    }
  }
  std::vector<Pairing> out;
  size_t i = n, j = m;
  constexpr double kEps = 1e-9;
  while (i > 0 || j > 0) {
    if (i > 0 && j > 0) {
      const double s = score[(i - 1) * m + (j - 1)];
      if (s != kUnpairable && std::abs(best[at(i, j)] - (best[at(i - 1, j - 1)] + s)) < kEps) {
        out.push_back({static_cast<int>(i - 1), static_cast<int>(j - 1)});
        --i;
        --j;
        continue;
      }
    }
    // Of two gaps, report the later segment first (we walk backwards), so unpaired segments
    // come out in time order.
    const bool take_a =
        j == 0 ||
        (i > 0 && std::abs(best[at(i, j)] - best[at(i - 1, j)]) < kEps &&
         (std::abs(best[at(i, j)] - best[at(i, j - 1)]) >= kEps || a[i - 1].t >= b[j - 1].t));
    if (take_a) {
      out.push_back({static_cast<int>(i - 1), -1});
      --i;
    } else {
      out.push_back({-1, static_cast<int>(j - 1)});
      --j;
    }
  }
  std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace taptcp::replay
