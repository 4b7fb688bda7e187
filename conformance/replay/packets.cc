#include "conformance/replay/packets.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "capture/pcap_reader.h"
#include "stack/wire/drop_reason.h"
#include "stack/wire/frame.h"

namespace taptcp::replay {
namespace {

// The option kinds in wire order, NOP and EOL left out; stops where the list ends or breaks (the
// options parsed before a malformed one still count, as in Linux tcp_parse_options).
std::vector<uint8_t> OptionKinds(std::span<const uint8_t> bytes) {
  std::vector<uint8_t> kinds;
  size_t i = 0;
  while (i < bytes.size()) {
    const uint8_t kind = bytes[i];
    if (kind == wire::kTcpOptEol) break;
    if (kind == wire::kTcpOptNop) {
      ++i;
      continue;
    }
    if (i + 1 >= bytes.size() || bytes[i + 1] < 2 || i + bytes[i + 1] > bytes.size()) break;
    kinds.push_back(kind);
    i += bytes[i + 1];
  }
  return kinds;
}

Origin OriginOf(std::span<const uint8_t> frame, const Description& d) {
  wire::EthernetView eth;
  if (wire::EthernetView::Parse(frame, &eth) != wire::DropReason::kNone) {
    // Not Ethernet II carrying IPv4 or ARP (IPv6, VLAN...): still sorted by MAC if it has one.
    if (frame.size() < 12) return Origin::kOther;
    wire::MacAddress src;
    std::copy(frame.begin() + 6, frame.begin() + 12, src.bytes.begin());
    if (src == d.dut_mac) return Origin::kDut;
    if (src == d.peer_mac) return Origin::kPeer;
    return Origin::kOther;
  }
  if (eth.src() == d.dut_mac) return Origin::kDut;
  if (eth.src() == d.peer_mac) return Origin::kPeer;
  wire::Ipv4View ip;
  if (eth.ethertype() == wire::kIpv4 &&
      wire::Ipv4View::Parse(eth.payload(), &ip) == wire::DropReason::kNone) {
    if (ip.src() == d.dut_ip) return Origin::kDut;
    if (ip.src() == d.peer_ip) return Origin::kPeer;
  }
  return Origin::kOther;
}

}  // namespace

std::optional<TcpPacket> DecodeTcpFrame(std::span<const uint8_t> frame, bool verify_checksum,
                                        std::string* problem) {
  problem->clear();
  wire::ParsedFrame p;
  const wire::DropReason r = wire::ParseFrame(frame, &p, verify_checksum);
  if (r != wire::DropReason::kNone || p.layer != wire::ParsedFrame::Layer::kTcp) {
    const bool ip_tcp = p.layer >= wire::ParsedFrame::Layer::kIpv4 &&
                        p.layer != wire::ParsedFrame::Layer::kIcmp &&
                        p.ip.protocol() == wire::kProtoTcp;
    if (ip_tcp && r != wire::DropReason::kNone) *problem = std::string(wire::DropReasonName(r));
    return std::nullopt;
  }
  TcpPacket t;
  t.src = p.ip.src();
  t.dst = p.ip.dst();
  t.src_port = p.tcp.src_port();
  t.dst_port = p.tcp.dst_port();
  t.flags = p.tcp.flags();
  t.seq = p.tcp.seq();
  t.ack = p.tcp.ack();
  t.window = p.tcp.window();
  t.payload = static_cast<uint32_t>(p.tcp.payload().size());
  t.option_kinds = OptionKinds(p.tcp.options_bytes());
  t.options = p.tcp.options();
  return t;
}

Capture ClassifyFrames(std::vector<std::pair<Duration, std::vector<uint8_t>>> frames,
                       const Description& d) {
  Capture c;
  c.packets.reserve(frames.size());
  for (size_t i = 0; i < frames.size(); ++i) {
    Packet p;
    p.number = static_cast<int>(i + 1);
    p.t = frames[i].first - (frames.empty() ? Duration{0} : frames[0].first);
    p.frame = std::move(frames[i].second);
    p.origin = OriginOf(p.frame, d);
    // A capture taken where the sender offloads checksums holds wrong ones for its own frames;
    // only taptcp's frames are held to their checksums (by the replay).
    p.tcp = DecodeTcpFrame(p.frame, /*verify_checksum=*/false, &p.problem);
    c.packets.push_back(std::move(p));
  }
  return c;
}

absl::StatusOr<CaptureFrames> ReadCaptureFrames(const std::string& path) {
  absl::StatusOr<std::vector<capture::CapturedFrame>> frames =
      capture::ReadPcap(path, kMaxCaptureFrames);
  if (!frames.ok()) return frames.status();
  if (frames->empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": no frames"));
  CaptureFrames out;
  out.first_wall_time = (*frames)[0].time;
  out.frames.reserve(frames->size());
  for (capture::CapturedFrame& f : *frames) {
    if (f.bytes.size() < f.wire_length) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": frame ", out.frames.size() + 1, " was captured truncated (", f.bytes.size(),
          " of ", f.wire_length, " bytes); record with a full snap length"));
    }
    out.frames.emplace_back(f.time.time_since_epoch(), std::move(f.bytes));
  }
  return out;
}

std::string FlagsText(uint8_t flags) {
  // tcpdump's letters and order (print-tcp.c tcp_flag_values), '.' for ACK last.
  std::string s;
  if (flags & wire::kFin) s += 'F';
  if (flags & wire::kSyn) s += 'S';
  if (flags & wire::kRst) s += 'R';
  if (flags & wire::kPsh) s += 'P';
  if (flags & wire::kUrg) s += 'U';
  if (flags & wire::kCwr) s += 'W';
  if (flags & wire::kEce) s += 'E';
  if (flags & wire::kAck) s += '.';
  if (s.empty()) s = "none";
  return s;
}

}  // namespace taptcp::replay
