// The symbolic constants scripts use in system calls (packetdrill's symbols_linux.c): address
// families, socket types, option levels and names, fcntl and poll flags, shutdown modes, message
// flags and errno names, all with Linux's values, so a script written against the kernel runs
// unchanged.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace taptcp::pkt {

std::optional<int64_t> LookupSymbol(std::string_view name);
// "EINPROGRESS" -> 115.
std::optional<int> LookupErrno(std::string_view name);
// 115 -> "EINPROGRESS" (or the number when unknown).
std::string ErrnoName(int err);
// Linux's text for an errno: "Operation now in progress".
std::string ErrnoText(int err);
// "POLLIN|POLLOUT" for poll's revents (packetdrill's flags_to_string).
std::string PollFlagsString(int64_t flags);

}  // namespace taptcp::pkt
