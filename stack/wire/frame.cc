#include "stack/wire/frame.h"

namespace taptcp::wire {

DropReason ParseFrame(std::span<const uint8_t> frame, ParsedFrame* out, bool verify_tcp_checksum) {
  out->layer = ParsedFrame::Layer::kNone;
  if (DropReason r = EthernetView::Parse(frame, &out->eth); r != DropReason::kNone) return r;
  out->layer = ParsedFrame::Layer::kEthernet;
  if (out->eth.ethertype() == kArp) {
    if (DropReason r = ArpView::Parse(out->eth.payload(), &out->arp); r != DropReason::kNone) {
      return r;
    }
    out->layer = ParsedFrame::Layer::kArp;
    return DropReason::kNone;
  }
  if (DropReason r = Ipv4View::Parse(out->eth.payload(), &out->ip); r != DropReason::kNone) {
    return r;
  }
  out->layer = ParsedFrame::Layer::kIpv4;
  switch (out->ip.protocol()) {
    case kProtoIcmp:
      if (DropReason r = IcmpView::Parse(out->ip.payload(), &out->icmp); r != DropReason::kNone) {
        return r;
      }
      out->layer = ParsedFrame::Layer::kIcmp;
      return DropReason::kNone;
    case kProtoTcp:
      if (DropReason r = TcpView::Parse(out->ip.payload(), out->ip.src(), out->ip.dst(), &out->tcp,
                                        verify_tcp_checksum);
          r != DropReason::kNone) {
        return r;
      }
      out->layer = ParsedFrame::Layer::kTcp;
      return DropReason::kNone;
    default:
      return DropReason::kIpUnsupportedProtocol;
  }
}

}  // namespace taptcp::wire
