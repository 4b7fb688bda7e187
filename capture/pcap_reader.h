// Reads Ethernet captures (pcap or pcapng, anything libpcap opens) back into frames with their
// time, for `taptcp replay`, the fuzz corpus and tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "timers/time.h"

struct pcap;

namespace taptcp::capture {

struct CapturedFrame {
  // The record's timestamp as time since kEpoch (for a capture written with a zero time base this
  // is exactly the Instant it was written with, to the microsecond).
  Instant time;
  // The captured bytes (caplen of them).
  std::vector<uint8_t> bytes;
  // The frame's length on the wire; larger than bytes.size() when the capture truncated it.
  uint32_t wire_length = 0;
};

// Streams one capture frame by frame, so a long capture never has to fit in memory.
class PcapReader {
 public:
  // Opens `path`; rejects captures whose link type is not Ethernet (one-line error naming it).
  static absl::StatusOr<std::unique_ptr<PcapReader>> Open(const std::string& path);

  PcapReader(const PcapReader&) = delete;
  PcapReader& operator=(const PcapReader&) = delete;
  ~PcapReader();

  // The next frame, std::nullopt at the end of the capture, or an error for a corrupt record
  // (including a caplen above kMaxSnapLen, which no sane capture has).
  absl::StatusOr<std::optional<CapturedFrame>> Next();

  uint64_t frames_read() const { return frames_read_; }
  const std::string& path() const { return path_; }

 private:
  PcapReader(std::string path, pcap* handle) : path_(std::move(path)), handle_(handle) {}

  std::string path_;
  pcap* handle_;
  uint64_t frames_read_ = 0;
};

// Default bound on ReadPcap's frame count: a whole-file read is for test-sized captures.
inline constexpr size_t kDefaultMaxFrames = 1'000'000;

// Reads a whole capture; an error if it has more than `max_frames` frames (stream it instead).
absl::StatusOr<std::vector<CapturedFrame>> ReadPcap(const std::string& path,
                                                    size_t max_frames = kDefaultMaxFrames);

}  // namespace taptcp::capture
