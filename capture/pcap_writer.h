// Writes Ethernet frames to a classic pcap file (LINKTYPE_ETHERNET, microsecond timestamps), so
// every packet the stack sends or receives can be opened in Wireshark, tcpdump or `taptcp ladder`.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "stack/link.h"
#include "timers/time.h"

// libpcap's handle types, kept out of this header so users need not include <pcap.h>.
struct pcap;
struct pcap_dumper;

namespace taptcp::capture {

// The largest frame a capture holds in full; longer frames are truncated to this (caplen) and keep
// their real length (len). Same as tcpdump's default snaplen.
inline constexpr uint32_t kMaxSnapLen = 262144;

class PcapWriter final : public Link {
 public:
  // Creates (truncates) `path`. The error is one line naming the path and the reason.
  static absl::StatusOr<std::unique_ptr<PcapWriter>> Open(const std::string& path);

  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;
  // Flushes and closes the file.
  ~PcapWriter() override;

  // Appends `frame` stamped with `now`: the time since kEpoch, plus time_base() (see below).
  // Stamps are truncated to microseconds, the resolution of classic pcap.
  void Transmit(std::span<const uint8_t> frame, Instant now) override;
  // The same as Transmit, for callers that record inbound frames.
  void Record(std::span<const uint8_t> frame, Instant now) { Transmit(frame, now); }

  // Wall-clock time that corresponds to kEpoch. Virtual-time runs keep the default (zero: stamps
  // read as seconds since 1970, which keeps them equal to the Instants); a live run sets it to
  // the wall-clock time at which its MonotonicClock started, so captures show real dates.
  void set_time_base(std::chrono::system_clock::time_point wall_at_epoch) {
    time_base_ = std::chrono::duration_cast<Duration>(wall_at_epoch.time_since_epoch());
  }
  Duration time_base() const { return time_base_; }

  // Pushes buffered records to the file (for a capture read while the stack still runs).
  absl::Status Flush();

  uint64_t frames_written() const { return frames_written_; }
  // Frames longer than kMaxSnapLen, stored truncated.
  uint64_t frames_truncated() const { return frames_truncated_; }
  const std::string& path() const { return path_; }

 private:
  PcapWriter(std::string path, pcap* handle, pcap_dumper* dumper)
      : path_(std::move(path)), handle_(handle), dumper_(dumper) {}

  std::string path_;
  pcap* handle_;
  pcap_dumper* dumper_;
  Duration time_base_{0};
  uint64_t frames_written_ = 0;
  uint64_t frames_truncated_ = 0;
};

}  // namespace taptcp::capture
