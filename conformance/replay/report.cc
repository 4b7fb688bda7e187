#include "conformance/replay/report.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "stack/absl_sv.h"

namespace taptcp::replay {

std::string_view VerdictName(Row::Verdict v) {
  switch (v) {
    case Row::Verdict::kPlayed:
      return "played";
    case Row::Verdict::kOk:
      return "ok";
    case Row::Verdict::kDiffers:
      return "DIFF";
    case Row::Verdict::kMissing:
      return "MISSING";
    case Row::Verdict::kExtra:
      return "EXTRA";
    case Row::Verdict::kDeviation:
      return "deviation";
  }
  return "?";
}

Summary Summarize(const std::vector<Row>& rows) {
  Summary s;
  for (const Row& r : rows) {
    if (r.kind == Row::Kind::kApp) {
      (r.verdict == Row::Verdict::kOk ? s.app_ok : s.app_differs) += 1;
      continue;
    }
    switch (r.verdict) {
      case Row::Verdict::kPlayed:
        ++s.played;
        break;
      case Row::Verdict::kOk:
        ++s.ok;
        break;
      case Row::Verdict::kDiffers:
        ++s.differs;
        break;
      case Row::Verdict::kMissing:
        ++s.missing;
        break;
      case Row::Verdict::kExtra:
        ++s.extra;
        break;
      case Row::Verdict::kDeviation:
        ++s.deviations;
        break;
    }
  }
  return s;
}

namespace {

std::string TimeText(const std::optional<Duration>& t) {
  return t ? absl::StrFormat("%.6f", ToSeconds(*t)) : std::string();
}

std::string VerdictText(const Row& r) {
  if (r.verdict == Row::Verdict::kPlayed) {
    return r.detail.empty() ? "played" : absl::StrCat("played (rebased ", r.detail, ")");
  }
  if (r.detail.empty()) return std::string(VerdictName(r.verdict));
  return absl::StrCat(Sv(VerdictName(r.verdict)), ": ", r.detail);
}

}  // namespace

std::string FormatTable(const std::vector<Row>& rows) {
  size_t lw = std::string_view("Linux (DUT segments; peer> = played)").size();
  size_t tw = std::string_view("taptcp").size();
  for (const Row& r : rows) {
    lw = std::max(lw, r.linux_text.size());
    tw = std::max(tw, r.taptcp_text.size());
  }
  std::string out = absl::StrFormat("%5s  %10s  %-*s  %10s  %-*s  %s\n", "No.", "Linux t",
                                    static_cast<int>(lw), "Linux (DUT segments; peer> = played)",
                                    "taptcp t", static_cast<int>(tw), "taptcp", "verdict");
  for (const Row& r : rows) {
    const std::string number = r.number > 0 ? absl::StrCat(r.number) : "";
    absl::StrAppendFormat(&out, "%5s  %10s  %-*s  %10s  %-*s  %s\n", number, TimeText(r.linux_t),
                          static_cast<int>(lw), r.linux_text, TimeText(r.taptcp_t),
                          static_cast<int>(tw), r.taptcp_text, VerdictText(r));
  }
  return out;
}

std::string FormatSummary(const Summary& s) {
  const int dut = s.ok + s.differs + s.missing + s.extra + s.deviations;
  return absl::StrCat(dut, " DUT segments: ", s.ok, " ok, ", s.differs, " differ, ", s.missing,
                      " missing, ", s.extra, " extra, ", s.deviations, " deviation",
                      s.deviations == 1 ? "" : "s", "; ", s.played, " peer segments played; ",
                      s.app_ok + s.app_differs, " app calls: ", s.app_ok, " ok, ", s.app_differs,
                      " differ");
}

}  // namespace taptcp::replay
