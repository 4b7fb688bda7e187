// The recursive-descent parser behind parser.h, shared by parser.cc (script, events, system calls,
// expressions) and parser_packet.cc (packets, flags and TCP options). Internal to the library.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "conformance/pkt/ast.h"
#include "conformance/pkt/lexer.h"
#include "stack/absl_sv.h"

namespace taptcp::pkt {

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : toks_(std::move(tokens)) {}

  absl::StatusOr<Script> Run() {
    Script s;
    if (!ParseAll(&s)) {
      return absl::InvalidArgumentError(absl::StrCat(err_.line, ":", err_.col, ": ", err_.msg));
    }
    return s;
  }

 private:
  static constexpr int64_t kU16Max = 0xFFFF;
  static constexpr int64_t kU32Max = 0xFFFFFFFF;
  // Times beyond this (about 115 days) are a typo, and would overflow nanoseconds later.
  static constexpr double kMaxTimeSecs = 1e7;

  const Token& Peek(size_t k = 0) const { return toks_[std::min(pos_ + k, toks_.size() - 1)]; }
  const Token& Take() {
    const Token& t = toks_[pos_];
    if (pos_ + 1 < toks_.size()) ++pos_;
    return t;
  }

  bool Fail(const Token& at, std::string msg) {
    if (!failed_) err_ = {at.line, at.col, std::move(msg)};
    failed_ = true;
    return false;
  }

  bool Unexpected(std::string_view expected) {
    return Fail(Peek(), absl::StrCat("syntax error: unexpected ", Describe(Peek()), ", expected ",
                                     Sv(expected)));
  }

  bool ExpectPunct(char c) {
    if (!Peek().Is(c)) return Unexpected(absl::StrCat("'", std::string(1, c), "'"));
    Take();
    return true;
  }

  // An integer token within [lo, hi]; `what` names it in the error.
  bool TakeInt(int64_t lo, int64_t hi, std::string_view what, int64_t* out) {
    const Token& t = Peek();
    if (t.kind != TokenKind::kInteger && t.kind != TokenKind::kHex) {
      return Unexpected(absl::StrCat("an integer (", Sv(what), ")"));
    }
    if (t.integer < lo || t.integer > hi) {
      return Fail(t, absl::StrCat(Sv(what), " ", t.text, " out of range ", lo, "..", hi));
    }
    *out = t.integer;
    Take();
    return true;
  }

  bool ParseAll(Script* s);

  bool ParseOption(Script* s);

  // A non-negative time in seconds, to microseconds.
  bool ParseTime(int64_t* usecs);

  bool ParseEventTime(Event* e);

  bool ParseEvent(Event* e);

  bool ParseIpInfo(IpInfo* ip);

  bool ParseFlags(PacketSpec* p);

  bool ParsePacket(PacketSpec* p);

  bool ParseOptionList(PacketSpec* p);

  // A hex blob (Fast Open cookie, MD5 digest): a word or an integer, two digits a byte.
  bool ParseHexBlob(const Token& t, size_t max_bytes, std::string_view what,
                    std::vector<uint8_t>* out);

  bool ParseTcpOption(OptionSpec* o);

  bool ParseSyscall(SyscallSpec* sc);

  // "(Operation now in progress)": free text up to the matching parenthesis, for people only.
  bool ParseNote(std::string* note);

  // expression := or ['=' expression]; or := primary ('|' primary)*. As in parser.y, '=' binds
  // looser than '|': events=POLLIN|POLLOUT is events = (POLLIN|POLLOUT).
  bool ParseExpr(Expr* e, int depth);

  // A list of expressions up to `close` (']' or '}' or ')').
  bool ParseItems(Expr* e, char close, int depth);

  bool ParsePrimary(Expr* e, int depth);

  // The first error stops everything: where and what.
  struct ParseError {
    int line;
    int col;
    std::string msg;
  };

  std::vector<Token> toks_;
  size_t pos_ = 0;
  bool failed_ = false;
  ParseError err_{0, 0, ""};
};

}  // namespace taptcp::pkt
