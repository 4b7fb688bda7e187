#include "conformance/pkt/lexer.h"

#include <cerrno>
#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "stack/absl_sv.h"

namespace taptcp::pkt {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHexDigit(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool IsWordChar(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
// flex's whitespace is " \t\n"; a carriage return (a script saved on Windows) is tolerated too.
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Each matcher returns the length of its pattern's longest match at s[0..], or 0.
size_t Digits(std::string_view s, size_t i) {
  size_t j = i;
  while (j < s.size() && IsDigit(s[j])) ++j;
  return j - i;
}

size_t MatchInteger(std::string_view s) {  // [-]?[0-9]+
  const size_t sign = !s.empty() && s[0] == '-' ? 1 : 0;
  const size_t d = Digits(s, sign);
  return d == 0 ? 0 : sign + d;
}

size_t MatchFloat(std::string_view s) {  // [-]?[0-9]*[.][0-9]+
  size_t i = !s.empty() && s[0] == '-' ? 1 : 0;
  i += Digits(s, i);
  if (i >= s.size() || s[i] != '.') return 0;
  const size_t frac = Digits(s, i + 1);
  return frac == 0 ? 0 : i + 1 + frac;
}

size_t MatchHex(std::string_view s) {  // 0x[0-9a-fA-F]+
  if (s.size() < 3 || s[0] != '0' || s[1] != 'x') return 0;
  size_t i = 2;
  while (i < s.size() && IsHexDigit(s[i])) ++i;
  return i == 2 ? 0 : i;
}

size_t MatchWord(std::string_view s) {  // [a-zA-Z0-9_]+
  size_t i = 0;
  while (i < s.size() && IsWordChar(s[i])) ++i;
  return i;
}

size_t MatchOption(std::string_view s) {  // --[a-zA-Z0-9_]+
  if (s.size() < 3 || s[0] != '-' || s[1] != '-') return 0;
  const size_t w = MatchWord(s.substr(2));
  return w == 0 ? 0 : 2 + w;
}

size_t MatchIpv4(std::string_view s) {  // [0-9]+[.][0-9]+[.][0-9]+[.][0-9]+
  size_t i = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (i >= s.size() || s[i] != '.') return 0;
      ++i;
    }
    const size_t d = Digits(s, i);
    if (d == 0) return 0;
    i += d;
  }
  return i;
}

// A quoted run: the delimiter, anything (a backslash escapes the next character), the delimiter.
// Returns 0 if the closing delimiter is missing.
size_t MatchQuoted(std::string_view s, char delim) {
  if (s.empty() || s[0] != delim) return 0;
  for (size_t i = 1; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      ++i;
    } else if (s[i] == delim) {
      return i + 1;
    }
  }
  return 0;
}

absl::Status ErrorAt(int line, int col, std::string_view msg) {
  return absl::InvalidArgumentError(absl::StrCat(line, ":", col, ": ", Sv(msg)));
}

}  // namespace

std::string Describe(const Token& t) {
  switch (t.kind) {
    case TokenKind::kEnd:
      return "end of script";
    case TokenKind::kString:
      return absl::StrCat("string \"", t.text.substr(0, 40), "\"");
    case TokenKind::kBackquoted:
      return absl::StrCat("command `", t.text.substr(0, 40), "`");
    case TokenKind::kCode:
      return "code snippet %{...}%";
    case TokenKind::kOption:
      return absl::StrCat("option --", t.text);
    case TokenKind::kPunct: {
      const unsigned char c = static_cast<unsigned char>(t.text[0]);
      if (c < 0x20 || c >= 0x7f) return absl::StrFormat("character 0x%02x", c);
      return absl::StrCat("'", t.text, "'");
    }
    default:
      return absl::StrCat("'", t.text.substr(0, 40), "'");
  }
}

