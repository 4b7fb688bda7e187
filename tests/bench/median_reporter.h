// The console report as usual, plus each benchmark's result kept for the ratio lines a benchmark
// prints at the end of its run: the median when --benchmark_repetitions asked for several runs,
// else the single run. Shared by every benchmark that computes ratios from what it just measured
// (the README's rule: ratios in the same run, on the same machine).
#pragma once

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace taptcp::bench {

class MedianReporter : public benchmark::ConsoleReporter {
 public:
  MedianReporter() : ConsoleReporter(isatty(STDOUT_FILENO) ? OO_ColorTabular : OO_Tabular) {}

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.error_occurred) continue;
      const bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
      if (run.run_type == Run::RT_Aggregate && !median) continue;
      const std::string name = run.run_name.str();
      if (!median && medians_.count(name)) continue;  // the median came already: keep it
      if (median) medians_.insert(name);
      results_.insert_or_assign(name, run);
    }
  }

  // By benchmark name ("BM_ArmCancel/ops_per_ms:64/wheel"), in name order.
  const std::map<std::string, Run>& results() const { return results_; }

  // A user counter of a kept run (0 when it has none).
  static double Counter(const Run& run, const char* name) {
    const auto it = run.counters.find(name);
    return it == run.counters.end() ? 0.0 : it->second.value;
  }

 private:
  std::map<std::string, Run> results_;
  std::set<std::string> medians_;
};

}  // namespace taptcp::bench
