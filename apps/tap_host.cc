#include "apps/tap_host.h"

#include <chrono>
#include <cstring>
#include <random>

#include "absl/strings/str_cat.h"
#include "stack/absl_sv.h"
#include "stack/wire/addresses.h"
#include "stack/wire/ethernet.h"
#include "stack/wire/offload.h"

namespace taptcp::apps {

absl::StatusOr<std::unique_ptr<TapHost>> TapHost::Open(const TapHostOptions& o) {
  std::optional<std::pair<wire::Ipv4Address, int>> cidr = wire::ParseCidr(o.addr);
  if (!cidr || cidr->second < 1 || cidr->second > 32) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bad --addr '", o.addr, "': expected an IPv4 address/prefix like 192.0.2.2/24"));
  }
  std::optional<wire::MacAddress> mac = wire::MacAddress::Parse(o.mac);
  if (!mac || mac->IsMulticast()) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad --mac '", o.mac, "': expected a unicast MAC like 02:54:41:50:00:02"));
  }
  StackConfig config;
  config.mac = *mac;
  config.addr = cidr->first;
  config.prefix_len = cidr->second;
  if (!o.gateway.empty()) {
    std::optional<wire::Ipv4Address> gw = wire::Ipv4Address::Parse(o.gateway);
    if (!gw || !gw->InSubnet(config.addr, config.prefix_len)) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad --gateway '", o.gateway, "': expected an address inside ", o.addr));
    }
    config.gateway = gw;
  }
  // Knobs are checked before any device is touched, so a typo costs nothing.
  Sysctl knobs;
  for (const std::string& s : o.sysctls) {
    if (absl::Status st = knobs.SetAssignment(s); !st.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("bad --sysctl: ", st.message()));
    }
  }

  std::unique_ptr<TapHost> host(new TapHost());
  config.offload_csum = o.offload;
  config.offload_tso = o.offload;
  absl::StatusOr<std::unique_ptr<tap::TapDevice>> dev = tap::TapDevice::Open(o.tap, o.offload);
  if (!dev.ok()) return dev.status();
  host->tap_ = std::move(*dev);
  config.mtu = host->tap_->mtu() > 0 ? host->tap_->mtu() : 1500;
  if (!o.pcap.empty()) {
    absl::StatusOr<std::unique_ptr<capture::PcapWriter>> w = capture::PcapWriter::Open(o.pcap);
    if (!w.ok()) return w.status();
    host->pcap_ = std::move(*w);
    host->pcap_path_ = o.pcap;
    host->pcap_scratch_.resize(wire::kEthernetHeaderSize + 65535);
  }
  host->tee_ = std::make_unique<TeeLink>(host->tap_.get(), host->pcap_.get());
  // A real network gets unpredictable ISNs and ports (RFC 6528, RFC 6056); simulations pass a
  // fixed seed instead.
  std::random_device entropy;
  const uint64_t seed = (static_cast<uint64_t>(entropy()) << 32) | entropy();
  host->stack_ = std::make_unique<Stack>(config, host->tee_.get(), kEpoch, seed);
  host->stack_->sysctl() = knobs;
  if (o.trace) host->stack_->set_trace(host.get());
  absl::StatusOr<std::unique_ptr<tap::EventLoop>> loop = tap::EventLoop::Create(host.get());
  if (!loop.ok()) return loop.status();
  host->loop_ = std::move(*loop);
  if (host->pcap_) {
    // Captures show wall-clock dates: the loop's clock starts near zero at its creation.
    host->pcap_->set_time_base(std::chrono::system_clock::now() -
                               host->loop_->Now().time_since_epoch());
  }
  if (absl::Status st = host->loop_->AddTap(host->tap_.get()); !st.ok()) return st;
  if (!o.control.empty()) {
    absl::StatusOr<std::unique_ptr<ControlServer>> control =
        ControlServer::Start(o.control, *host->loop_, *host->stack_);
    if (!control.ok()) return control.status();
    host->control_ = std::move(*control);
  }
  // The stack's wheel starts at the loop clock's present, not at zero.
  host->stack_->Advance(host->loop_->Now());
  return host;
}

TapHost::~TapHost() {
  control_.reset();  // unregisters from the loop while it still exists
  if (pcap_) (void)pcap_->Flush();
}

void TapHost::Input(std::span<const uint8_t> frame, Instant now) {
  if (pcap_) pcap_->Record(frame, now);
  stack_->Input(frame, now);
  if (service_) service_();
}

void TapHost::InputOffloaded(std::span<const uint8_t> frame, const wire::Offload& offload,
                             Instant now) {
  if (pcap_) {
    wire::SegmentFrame(frame, offload, pcap_scratch_,
                       [&](std::span<uint8_t> piece) { pcap_->Record(piece, now); });
  }
  stack_->InputOffloaded(frame, offload, now);
  if (service_) service_();
}

void TapHost::OnEvent(const TraceEvent& event) {
  std::string line = FormatTraceJson(event);
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stdout);
}

std::vector<std::string> ExtractRepeatedFlag(int* argc, char** argv, std::string_view name) {
  std::vector<std::string> values;
  const std::string eq = absl::StrCat("--", Sv(name), "=");
  const std::string bare = absl::StrCat("--", Sv(name));
  int out = 1;
  for (int i = 1; i < *argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.starts_with(eq)) {
      values.emplace_back(arg.substr(eq.size()));
    } else if (arg == bare && i + 1 < *argc) {
      values.emplace_back(argv[++i]);
    } else {
      argv[out++] = argv[i];
    }
  }
  *argc = out;
  argv[out] = nullptr;
  return values;
}

}  // namespace taptcp::apps
