// A Stack on a TAP device with everything a long-running command offers: knobs (--sysctl),
// a capture of both directions (--pcap), the event trace as JSON lines (--trace), driven by the
// epoll loop in real time. `serve` and `demo` are thin layers over this.
#pragma once

#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "apps/control_server.h"
#include "capture/pcap_writer.h"
#include "stack/stack.h"
#include "tap/event_loop.h"
#include "tap/tap_device.h"

namespace taptcp::apps {

struct TapHostOptions {
  std::string tap;  // device name
  std::string addr = "192.0.2.2/24";
  std::string mac = "02:54:41:50:00:02";  // locally administered; 54:41:50 spells "TAP"
  std::string gateway;                    // optional
  std::vector<std::string> sysctls;       // name=value
  std::string pcap;                       // optional capture path
  bool trace = false;                     // JSON lines on stdout
  std::string control;                    // unix socket for `taptcp ss`/`nstat`; "" = none
  // The TAP device's offloads (IFF_VNET_HDR: TSO and checksum offload both ways) and the stack's
  // use of them; off gives the packet-by-packet view.
  bool offload = true;
};

class TapHost final : private Driveable, private TraceSink {
 public:
  // Opens the device, builds the stack, applies the knobs. Every error is one line that says
  // what to do (bad address, unknown knob, missing privilege, busy device).
  static absl::StatusOr<std::unique_ptr<TapHost>> Open(const TapHostOptions& options);
  ~TapHost() override;

  Stack& stack() { return *stack_; }
  tap::EventLoop& loop() { return *loop_; }
  tap::TapDevice& device() { return *tap_; }
  capture::PcapWriter* capture() { return pcap_.get(); }
  // Called after every frame and every timer the stack handles: where apps service their sockets.
  void set_service(std::function<void()> fn) { service_ = std::move(fn); }
  const std::string& capture_path() const { return pcap_path_; }
  // The control socket's path, or "" without one.
  std::string control_path() const { return control_ ? control_->path() : std::string(); }

 private:
  TapHost() = default;
  // Driveable: the loop feeds us, we record inbound frames, then hand them to the stack.
  void Input(std::span<const uint8_t> frame, Instant now) override;
  // A super-frame or partial checksum from the device: the capture gets the wire frames (cut as
  // the kernel's TSO would cut them for a wire), the stack the super-frame whole.
  void InputOffloaded(std::span<const uint8_t> frame, const wire::Offload& offload,
                      Instant now) override;
  // Zero-copy receive: the stack's interface says where (link.h).
  std::span<uint8_t> InputBuffer(size_t prefix) override {
    return stack_->interface().InputBuffer(prefix);
  }
  bool InputInPlace(std::span<const uint8_t> frame, const wire::Offload& offload) override {
    return stack_->interface().InputInPlace(frame, offload);
  }
  void Advance(Instant now) override {
    stack_->Advance(now);
    if (service_) service_();
  }
  std::optional<Instant> NextDeadline() const override { return stack_->NextDeadline(); }
  // TraceSink
  void OnEvent(const TraceEvent& event) override;

  std::unique_ptr<tap::TapDevice> tap_;
  std::unique_ptr<capture::PcapWriter> pcap_;
  std::vector<uint8_t> pcap_scratch_;  // one wire frame of an inbound super-frame
  std::string pcap_path_;
  std::unique_ptr<TeeLink> tee_;
  std::unique_ptr<Stack> stack_;
  std::unique_ptr<tap::EventLoop> loop_;
  std::function<void()> service_;
  std::unique_ptr<ControlServer> control_;  // declared last: destroyed before the loop
};

// Pulls every `--sysctl name=value` / `--sysctl=name=value` out of argv (absl flags keep only
// the last value of a repeated flag) and returns them; argv is compacted in place.
std::vector<std::string> ExtractRepeatedFlag(int* argc, char** argv, std::string_view name);

}  // namespace taptcp::apps
