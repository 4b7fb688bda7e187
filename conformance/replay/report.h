// The replay's verdict, row by row: the peer's segments as played, each Linux segment beside the
// taptcp segment it was compared with, the application's calls and their results; printed as a
// side-by-side table with a summary line.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "timers/time.h"

namespace taptcp::replay {

struct Row {
  enum class Kind { kPeer, kDut, kApp };
  enum class Verdict {
    kPlayed,     // a peer segment, played into taptcp
    kOk,         // taptcp matched Linux
    kDiffers,    // a field or the timing differs
    kMissing,    // Linux sent it, taptcp did not
    kExtra,      // taptcp sent it, Linux did not
    kDeviation,  // differs where the description says taptcp differs on purpose
  };
  Kind kind = Kind::kDut;
  int number = 0;  // the Linux capture's frame number, 0 for none
  std::optional<Duration> linux_t, taptcp_t;
  std::string linux_text, taptcp_text;
  Verdict verdict = Verdict::kOk;
  std::string detail;  // the differences, a deviation's reason, what re-basing changed

  // An unexplained difference: the replay fails.
  bool Fails() const {
    return verdict == Verdict::kDiffers || verdict == Verdict::kMissing ||
           verdict == Verdict::kExtra;
  }
  // Where the row sits in the timeline.
  Duration SortTime() const { return linux_t ? *linux_t : taptcp_t ? *taptcp_t : Duration{0}; }
};

struct Summary {
  int ok = 0, differs = 0, missing = 0, extra = 0, deviations = 0, played = 0;
  int app_ok = 0, app_differs = 0;
  int failures() const { return differs + missing + extra + app_differs; }
};

Summary Summarize(const std::vector<Row>& rows);

// The table: number, Linux time and segment, taptcp time and segment, verdict. Times in
// seconds since the capture's first frame.
std::string FormatTable(const std::vector<Row>& rows);

// "12 DUT segments: 10 ok, 1 differ, 1 missing, 0 extra, 1 deviation; 5 app calls: 5 ok".
std::string FormatSummary(const Summary& s);

std::string_view VerdictName(Row::Verdict v);

}  // namespace taptcp::replay
