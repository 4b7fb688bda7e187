// The tokens of a packetdrill script, as packetdrill's flex scanner
// (gtests/net/packetdrill/lexer.l) cuts them: the longest match wins and, for equal lengths, the
// earlier rule (so "8080" is an integer, "0x1f" a hex integer, "192.0.2.1" an address, "S" a word
// and "..." an ellipsis). Comments are // to the end of the line and /* ... */. Every token carries
// its line and column so errors point at the exact place.
//
// Hostile input is bounded: the script, each token and the token count have hard limits, and a
// number that does not fit 64 bits is an error rather than a silent wrap.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace taptcp::pkt {

inline constexpr size_t kMaxScriptBytes = 1 << 20;  // 1 MiB of script text
inline constexpr size_t kMaxTokenBytes = 4096;      // one word, string or command
inline constexpr size_t kMaxTokens = 200000;

enum class TokenKind : uint8_t {
  kEnd,         // end of input
  kInteger,     // [-]?[0-9]+
  kHex,         // 0x[0-9a-fA-F]+
  kFloat,       // [-]?[0-9]*[.][0-9]+
  kWord,        // [a-zA-Z0-9_]+ (keywords such as "ack" or "win" are words too)
  kString,      // "..." (text without the quotes, escapes kept as written)
  kBackquoted,  // `...` (a shell command)
  kCode,        // %{ ... }% (a Python snippet)
  kOption,      // --name (text without the dashes)
  kEllipsis,    // ...
  kIpv4,        // a.b.c.d
  kPunct,       // any other single character
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string text;     // as written (strings and options without their delimiters)
  int64_t integer = 0;  // kInteger, kHex
  double floating = 0;  // kFloat
  int line = 0;         // 1-based
  int col = 0;          // 1-based, in bytes
  char punct() const { return kind == TokenKind::kPunct ? text[0] : '\0'; }
  bool Is(char c) const { return kind == TokenKind::kPunct && text[0] == c; }
  bool IsWord(std::string_view w) const { return kind == TokenKind::kWord && text == w; }
};

// A human-readable name for error messages: "'ack'", "end of script", "string \"x\"".
std::string Describe(const Token& t);

// Cuts `script` into tokens, ending with one kEnd token. Errors are "LINE:COL: message".
absl::StatusOr<std::vector<Token>> Lex(std::string_view script);

}  // namespace taptcp::pkt
