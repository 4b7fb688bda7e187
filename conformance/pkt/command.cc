#include "conformance/pkt/command.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "stack/absl_sv.h"

namespace taptcp::pkt {
namespace {

constexpr size_t kMaxWords = 256;

// Shell words: separated by blanks, '...' and "..." quote (the quotes go), and `;`, `&&` or a
// newline end a command. Returns false on an unterminated quote or an unsupported character.
bool SplitCommands(std::string_view s, std::vector<std::vector<std::string>>* out,
                   std::string* bad) {
  out->emplace_back();
  std::string word;
  bool in_word = false;
  auto end_word = [&] {
    if (in_word) out->back().push_back(word);
    word.clear();
    in_word = false;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '\'' || c == '"') {
      const size_t close = s.find(c, i + 1);
      if (close == std::string_view::npos) {
        *bad = "unterminated quote";
        return false;
      }
      word.append(s.substr(i + 1, close - i - 1));
      in_word = true;
      i = close;
    } else if (c == ' ' || c == '\t') {
      end_word();
    } else if (c == ';' || c == '\n' || (c == '&' && i + 1 < s.size() && s[i + 1] == '&')) {
      end_word();
      if (c == '&') ++i;
      out->emplace_back();
    } else if (c == '|' || c == '>' || c == '<' || c == '$' || c == '`' || c == '&' || c == '(' ||
               c == ')') {
      *bad = absl::StrCat("shell syntax '", std::string(1, c), "'");
      return false;
    } else {
      word += c;
      in_word = true;
    }
    if (out->size() + out->back().size() > kMaxWords) {
      *bad = "too many words";
      return false;
    }
  }
  end_word();
  return true;
}

}  // namespace

absl::Status RunCommand(std::string_view command_line, Sysctl& sysctl) {
  auto unsupported = [&](std::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported command `", Sv(command_line.substr(0, 200)), "` (", Sv(why),
                     "): taptcp pkt runs only `sysctl -q net.ipv4.NAME=VALUE` (and net.core)"));
  };
  std::vector<std::vector<std::string>> commands;
  std::string bad;
  if (!SplitCommands(command_line, &commands, &bad)) return unsupported(bad);
  bool any = false;
  for (const std::vector<std::string>& words : commands) {
    if (words.empty()) continue;
    if (words[0] != "sysctl" && words[0] != "/sbin/sysctl" && words[0] != "/usr/sbin/sysctl") {
      return unsupported(absl::StrCat("'", words[0], "' is not sysctl"));
    }
    bool assigned = false;
    for (size_t i = 1; i < words.size(); ++i) {
      const std::string& w = words[i];
      if (w.starts_with("-")) {
        // -q (quiet), -w (write), -e (ignore unknown keys: not honoured, a typo stays an error).
        if (w.find_first_not_of("qwe", 1) != std::string::npos || w.size() < 2) {
          return unsupported(absl::StrCat("sysctl option '", w, "'"));
        }
        continue;
      }
      if (w.find('=') == std::string::npos) {
        return unsupported(absl::StrCat("'", w,
                                        "' is not NAME=VALUE (reading a knob is not "
                                        "supported)"));
      }
      if (!w.starts_with("net.ipv4.") && !w.starts_with("net.core.") &&
          !w.starts_with("net/ipv4/") && !w.starts_with("net/core/")) {
        return unsupported(absl::StrCat("'", w, "' is not under net.ipv4 or net.core"));
      }
      if (absl::Status st = sysctl.SetAssignment(w); !st.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("sysctl: ", st.message()));
      }
      assigned = true;
    }
    if (!assigned) return unsupported("sysctl with no NAME=VALUE");
    any = true;
  }
  if (!any) return unsupported("empty command");
  return absl::OkStatus();
}

}  // namespace taptcp::pkt
