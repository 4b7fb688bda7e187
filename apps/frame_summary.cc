#include "apps/frame_summary.h"

#include "absl/strings/str_cat.h"
#include "stack/absl_sv.h"
#include "stack/wire/frame.h"

namespace taptcp::apps {

std::string SummarizeFrame(std::span<const uint8_t> frame) {
  wire::ParsedFrame p;
  const wire::DropReason r = wire::ParseFrame(frame, &p);
  using L = wire::ParsedFrame::Layer;
  if (p.layer == L::kArp) {
    if (p.arp.op() == wire::kArpOpRequest) {
      return absl::StrCat("ARP who-has ", p.arp.target_ip().ToString(), " tell ",
                          p.arp.sender_ip().ToString(),
                          p.eth.dst().IsBroadcast() ? "" : " (unicast probe)");
    }
    return absl::StrCat("ARP ", p.arp.sender_ip().ToString(), " is-at ",
                        p.arp.sender_mac().ToString());
  }
  if (p.layer == L::kIcmp) {
    const std::string ends = absl::StrCat(p.ip.src().ToString(), " > ", p.ip.dst().ToString());
    switch (p.icmp.type()) {
      case wire::kEchoRequest:
        return absl::StrCat("ICMP echo request ", ends, " id ", p.icmp.echo_id(), " seq ",
                            p.icmp.echo_seq(), " len ", p.icmp.payload().size());
      case wire::kEchoReply:
        return absl::StrCat("ICMP echo reply   ", ends, " id ", p.icmp.echo_id(), " seq ",
                            p.icmp.echo_seq(), " len ", p.icmp.payload().size());
      default:
        return absl::StrCat("ICMP type ", p.icmp.type(), " code ", p.icmp.code(), " ", ends);
    }
  }
  if (p.layer == L::kTcp) {
    // tcpdump's way: Flags [S.], seq, ack, win, the options that matter, length.
    std::string flags;
    const uint8_t f = p.tcp.flags();
    if (f & wire::kSyn) flags += 'S';
    if (f & wire::kFin) flags += 'F';
    if (f & wire::kRst) flags += 'R';
    if (f & wire::kPsh) flags += 'P';
    if (f & wire::kAck) flags += '.';
    std::string out = absl::StrCat("TCP ", p.ip.src().ToString(), ":", p.tcp.src_port(), " > ",
                                   p.ip.dst().ToString(), ":", p.tcp.dst_port(), " [", flags,
                                   "] seq ", p.tcp.seq());
    if (f & wire::kAck) absl::StrAppend(&out, " ack ", p.tcp.ack());
    absl::StrAppend(&out, " win ", p.tcp.window());
    const wire::TcpOptions& o = p.tcp.options();
    if (o.mss) absl::StrAppend(&out, " mss ", *o.mss);
    if (o.sack_permitted) absl::StrAppend(&out, " sackOK");
    if (o.window_scale) absl::StrAppend(&out, " wscale ", *o.window_scale);
    if (o.sack_count > 0) absl::StrAppend(&out, " sack ", o.sack_count);
    absl::StrAppend(&out, " len ", p.tcp.payload().size());
    return out;
  }
  if (p.layer == L::kIpv4) {
    return absl::StrCat("IPv4 ", p.ip.src().ToString(), " > ", p.ip.dst().ToString(), " proto ",
                        p.ip.protocol());
  }
  if (p.layer == L::kEthernet || r != wire::DropReason::kNone) {
    return absl::StrCat("(", frame.size(), " bytes, not decoded: ", Sv(wire::DropReasonName(r)),
                        ")");
  }
  return "(empty)";
}

}  // namespace taptcp::apps
