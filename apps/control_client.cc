#include "apps/control_client.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "apps/control_server.h"

namespace taptcp::apps {

absl::StatusOr<std::string> FindControlPath(const std::string& flag_value) {
  if (!flag_value.empty()) return flag_value;
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(kControlDir, ec)) {
    if (e.path().extension() == ".sock") found.push_back(e.path().string());
  }
  if (found.size() == 1) return found[0];
  if (found.empty()) {
    return absl::NotFoundError(
        absl::StrCat("no running taptcp found in ", kControlDir,
                     ": start one (taptcp serve ...) or pass --control PATH"));
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "several taptcp are running: pass --control with one of ", absl::StrJoin(found, ", ")));
}

absl::StatusOr<std::string> QueryControl(const std::string& path, std::string_view request) {
  sockaddr_un addr{};
  if (path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("bad --control '", path, "': path too long"));
  }
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const std::string why = std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return absl::UnavailableError(
        absl::StrCat("cannot reach taptcp at ", path, ": ", why, " (is it running?)"));
  }
  const timeval tv{5, 0};  // a taptcp that hangs must not hang us
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  const std::string line = std::string(request) + "\n";
  (void)::send(fd, line.data(), line.size(), MSG_NOSIGNAL);
  std::string reply;
  char buf[65536];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) {
    reply.append(buf, static_cast<size_t>(n));
    if (reply.size() > (size_t{64} << 20)) break;  // bounded, whatever answers
  }
  ::close(fd);
  if (reply.starts_with("error:")) return absl::InternalError(reply);
  return reply;
}

}  // namespace taptcp::apps
