// Known deviations from Linux, kept visible: a test written as Linux behaves, run through
// KnownDeviation while taptcp still differs, is reported as skipped with its first difference and
// the work that owns it; once taptcp matches, it fails, so the marker gets removed. Used by the
// state/event matrix (rows named *_Deviation) and by the tests the apps found.
#pragma once

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <string_view>

namespace taptcp::testing {

// Runs `check` with its failures captured. `owner`: who will fix it; `when_fixed`: what to do
// once it passes.
template <class Check>
void KnownDeviation(std::string_view owner, std::string_view when_fixed, Check check) {
  ::testing::TestPartResultArray failures;
  {
    ::testing::ScopedFakeTestPartResultReporter capture(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &failures);
    check();
  }
  if (failures.size() == 0) FAIL() << "now does what Linux does: " << when_fixed;
  std::string first = failures.GetTestPartResult(0).message();
  first = first.substr(0, first.find("\nGoogle Test trace"));
  std::replace(first.begin(), first.end(), '\n', ' ');
  GTEST_SKIP() << "known deviation from Linux, owned by " << owner << ": " << first;
}

}  // namespace taptcp::testing
