#include "conformance/pkt/call_args.h"

#include "absl/strings/str_cat.h"
#include "conformance/pkt/symbols.h"

namespace taptcp::pkt {

const char* ExprKindName(Expr::Kind k) {
  switch (k) {
    case Expr::Kind::kEllipsis:
      return "ellipsis";
    case Expr::Kind::kInteger:
      return "integer";
    case Expr::Kind::kWord:
      return "word";
    case Expr::Kind::kString:
      return "string";
    case Expr::Kind::kList:
      return "list";
    case Expr::Kind::kBraced:
      return "struct";
    case Expr::Kind::kBinary:
      return "binary expression";
    case Expr::Kind::kCall:
      return "function call";
  }
  return "?";
}

absl::StatusOr<Expr> Evaluate(const Expr& e) {
  Expr out = e;
  switch (e.kind) {
    case Expr::Kind::kWord: {
      std::optional<int64_t> v = LookupSymbol(e.text);
      if (!v) return absl::InvalidArgumentError(absl::StrCat("unknown symbol '", e.text, "'"));
      out.kind = Expr::Kind::kInteger;
      out.integer = *v;
      return out;
    }
    case Expr::Kind::kBinary: {
      if (e.text == "=") {  // name = value: only the value is evaluated
        absl::StatusOr<Expr> rhs = Evaluate(e.items[1]);
        if (!rhs.ok()) return rhs.status();
        out.items[1] = *std::move(rhs);
        return out;
      }
      absl::StatusOr<Expr> lhs = Evaluate(e.items[0]);
      if (!lhs.ok()) return lhs.status();
      absl::StatusOr<Expr> rhs = Evaluate(e.items[1]);
      if (!rhs.ok()) return rhs.status();
      if (lhs->kind != Expr::Kind::kInteger || rhs->kind != Expr::Kind::kInteger) {
        return absl::InvalidArgumentError(absl::StrCat("'", e.text, "' needs integers"));
      }
      out = *lhs;
      out.integer = lhs->integer | rhs->integer;
      return out;
    }
    case Expr::Kind::kList:
    case Expr::Kind::kBraced:
    case Expr::Kind::kCall:
      for (Expr& item : out.items) {
        absl::StatusOr<Expr> v = Evaluate(item);
        if (!v.ok()) return v.status();
        item = *std::move(v);
      }
      return out;
    default:
      return out;
  }
}

absl::Status CheckArgCount(const std::vector<Expr>& args, size_t expected) {
  if (args.size() == expected) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("Expected ", expected, " args but got ", args.size()));
}

namespace {
absl::StatusOr<const Expr*> Arg(const std::vector<Expr>& args, size_t i) {
  if (i >= args.size()) return absl::InvalidArgumentError("Argument list too short");
  return &args[i];
}
absl::Status BadType(const Expr& e, const char* expected) {
  return absl::InvalidArgumentError(
      absl::StrCat("Bad type; actual: ", ExprKindName(e.kind), " expected: ", expected));
}
}  // namespace

absl::StatusOr<int64_t> IntArg(const std::vector<Expr>& args, size_t i) {
  absl::StatusOr<const Expr*> e = Arg(args, i);
  if (!e.ok()) return e.status();
  if ((*e)->kind != Expr::Kind::kInteger) return BadType(**e, "integer");
  return (*e)->integer;
}

absl::Status EllipsisArg(const std::vector<Expr>& args, size_t i) {
  absl::StatusOr<const Expr*> e = Arg(args, i);
  if (!e.ok()) return e.status();
  if ((*e)->kind != Expr::Kind::kEllipsis) return BadType(**e, "ellipsis");
  return absl::OkStatus();
}

absl::StatusOr<int64_t> BracketedIntArg(const std::vector<Expr>& args, size_t i) {
  absl::StatusOr<const Expr*> e = Arg(args, i);
  if (!e.ok()) return e.status();
  if ((*e)->kind != Expr::Kind::kList) return BadType(**e, "list");
  if ((*e)->items.size() != 1) {
    return absl::InvalidArgumentError("Expected [<element>] but got multiple elements");
  }
  if ((*e)->items[0].kind != Expr::Kind::kInteger) return BadType((*e)->items[0], "integer");
  return (*e)->items[0].integer;
}

absl::StatusOr<bool> BufferArg(const std::vector<Expr>& args, size_t i) {
  absl::StatusOr<const Expr*> e = Arg(args, i);
  if (!e.ok()) return e.status();
  if ((*e)->kind == Expr::Kind::kEllipsis) return false;
  if ((*e)->kind == Expr::Kind::kInteger && (*e)->integer == 0) return true;
  return absl::InvalidArgumentError("Expected ... or NULL for buffer");
}

std::optional<const Expr*> Field(const Expr& braced, std::string_view name) {
  for (const Expr& item : braced.items) {
    if (item.kind == Expr::Kind::kBinary && item.text == "=" &&
        item.items[0].kind == Expr::Kind::kWord && item.items[0].text == name) {
      return &item.items[1];
    }
  }
  return std::nullopt;
}

absl::Status CheckResult(const SyscallSpec& spec, int64_t result, bool fd_result) {
  absl::StatusOr<Expr> expected_expr = Evaluate(spec.result);
  if (!expected_expr.ok()) return expected_expr.status();
  if (expected_expr->kind != Expr::Kind::kInteger) return BadType(*expected_expr, "integer");
  const int64_t expected = expected_expr->integer;
  const int64_t actual = result < 0 ? -1 : result;
  const int actual_errno = result < 0 ? static_cast<int>(-result) : 0;
  auto got = [&] {
    if (actual >= 0) return absl::StrCat(actual);
    return absl::StrCat(actual, " with errno ", actual_errno, " (", ErrnoText(actual_errno), ")");
  };
  if (fd_result && expected >= 0) {
    if (actual < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("Expected non-negative result but got ", got()));
    }
  } else if (actual != expected) {
    return absl::InvalidArgumentError(
        absl::StrCat("Expected result ", expected, " but got ", got()));
  }
  if (spec.errno_name) {
    std::optional<int> want = LookupErrno(*spec.errno_name);
    if (!want) {
      return absl::InvalidArgumentError(absl::StrCat("unknown errno '", *spec.errno_name, "'"));
    }
    if (actual_errno != *want) {
      return absl::InvalidArgumentError(absl::StrCat("Expected errno ", *want, " (",
                                                     ErrnoText(*want), ") but got ", actual_errno,
                                                     " (", ErrnoText(actual_errno), ")"));
    }
  }
  return absl::OkStatus();
}

}  // namespace taptcp::pkt
