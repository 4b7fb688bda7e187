// libFuzzer target for the TCP stack: a taptcp host with an echo listener (port 7), a discard
// listener (port 9) and an active open of its own (to port 80), fed a sequence of TCP segments with
// time passing between them. Every segment is addressed to the host and checksummed correctly
// (unless the input asks otherwise), and its sequence and acknowledgment numbers may be rebased
// onto what the host last sent to that peer port, so the fuzzer reaches established, closing and
// TIME_WAIT states instead of bouncing off the window check.
//
// Input: records of [control][delay][port][seq delta][ack delta][flags][window][optlen][len]
// followed by optlen option bytes and len payload bytes (see Record below); a short tail ends it.
// After every record the target checks invariants and aborts on a violation, so semantic bugs
// show, not only crashes:
//   - the connection table stays bounded (there are only so many 4-tuples in play);
//   - TcpCurrEstab equals the number of connections in ESTABLISHED or CLOSE_WAIT;
//   - every frame the host sends parses, with valid checksums, and fits the MTU.
// At the end, hours of virtual time pass (retransmissions, keepalives, TIME_WAIT all run out).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <span>
#include <vector>

#include "stack/stack.h"
#include "stack/wire/bytes.h"
#include "stack/wire/checksum.h"
#include "stack/wire/frame.h"

