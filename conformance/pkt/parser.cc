#include "conformance/pkt/parser.h"

#include <cmath>
#include <utility>

#include "conformance/pkt/parser_internal.h"

namespace taptcp::pkt {

bool Parser::ParseAll(Script* s) {
  while (Peek().kind == TokenKind::kOption) {
    if (!ParseOption(s)) return false;
  }
  if (Peek().kind == TokenKind::kBackquoted) {
    s->init_line = Peek().line;
    s->init_command = CommandSpec{Take().text};
  }
  while (Peek().kind != TokenKind::kEnd) {
    // A command after the last event, with no time, is the cleanup command.
    if (Peek().kind == TokenKind::kBackquoted && Peek(1).kind == TokenKind::kEnd &&
        !s->events.empty()) {
      s->cleanup_line = Peek().line;
      s->cleanup_command = CommandSpec{Take().text};
      break;
    }
    if (s->events.size() >= kMaxEvents) {
      return Fail(Peek(), absl::StrCat("more than ", kMaxEvents, " events"));
    }
    Event e;
    if (!ParseEvent(&e)) return false;
    s->events.push_back(std::move(e));
  }
  if (s->events.empty()) return Fail(Peek(), "syntax error: the script has no events");
  return true;
}

bool Parser::ParseOption(Script* s) {
  const Token& name = Take();
  ScriptOption o{name.text, std::nullopt, name.line, name.col};
  if (Peek().Is('=')) {
    Take();
    const Token& v = Peek();
    switch (v.kind) {
      case TokenKind::kInteger:
      case TokenKind::kHex:
      case TokenKind::kFloat:
      case TokenKind::kWord:
      case TokenKind::kString:
      case TokenKind::kIpv4:
        o.value = Take().text;
        break;
      default:
        return Unexpected("an option value");
    }
    // --define=NAME=VALUE style.
    if (v.kind == TokenKind::kWord && Peek().Is('=')) {
      Take();
      if (Peek().kind != TokenKind::kWord && Peek().kind != TokenKind::kString &&
          Peek().kind != TokenKind::kInteger) {
        return Unexpected("a value after '='");
      }
      o.value = absl::StrCat(*o.value, "=", Take().text);
    }
  }
  s->options.push_back(std::move(o));
  return true;
}

// A non-negative time in seconds, to microseconds.
bool Parser::ParseTime(int64_t* usecs) {
  const Token& t = Peek();
  double secs;
  if (t.kind == TokenKind::kFloat) {
    secs = t.floating;
  } else if (t.kind == TokenKind::kInteger) {
    secs = static_cast<double>(t.integer);
  } else {
    return Unexpected("a time");
  }
  if (secs < 0) return Fail(t, "negative time");
  if (!(secs <= kMaxTimeSecs)) return Fail(t, absl::StrCat("time ", t.text, " is too large"));
  *usecs = std::llround(secs * 1e6);
  Take();
  return true;
}

bool Parser::ParseEventTime(Event* e) {
  EventTime& et = e->time;
  const Token& first = Peek();
  e->line = first.line;
  e->col = first.col;
  if (first.Is('*')) {
    Take();
    et.type = TimeType::kAny;
    return true;
  }
  const bool relative = first.Is('+');
  if (relative) Take();
  if (!ParseTime(&et.usecs)) return false;
  et.type = relative ? TimeType::kRelative : TimeType::kAbsolute;
  if (!Peek().Is('~')) return true;
  Take();
  if (relative) {
    if (!ExpectPunct('+')) return false;
  }
  if (!ParseTime(&et.end_usecs)) return false;
  et.type = relative ? TimeType::kRelativeRange : TimeType::kAbsoluteRange;
  if (et.end_usecs < et.usecs) return Fail(first, "time range is backwards");
  return true;
}

bool Parser::ParseEvent(Event* e) {
  if (!ParseEventTime(e)) return false;
  const Token& t = Peek();
  if (t.Is('<') || t.Is('>')) {
    PacketSpec p;
    if (!ParsePacket(&p)) return false;
    e->action = std::move(p);
  } else if (t.kind == TokenKind::kBackquoted) {
    e->action = CommandSpec{Take().text};
  } else if (t.kind == TokenKind::kCode) {
    return Fail(t, "unsupported: %{ python code }% snippets");
  } else if (t.kind == TokenKind::kEllipsis || t.kind == TokenKind::kWord) {
    SyscallSpec sc;
    if (!ParseSyscall(&sc)) return false;
    e->action = std::move(sc);
  } else {
    return Unexpected("a packet (< or >), a system call or a `command`");
  }
  // packetdrill parser.y `event`: wildcard and range times only make sense for packets the
  // stack sends (the script cannot inject or call "some time in this range").
  const auto* p = std::get_if<PacketSpec>(&e->action);
  const bool outbound = p != nullptr && p->direction == Direction::kOutbound;
  if (e->time.type == TimeType::kAny && !outbound) {
    return Fail(Token{TokenKind::kEnd, "", 0, 0, e->line, e->col},
                "event time <star> can only be used with outbound packets");
  }
  if ((e->time.type == TimeType::kAbsoluteRange || e->time.type == TimeType::kRelativeRange) &&
      !outbound) {
    return Fail(Token{TokenKind::kEnd, "", 0, 0, e->line, e->col},
                "event time range can only be used with outbound packets");
  }
  return true;
}

bool Parser::ParseSyscall(SyscallSpec* sc) {
  if (Peek().kind == TokenKind::kEllipsis) {
    Take();
    int64_t end;
    if (!ParseTime(&end)) return false;
    sc->end_usecs = end;
  }
  if (Peek().kind != TokenKind::kWord) return Unexpected("a system call name");
  sc->name = Take().text;
  if (!ExpectPunct('(')) return false;
  if (!Peek().Is(')')) {
    for (;;) {
      Expr e;
      if (!ParseExpr(&e, 0)) return false;
      sc->args.push_back(std::move(e));
      if (!Peek().Is(',')) break;
      Take();
    }
  }
  if (!ExpectPunct(')') || !ExpectPunct('=')) return false;
  if (!ParseExpr(&sc->result, 0)) return false;
  // ERRNO (text): a word can only follow the result as its errno (the next event starts with
  // a time).
  if (Peek().kind == TokenKind::kWord) sc->errno_name = Take().text;
  if (Peek().Is('(')) return ParseNote(&sc->note);
  return true;
}

// "(Operation now in progress)": free text up to the matching parenthesis, for people only.
bool Parser::ParseNote(std::string* note) {
  const Token& open = Take();
  int depth = 1;
  while (depth > 0) {
    const Token& t = Peek();
    if (t.kind == TokenKind::kEnd) return Fail(open, "syntax error: unclosed '('");
    if (t.Is('(')) ++depth;
    if (t.Is(')') && --depth == 0) break;
    if (depth > kMaxExprDepth) return Fail(t, "nesting too deep");
    if (!note->empty()) *note += " ";
    *note += t.text;
    Take();
  }
  Take();
  return true;
}

// expression := or ['=' expression]; or := primary ('|' primary)*. As in parser.y, '=' binds
// looser than '|': events=POLLIN|POLLOUT is events = (POLLIN|POLLOUT).
bool Parser::ParseExpr(Expr* e, int depth) {
  if (!ParsePrimary(e, depth)) return false;
  while (Peek().Is('|')) {
    Expr bin;
    bin.kind = Expr::Kind::kBinary;
    bin.line = Peek().line;
    bin.col = Peek().col;
    bin.text = Take().text;
    Expr rhs;
    if (!ParsePrimary(&rhs, depth)) return false;
    bin.items.push_back(std::move(*e));
    bin.items.push_back(std::move(rhs));
    *e = std::move(bin);
  }
  // In `f(...) = result` the '=' belongs to the syscall, not to an argument.
  if (Peek().Is('=') && depth > 0) {
    Expr bin;
    bin.kind = Expr::Kind::kBinary;
    bin.line = Peek().line;
    bin.col = Peek().col;
    bin.text = Take().text;
    Expr rhs;
    if (!ParseExpr(&rhs, depth + 1)) return false;
    bin.items.push_back(std::move(*e));
    bin.items.push_back(std::move(rhs));
    *e = std::move(bin);
  }
  return true;
}

// A list of expressions up to `close` (']' or '}' or ')').
bool Parser::ParseItems(Expr* e, char close, int depth) {
  if (Peek().Is(close)) {
    Take();
    return true;
  }
  for (;;) {
    Expr item;
    if (!ParseExpr(&item, depth + 1)) return false;
    e->items.push_back(std::move(item));
    if (Peek().Is(',')) {
      Take();
      continue;
    }
    return ExpectPunct(close);
  }
}

bool Parser::ParsePrimary(Expr* e, int depth) {
  if (depth > kMaxExprDepth) return Fail(Peek(), "expression nested too deeply");
  const Token& t = Peek();
  e->line = t.line;
  e->col = t.col;
  switch (t.kind) {
    case TokenKind::kEllipsis:
      Take();
      e->kind = Expr::Kind::kEllipsis;
      return true;
    case TokenKind::kInteger:
    case TokenKind::kHex:
      e->kind = Expr::Kind::kInteger;
      e->integer = t.integer;
      e->text = Take().text;
      return true;
    case TokenKind::kString:
      e->kind = Expr::Kind::kString;
      e->text = Take().text;
      // Adjacent strings concatenate; "abc"... means "abc" then anything.
      while (Peek().kind == TokenKind::kString && e->text.size() < kMaxTokenBytes) {
        e->text += Take().text;
      }
      if (Peek().kind == TokenKind::kEllipsis) Take();
      return true;
    case TokenKind::kWord:
      e->text = Take().text;
      if (Peek().Is('(')) {  // htons(8080), inet_addr("192.0.2.1")
        Take();
        e->kind = Expr::Kind::kCall;
        return ParseItems(e, ')', depth);
      }
      e->kind = Expr::Kind::kWord;
      return true;
    case TokenKind::kPunct:
      if (t.Is('[') || t.Is('{')) {
        const char close = t.Is('[') ? ']' : '}';
        e->kind = t.Is('[') ? Expr::Kind::kList : Expr::Kind::kBraced;
        Take();
        return ParseItems(e, close, depth);
      }
      break;
    default:
      break;
  }
  return Unexpected("an expression");
}

absl::StatusOr<Script> ParseScript(std::string_view text) {
  absl::StatusOr<std::vector<Token>> toks = Lex(text);
  if (!toks.ok()) return toks.status();
  Parser p(*std::move(toks));
  return p.Run();
}

}  // namespace taptcp::pkt
