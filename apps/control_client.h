// Asking a running taptcp over its control socket (control_server.h): what `taptcp ss`,
// `taptcp nstat` and the demo use.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace taptcp::apps {

// --control's value, or the only socket in kControlDir; a one-line error otherwise.
absl::StatusOr<std::string> FindControlPath(const std::string& flag_value);
// Sends one request line and returns the whole reply (bounded; 5 s timeout).
absl::StatusOr<std::string> QueryControl(const std::string& path, std::string_view request);

}  // namespace taptcp::apps