namespace taptcp {
namespace {

#define FUZZ_CHECK(cond, what)                                                                \
  do {                                                                                        \
    if (!(cond)) {                                                                            \
      std::fprintf(stderr, "%s:%d: invariant violated: %s (%s)\n", __FILE__, __LINE__, #cond, \
                   what);                                                                     \
      std::abort();                                                                           \
    }                                                                                         \
  } while (0)

const wire::MacAddress kHostMac = *wire::MacAddress::Parse("02:00:00:00:00:0d");
const wire::MacAddress kPeerMac = *wire::MacAddress::Parse("02:00:00:00:00:0c");
const wire::Ipv4Address kHostIp = *wire::Ipv4Address::Parse("192.0.2.20");
const wire::Ipv4Address kPeerIp = *wire::Ipv4Address::Parse("192.0.2.10");

// What the host last told each peer port: where to aim the next segment.
struct PeerView {
  uint32_t next_seq = 0;  // the host's ACK number: the peer's next sequence number
  uint32_t next_ack = 0;  // the host's SND.NXT as seen on the wire
};

class Recorder final : public Link {
 public:
  void Transmit(std::span<const uint8_t> frame, Instant) override {
    FUZZ_CHECK(frame.size() <= wire::kMaxEthernetFrame, "frame larger than the MTU");
    wire::ParsedFrame p;
    const wire::DropReason r = wire::ParseFrame(frame, &p);
    FUZZ_CHECK(r == wire::DropReason::kNone, "the host sent a frame it would itself drop");
    if (p.layer != wire::ParsedFrame::Layer::kTcp) return;
    PeerView& v = peers[p.tcp.dst_port()];
    v.next_seq = p.tcp.ack();
    v.next_ack = p.tcp.seq() + static_cast<uint32_t>(p.tcp.payload().size()) +
                 ((p.tcp.flags() & (wire::kSyn | wire::kFin)) ? 1 : 0);
  }
  std::map<uint16_t, PeerView> peers;
};

std::vector<uint8_t> Frame(std::span<const uint8_t> tcp, bool break_checksum) {
  std::vector<uint8_t> f(wire::kEthernetHeaderSize + wire::kIpv4MinHeaderSize + tcp.size());
  size_t n = wire::WriteEthernetHeader(f, kHostMac, kPeerMac, wire::kIpv4);
  wire::Ipv4HeaderFields h;
  h.src = kPeerIp;
  h.dst = kHostIp;
  h.protocol = wire::kProtoTcp;
  n +=
      wire::WriteIpv4Header(std::span<uint8_t>(f).subspan(n), h, static_cast<uint16_t>(tcp.size()));
  std::copy(tcp.begin(), tcp.end(), f.begin() + static_cast<ptrdiff_t>(n));
  uint8_t* t = f.data() + n;
  wire::Checksum sum;
  sum.AddPseudoHeader(kPeerIp, kHostIp, wire::kProtoTcp, static_cast<uint16_t>(tcp.size()));
  sum.Add(std::span<const uint8_t>(t, tcp.size()));
  wire::Store16(t + 16, static_cast<uint16_t>(sum.Finish() ^ (break_checksum ? 0x5a5a : 0)));
  if (f.size() < wire::kMinEthernetFrame) f.resize(wire::kMinEthernetFrame, 0);
  return f;
}

void CheckInvariants(const Stack& s) {
  const std::vector<const tcp::Connection*> conns = s.tcp().Connections();
  FUZZ_CHECK(conns.size() <= 64, "connection table grew past the 4-tuples in play");
  uint64_t estab = 0;
  for (const tcp::Connection* c : conns) {
    estab += c->state() == tcp::State::kEstablished || c->state() == tcp::State::kCloseWait;
  }
  // Connections the application still holds after they closed are not in the table, and were
  // not counted as established either.
  FUZZ_CHECK(s.mib().Get(Counter::kTcpCurrEstab) == estab, "TcpCurrEstab disagrees with states");
}

// The apps: echo on 7 (reads, echoes, closes after EOF), discard on 9 (reads, closes on EOF).
struct Apps {
  explicit Apps(socket::SocketApi& api) : api(api) {
    for (uint16_t port : {7, 9}) {
      const int fd = api.Socket();
      api.Bind(fd, {wire::Ipv4Address::Any(), port});
      api.Listen(fd, 4);
      listeners[fd] = port == 7;
    }
    client = api.Socket();
    api.Connect(client, {kPeerIp, 80});
  }
  void Service() {
    uint8_t buf[2048];
    for (const auto& [lfd, echo] : listeners) {
      for (int fd; (fd = api.Accept(lfd)) >= 0;) conns[fd] = echo;
    }
    for (auto it = conns.begin(); it != conns.end();) {
      bool done = false;
      for (int64_t n; (n = api.Recv(it->first, buf)) != 0;) {
        if (n < 0) {
          done = n != -EAGAIN;
          break;
        }
        if (it->second) api.Send(it->first, std::span<const uint8_t>(buf, static_cast<size_t>(n)));
      }
      if (api.Recv(it->first, std::span<uint8_t>(buf, 1), socket::kMsgPeek) == 0) done = true;
      if (done) {
        api.Close(it->first);
        it = conns.erase(it);
      } else {
        ++it;
      }
    }
  }
  socket::SocketApi& api;
  std::map<int, bool> listeners;
  std::map<int, bool> conns;
  int client = -1;
};

// One record's fixed part. Controls: bit 0 rebase seq, bit 1 rebase ack, bit 2 break the checksum,
// bit 3 delay in seconds instead of milliseconds, bit 4 close the client socket, bit 5 shut down
// its writing side.
struct Record {
  uint8_t control, delay, port, seq_delta, ack_delta, flags, window, optlen, len;
};

}  // namespace
}  // namespace taptcp

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace taptcp;
  Recorder link;
  StackConfig cfg;
  cfg.mac = kHostMac;
  cfg.addr = kHostIp;
  Stack stack(cfg, &link, kEpoch, /*seed=*/1);
  // The peer's MAC, learned the way the kernel would teach it: an ARP request for the host.
  {
    std::vector<uint8_t> arp(wire::kMinEthernetFrame, 0);
    size_t n = wire::WriteEthernetHeader(arp, wire::MacAddress::Broadcast(), kPeerMac, wire::kArp);
    wire::WriteArp(std::span<uint8_t>(arp).subspan(n), wire::kArpOpRequest, kPeerMac, kPeerIp, {},
                   kHostIp);
    stack.Input(arp, kEpoch);
  }
  Apps apps(stack.sockets());
  Instant now = kEpoch;
  constexpr uint16_t kPorts[] = {7, 9, 7, 9, 80, 22};
  std::span<const uint8_t> in(data, size);
  while (in.size() >= sizeof(Record)) {
    Record r;
    std::memcpy(&r, in.data(), sizeof r);
    in = in.subspan(sizeof r);
    const size_t optlen = std::min<size_t>(r.optlen % 41, in.size());
    const std::span<const uint8_t> opts = in.first(optlen);
    in = in.subspan(optlen);
    const size_t len = std::min<size_t>(r.len, in.size());
    const std::span<const uint8_t> payload = in.first(len);
    in = in.subspan(len);

    now += (r.control & 8) ? Duration(seconds(r.delay)) : Duration(milliseconds(r.delay));
    stack.Advance(now);
    apps.Service();
    if (r.control & 16) apps.api.Close(apps.client);
    if (r.control & 32) apps.api.Shutdown(apps.client, socket::kShutWr);

    // Which socket the segment is for: a listener's port from one of 16 peer ports, or the
    // host's own connection (from the peer's port 80 to the host's ephemeral port).
    uint16_t host_port = kPorts[r.port % 6];
    uint16_t peer_port = static_cast<uint16_t>(40000 + (r.port >> 4));
    if (host_port == 80) {
      socket::SockAddr local;
      apps.api.GetSockName(apps.client, &local);
      host_port = local.port != 0 ? local.port : 80;
      peer_port = 80;
    }
    const PeerView view = link.peers[peer_port];
    const uint32_t seq = (r.control & 1) ? view.next_seq + static_cast<int8_t>(r.seq_delta)
                                         : static_cast<uint32_t>(r.seq_delta) << 24;
    const uint32_t ack = (r.control & 2) ? view.next_ack + static_cast<int8_t>(r.ack_delta)
                                         : static_cast<uint32_t>(r.ack_delta) << 24;
    // The TCP header laid out by hand, so options can be any bytes at all.
    const size_t header = 20 + ((optlen + 3) & ~size_t{3});
    std::vector<uint8_t> tcp(header + len, 0);
    wire::Store16(tcp.data(), peer_port);
    wire::Store16(tcp.data() + 2, host_port);
    wire::Store32(tcp.data() + 4, seq);
    wire::Store32(tcp.data() + 8, ack);
    tcp[12] = static_cast<uint8_t>((header / 4) << 4);
    tcp[13] = r.flags;
    wire::Store16(tcp.data() + 14, static_cast<uint16_t>(r.window) << 8);
    std::copy(opts.begin(), opts.end(), tcp.begin() + 20);
    std::copy(payload.begin(), payload.end(), tcp.begin() + static_cast<ptrdiff_t>(header));
    stack.Input(Frame(tcp, (r.control & 4) != 0), now);
    apps.Service();
    CheckInvariants(stack);
  }
  // Hours pass: retransmissions give up, keepalives and TIME_WAIT run out, all in virtual time.
  for (int i = 0; i < 8; ++i) {
    now += minutes(20);
    stack.Advance(now);
    apps.Service();
    CheckInvariants(stack);
  }
  return 0;
}
