// Reading a system call line's arguments and checking its result, with packetdrill's messages
// (run_system_call.c: check_arg_count, s32_arg, ellipsis_arg, s32_bracketed_arg, buffer_arg,
// end_syscall).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "conformance/pkt/ast.h"

namespace taptcp::pkt {

// The script's expression with symbols resolved and `a | b` folded (evaluate_expression_list).
// Names on the left of `=` inside braces (fd=, events=, onoff=...) stay words.
absl::StatusOr<Expr> Evaluate(const Expr& e);

absl::Status CheckArgCount(const std::vector<Expr>& args, size_t expected);
absl::StatusOr<int64_t> IntArg(const std::vector<Expr>& args, size_t i);
absl::Status EllipsisArg(const std::vector<Expr>& args, size_t i);
// [N]
absl::StatusOr<int64_t> BracketedIntArg(const std::vector<Expr>& args, size_t i);
// A buffer: ... (a buffer of the right size) or 0 (NULL). True for NULL.
absl::StatusOr<bool> BufferArg(const std::vector<Expr>& args, size_t i);
// `name=value` items of a braced expression, by name; nullopt when absent.
std::optional<const Expr*> Field(const Expr& braced, std::string_view name);

// end_syscall's checks: the result (any fd when `fd_result` and the script expects one), then the
// errno if the line names one. `result` is a value or -errno.
absl::Status CheckResult(const SyscallSpec& spec, int64_t result, bool fd_result);

// For messages: "integer", "list", ...
const char* ExprKindName(Expr::Kind k);

}  // namespace taptcp::pkt
