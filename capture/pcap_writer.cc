#include "capture/pcap_writer.h"

#include <pcap/pcap.h>

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace taptcp::capture {

absl::StatusOr<std::unique_ptr<PcapWriter>> PcapWriter::Open(const std::string& path) {
  // A "dead" handle: libpcap only needs the link type and snaplen to write the file header.
  pcap_t* handle = pcap_open_dead(DLT_EN10MB, kMaxSnapLen);
  if (handle == nullptr) {
    return absl::InternalError(
        absl::StrCat("cannot create capture file ", path, ": pcap_open_dead failed"));
  }
  pcap_dumper_t* dumper = pcap_dump_open(handle, path.c_str());
  if (dumper == nullptr) {
    // pcap_geterr already says e.g. "/x/y.pcap: No such file or directory"; keep our own prefix
    // so the message names the path even if libpcap's wording changes.
    std::string reason = pcap_geterr(handle);
    pcap_close(handle);
    // libpcap's text starts with the path itself; say it once.
    if (absl::StartsWith(reason, path + ": ")) reason.erase(0, path.size() + 2);
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create capture file ", path, ": ", reason));
  }
  return std::unique_ptr<PcapWriter>(new PcapWriter(path, handle, dumper));
}

PcapWriter::~PcapWriter() {
  pcap_dump_close(dumper_);  // flushes
  pcap_close(handle_);
}

void PcapWriter::Transmit(std::span<const uint8_t> frame, Instant now) {
  // Floor, not truncation toward zero, so an Instant before the base still orders correctly; a
  // stamp before 1970 cannot be represented and is clamped.
  auto stamp = std::chrono::floor<std::chrono::microseconds>(now.time_since_epoch() + time_base_);
  if (stamp.count() < 0) stamp = std::chrono::microseconds(0);
  const auto secs = std::chrono::floor<std::chrono::seconds>(stamp);
  pcap_pkthdr header{};
  header.ts.tv_sec = static_cast<time_t>(secs.count());
  header.ts.tv_usec = static_cast<suseconds_t>((stamp - secs).count());
  // A span longer than 4 GiB cannot be a frame; clamp len rather than wrap it.
  header.len = static_cast<uint32_t>(std::min<size_t>(frame.size(), UINT32_MAX));
  header.caplen = std::min<uint32_t>(header.len, kMaxSnapLen);
  if (header.caplen < header.len) ++frames_truncated_;
  pcap_dump(reinterpret_cast<u_char*>(dumper_), &header, frame.data());
  ++frames_written_;
}

absl::Status PcapWriter::Flush() {
  if (pcap_dump_flush(dumper_) != 0) {
    return absl::DataLossError(
        absl::StrCat("cannot write capture file ", path_, " (disk full or file removed?)"));
  }
  return absl::OkStatus();
}

}  // namespace taptcp::capture
