// Why an inbound frame was dropped. Every parser in stack/wire returns one of these (kNone means
// "accepted"); the net and TCP layers use the "unwanted" reasons for frames that are well formed
// but not for us. Names are stable: they appear in counters and traces.
//
// Where Linux has an equivalent, the comment names the function that makes the same decision and
// the SNMP counter it bumps, so the Mib can count like `nstat -az`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace taptcp::wire {

enum class DropReason : uint8_t {
  kNone = 0,

  // Ethernet (IEEE 802.3 / RFC 894).
  kEthTruncated,        // shorter than the 14-byte header
  kEthUnsupportedType,  // EtherType other than IPv4/ARP: IPv6, 802.1Q VLAN tags (0x8100, 0x88a8)
                        // and 802.3 length fields (< 0x0600) included; we do not do VLANs
  kEthNotForUs,         // unicast destination MAC not ours (Linux: PACKET_OTHERHOST, dropped
                        // in ip_rcv_core / arp_rcv)

  // ARP (RFC 826). Linux: arp_rcv / arp_process.
  kArpTruncated,    // shorter than 28 bytes (8 + 2 * (6 + 4))
  kArpUnsupported,  // hardware type != 1 (Ethernet), protocol != 0x0800, hlen != 6 or plen != 4
  kArpBadOp,        // opcode neither 1 (request) nor 2 (reply); arp_process ignores others
  kArpNotForUs,     // target protocol address not ours (net layer)

  // IPv4 (RFC 791). Linux: ip_rcv_core, counters IpInHdrErrors / IpExtInCsumErrors /
  // IpExtInTruncatedPkts.
  kIpTruncated,            // fewer than 20 bytes, or fewer than IHL * 4 (InHdrErrors)
  kIpBadVersion,           // version != 4 (InHdrErrors)
  kIpBadHeaderLength,      // IHL < 5 (InHdrErrors)
  kIpBadChecksum,          // header checksum (InCsumErrors + InHdrErrors)
  kIpBadTotalLength,       // total length < IHL * 4 (InHdrErrors) or > the bytes we have
                           // (Linux counts the latter as InTruncatedPkts)
  kIpBadOptions,           // option list malformed: ip_options_compile fails (InHdrErrors)
  kIpFragment,             // MF set or fragment offset != 0. Linux reassembles (ip_defrag); we do
                           // not, so we drop and count (ReasmFails is the closest Linux counter)
  kIpUnsupportedProtocol,  // neither ICMP nor TCP (Linux answers ICMP protocol unreachable and
                           // counts InUnknownProtos)
  kIpNotForUs,             // destination not one of our addresses (we do not forward;
                           // InAddrErrors)
  kIpMartianSource,        // source is multicast, limited broadcast, 0.0.0.0 (except DHCP) or
                           // loopback on a non-loopback device (ip_route_input_slow "martian")

  // ICMP (RFC 792). Linux: icmp_rcv, counters IcmpInErrors / IcmpInCsumErrors.
  kIcmpTruncated,        // fewer than the 8-byte header
  kIcmpBadChecksum,      // checksum over the whole message
  kIcmpUnsupportedType,  // a type we do not handle (Linux drops type > NR_ICMP_TYPES)
  kIcmpBroadcastEcho,    // echo to a broadcast/multicast address (icmp_echo_ignore_broadcasts=1)
  kIcmpEchoIgnored,      // echo while icmp_echo_ignore_all=1 (net layer)

  // TCP (RFC 9293 §3.1). Linux: tcp_v4_rcv, counters TcpInErrs / TcpExtTCPCsumErrors.
  kTcpTruncated,      // fewer than 20 bytes
  kTcpBadDataOffset,  // data offset < 5 (TcpInErrs) or data offset * 4 > segment length
  kTcpBadChecksum,    // checksum with the RFC 9293 §3.1 pseudo-header (InCsumErrors + InErrs)
  kTcpBadOption,      // option list malformed (length < 2 or running past the header). NOTE:
                      // TcpView::Parse does not drop for this, following Linux
                      // tcp_parse_options, which stops parsing and keeps the segment; see
                      // TcpView::options_status(). ParseTcpOptions returns it.
  kTcpNotUnicast,     // TCP to a broadcast/multicast address (tcp_v4_rcv: pkt_type != HOST)

  kCount,
};

constexpr size_t kDropReasonCount = static_cast<size_t>(DropReason::kCount);

// Stable snake_case name, e.g. "ip_bad_checksum"; "none" for kNone, "unknown" out of range.
std::string_view DropReasonName(DropReason reason);

}  // namespace taptcp::wire
