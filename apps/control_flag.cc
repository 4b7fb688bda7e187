// --control: shared by the commands that run a stack (where it listens) and by `ss` and `nstat`
// (where they ask).
#include <string>

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, control, "",
          "unix socket for live queries (taptcp ss, taptcp nstat); default "
          "/run/taptcp/<tap>.sock for commands that run a stack, and for ss/nstat the one running "
          "taptcp's socket there");
