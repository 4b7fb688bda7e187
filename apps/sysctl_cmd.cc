// `taptcp sysctl [NAME[=VALUE] ...]`: list the knobs with their Linux defaults, or check
// assignments the way `--sysctl` will take them (a typo is found before an experiment starts).
#include <cstdio>

#include "apps/commands.h"
#include "stack/sysctl.h"

namespace taptcp::apps {

int RunSysctl(const std::vector<std::string>& args) {
  Sysctl s;
  if (args.empty()) {
    std::fputs(s.Format().c_str(), stdout);
    return 0;
  }
  int rc = 0;
  for (const std::string& a : args) {
    const bool assign = a.find('=') != std::string::npos;
    if (assign) {
      if (absl::Status st = s.SetAssignment(a); !st.ok()) {
        std::fprintf(stderr, "taptcp sysctl: %s\n", std::string(st.message()).c_str());
        rc = 2;
        continue;
      }
    }
    const std::string name = assign ? a.substr(0, a.find('=')) : a;
    absl::StatusOr<std::string> v = s.Get(name);
    if (!v.ok()) {
      std::fprintf(stderr, "taptcp sysctl: %s\n", std::string(v.status().message()).c_str());
      rc = 2;
      continue;
    }
    std::printf("%s = %s\n", name.c_str(), v->c_str());
  }
  return rc;
}

}  // namespace taptcp::apps