absl::StatusOr<std::vector<Token>> Lex(std::string_view script) {
  if (script.size() > kMaxScriptBytes) {
    return ErrorAt(1, 1, absl::StrCat("script is larger than ", kMaxScriptBytes, " bytes"));
  }
  std::vector<Token> out;
  int line = 1, col = 1;
  size_t i = 0;
  // Moves over n bytes, keeping line and column.
  auto advance = [&](size_t n) {
    for (size_t k = 0; k < n; ++k, ++i) {
      if (script[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
  };
  while (i < script.size()) {
    const std::string_view s = script.substr(i);
    if (IsSpace(s[0])) {
      advance(1);
      continue;
    }
    if (s.starts_with("//")) {  // to the end of the line (or of the script)
      const size_t nl = s.find('\n');
      advance(nl == std::string_view::npos ? s.size() : nl + 1);
      continue;
    }
    if (s.starts_with("/*")) {
      const size_t end = s.find("*/", 2);
      if (end == std::string_view::npos) return ErrorAt(line, col, "unterminated /* comment");
      advance(end + 2);
      continue;
    }
    if (out.size() >= kMaxTokens) {
      return ErrorAt(line, col, absl::StrCat("more than ", kMaxTokens, " tokens"));
    }
    Token t;
    t.line = line;
    t.col = col;
    if (s.starts_with("%{")) {
      const size_t end = s.find("}%", 2);
      if (end == std::string_view::npos) return ErrorAt(line, col, "unterminated %{ code snippet");
      t.kind = TokenKind::kCode;
      t.text = std::string(s.substr(2, std::min<size_t>(end - 2, kMaxTokenBytes)));
      out.push_back(std::move(t));
      advance(end + 2);
      continue;
    }
    if (s[0] == '"' || s[0] == '`') {
      const size_t n = MatchQuoted(s, s[0]);
      if (n == 0) {
        return ErrorAt(line, col, s[0] == '"' ? "unterminated string" : "unterminated `command`");
      }
      if (n - 2 > kMaxTokenBytes) {
        return ErrorAt(line, col, absl::StrCat("token longer than ", kMaxTokenBytes, " bytes"));
      }
      t.kind = s[0] == '"' ? TokenKind::kString : TokenKind::kBackquoted;
      t.text = std::string(s.substr(1, n - 2));
      out.push_back(std::move(t));
      advance(n);
      continue;
    }
    // The longest of the remaining patterns wins; ties go to the earlier rule, in lexer.l's order.
    struct Candidate {
      TokenKind kind;
      size_t len;
    };
    const Candidate candidates[] = {
        {TokenKind::kEllipsis, s.starts_with("...") ? size_t{3} : 0},
        {TokenKind::kOption, MatchOption(s)},
        {TokenKind::kFloat, MatchFloat(s)},
        {TokenKind::kInteger, MatchInteger(s)},
        {TokenKind::kHex, MatchHex(s)},
        {TokenKind::kWord, MatchWord(s)},
        {TokenKind::kPunct, 1},
        {TokenKind::kIpv4, MatchIpv4(s)},
    };
    Candidate best = candidates[0];
    for (const Candidate& c : candidates) {
      if (c.len > best.len) best = c;
    }
    if (best.len > kMaxTokenBytes) {
      return ErrorAt(line, col, absl::StrCat("token longer than ", kMaxTokenBytes, " bytes"));
    }
    t.kind = best.kind;
    t.text = std::string(s.substr(0, best.len));
    switch (t.kind) {
      case TokenKind::kOption:
        t.text = t.text.substr(2);
        break;
      case TokenKind::kInteger:
      case TokenKind::kHex: {
        errno = 0;
        char* end = nullptr;
        t.integer = t.kind == TokenKind::kHex
                        ? static_cast<int64_t>(std::strtoull(t.text.c_str() + 2, &end, 16))
                        : std::strtoll(t.text.c_str(), &end, 10);
        if (errno == ERANGE || (t.kind == TokenKind::kHex && t.integer < 0)) {
          return ErrorAt(line, col, absl::StrCat("number ", t.text, " does not fit 64 bits"));
        }
        break;
      }
      case TokenKind::kFloat:
        t.floating = std::strtod(t.text.c_str(), nullptr);
        break;
      default:
        break;
    }
    out.push_back(std::move(t));
    advance(best.len);
  }
  Token end;
  end.kind = TokenKind::kEnd;
  end.line = line;
  end.col = col;
  out.push_back(std::move(end));
  return out;
}

}  // namespace taptcp::pkt
