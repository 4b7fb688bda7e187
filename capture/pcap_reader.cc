#include "capture/pcap_reader.h"

#include <pcap/pcap.h>
#include <unistd.h>

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "capture/pcap_writer.h"

namespace taptcp::capture {

absl::StatusOr<std::unique_ptr<PcapReader>> PcapReader::Open(const std::string& path) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  // Nanosecond precision: libpcap scales microsecond files up, so both kinds read exactly.
  pcap_t* handle =
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO, errbuf);
  if (handle == nullptr) {
    std::string reason = errbuf;
    // libpcap's text starts with the path itself; say it once.
    if (absl::StartsWith(reason, path + ": ")) reason.erase(0, path.size() + 2);
    std::string message = absl::StrCat("cannot read capture ", path, ": ", reason);
    // Missing file versus a file libpcap does not understand.
    if (access(path.c_str(), F_OK) != 0) return absl::NotFoundError(message);
    return absl::InvalidArgumentError(message);
  }
  const int link_type = pcap_datalink(handle);
  if (link_type != DLT_EN10MB) {
    const char* link_name = pcap_datalink_val_to_name(link_type);
    pcap_close(handle);
    return absl::InvalidArgumentError(absl::StrCat(
        "capture ", path, " has link type ", link_type, " (",
        link_name != nullptr ? link_name : "unknown",
        "); taptcp reads Ethernet captures only (capture with tcpdump -i IFACE, not -i any)"));
  }
  return std::unique_ptr<PcapReader>(new PcapReader(path, handle));
}

PcapReader::~PcapReader() { pcap_close(handle_); }

absl::StatusOr<std::optional<CapturedFrame>> PcapReader::Next() {
  pcap_pkthdr* header = nullptr;
  const u_char* data = nullptr;
  const int rc = pcap_next_ex(handle_, &header, &data);
  if (rc == PCAP_ERROR_BREAK) return std::nullopt;  // end of file
  if (rc != 1) {
    return absl::DataLossError(absl::StrCat("capture ", path_, ": record ", frames_read_ + 1,
                                            " is unreadable: ", pcap_geterr(handle_)));
  }
  // libpcap already caps caplen per link type, but a file is untrusted input: check here too so
  // the bound holds whatever libpcap version we run on.
  if (header->caplen > kMaxSnapLen || header->caplen > header->len) {
    return absl::DataLossError(absl::StrCat("capture ", path_, ": record ", frames_read_ + 1,
                                            " has caplen ", header->caplen, " (len ", header->len,
                                            ", limit ", kMaxSnapLen, ")"));
  }
  CapturedFrame frame;
  // The file stores seconds as an unsigned 32-bit field; libpcap sign-extends it for files in
  // host byte order and not for swapped ones, so read it back as what the file holds (past 2038
  // it would otherwise come out as 1901).
  const auto file_seconds = static_cast<uint32_t>(header->ts.tv_sec);
  frame.time = kEpoch + std::chrono::seconds(file_seconds) +
               std::chrono::nanoseconds(header->ts.tv_usec);  // nanoseconds: see Open
  frame.bytes.assign(data, data + header->caplen);
  frame.wire_length = header->len;
  ++frames_read_;
  return frame;
}

absl::StatusOr<std::vector<CapturedFrame>> ReadPcap(const std::string& path, size_t max_frames) {
  absl::StatusOr<std::unique_ptr<PcapReader>> reader = PcapReader::Open(path);
  if (!reader.ok()) return reader.status();
  std::vector<CapturedFrame> frames;
  while (true) {
    absl::StatusOr<std::optional<CapturedFrame>> next = (*reader)->Next();
    if (!next.ok()) return next.status();
    if (!next->has_value()) return frames;
    if (frames.size() == max_frames) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "capture ", path, " has more than ", max_frames, " frames; stream it with PcapReader"));
    }
    frames.push_back(std::move(**next));
  }
}

}  // namespace taptcp::capture
