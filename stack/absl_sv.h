// Debian's abseil (20220623) is built with ABSL_OPTION_USE_STD_STRING_VIEW=0, so absl::string_view
// is its own type and absl::StrCat will not take a std::string_view. Our code speaks
// std::string_view; Sv() crosses over without a copy.
#pragma once

#include <string_view>

#include "absl/strings/string_view.h"

namespace taptcp {
inline absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }
}  // namespace taptcp
