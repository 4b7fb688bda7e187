// `taptcp synflood --dev IF --to IP:PORT --count N [--rate PPS] [--max_seconds S] [--src CIDR]
// [--seed N] [--dst_mac MAC]`: a bounded SYN flood, for watching a listener's SYN queue, accept
// queue and SYN cookies live (LINUX_TCP.md "Listen queues", "SYN cookies"; `taptcp ss -l`,
// `taptcp nstat`). It runs on the kernel's side of a TAP device in a namespace of the user's making
// and writes whole Ethernet frames onto that interface through an AF_PACKET socket, so the SYNs
// can carry spoofed sources and the kernel's own TCP takes no part.
//
// Bounded by design: destination and sources must lie in TEST-NET-1 (192.0.2.0/24) or TEST-NET-2
// (198.51.100.0/24), RFC 5737 documentation space that no real host answers for; --count is
// required and capped, and --max_seconds stops it whatever --count says.
//
// Each SYN looks like a Linux client's (tcp_syn_options: MSS 1460, SACK-permitted, timestamps,
// window scale 7; window 64240; DF, TTL 64, random IP ID), so a cookie SYN-ACK has options to
// encode. Sources, ports, ISNs and TSvals come from --seed: the same seed sends the same SYNs.
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "apps/commands.h"
#include "stack/absl_sv.h"
#include "stack/wire/arp.h"
#include "stack/wire/ethernet.h"
#include "stack/wire/ipv4.h"
#include "stack/wire/tcp.h"

// Shared with `taptcp connect` (apps/connect.cc): one flag per name in the binary.
ABSL_DECLARE_FLAG(std::string, to);
ABSL_DECLARE_FLAG(int64_t, count);

ABSL_FLAG(std::string, dev, "",
          "synflood: the interface to write the SYNs onto, e.g. the kernel's side of a TAP "
          "device (run inside its namespace: ip netns exec NS taptcp synflood ...); with --to "
          "IP:PORT (in 192.0.2.0/24 or 198.51.100.0/24) and --count N (required, at most "
          "10000000)");
ABSL_FLAG(std::string, src, "198.51.100.0/24",
          "synflood: spoofed source addresses are drawn from this prefix, which must lie in "
          "192.0.2.0/24 or 198.51.100.0/24");
ABSL_FLAG(std::string, dst_mac, "",
          "synflood: destination MAC; default: --to's entry in the kernel's neighbour table "
          "(/proc/net/arp), else the answer to an ARP request sent from --dev");
ABSL_FLAG(uint64_t, seed, 1,
          "synflood: seeds sources, ports, ISNs and TSvals (same seed, same SYNs)");
ABSL_FLAG(int64_t, rate, 100000, "synflood: SYNs per second, 1..10000000");
ABSL_FLAG(double, max_seconds, 10,
          "synflood: stop after this many seconds whatever --count says (at most 600)");

namespace taptcp::apps {
namespace {

constexpr int64_t kMaxCount = 10'000'000;
constexpr int64_t kMaxRate = 10'000'000;
constexpr double kMaxSeconds = 600;
constexpr size_t kBatch = 64;  // frames per sendmmsg
// Ethernet + IPv4 + TCP with MSS, SACK-permitted, timestamps and window scale (20 + 20 bytes).
constexpr size_t kSynFrameSize = wire::kEthernetHeaderSize + wire::kIpv4MinHeaderSize + 40;

// RFC 5737 documentation networks: the only places this tool may send to or pretend to be from.
constexpr wire::Ipv4Address kTestNet1 = wire::Ipv4Address::FromOctets(192, 0, 2, 0);
constexpr wire::Ipv4Address kTestNet2 = wire::Ipv4Address::FromOctets(198, 51, 100, 0);

volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

int Fail(int code, const std::string& what) {
  std::fprintf(stderr, "taptcp synflood: %s\n", what.c_str());
  return code;
}

bool InTestNet(wire::Ipv4Address ip) {
  return ip.InSubnet(kTestNet1, 24) || ip.InSubnet(kTestNet2, 24);
}

// A socket, closed on scope exit.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

// The spoofed sources: host addresses of --src, without its network and broadcast addresses
// (prefixes up to /30) and without --to's own address (a SYN from itself is a LAND packet, which
// every stack drops before it reaches a listener).
class SourcePicker {
 public:
  SourcePicker(wire::Ipv4Address net, int prefix_len, wire::Ipv4Address avoid)
      : base_(net.value & wire::PrefixMask(prefix_len)), avoid_(avoid) {
    const uint64_t size = uint64_t{1} << (32 - prefix_len);
    first_ = size >= 4 ? 1 : 0;
    count_ = size >= 4 ? size - 2 : size;
  }
  // Addresses it may draw; 0 when --to is the only one.
  uint64_t usable() const {
    const bool has_avoid = avoid_.value >= base_ + first_ && avoid_.value < base_ + first_ + count_;
    return count_ - (has_avoid ? 1 : 0);
  }
  wire::Ipv4Address Pick(std::mt19937_64& rng) const {
    for (;;) {
      const wire::Ipv4Address a{static_cast<uint32_t>(base_ + first_ + rng() % count_)};
      if (a != avoid_) return a;
    }
  }

 private:
  uint32_t base_;
  wire::Ipv4Address avoid_;
  uint64_t first_ = 0, count_ = 0;
};

// The SYN of a Linux client (tcp_syn_options / tcp_options_write) from `src`, with its port, ISN,
// IP ID and TSval drawn from `rng`.
size_t BuildSyn(std::span<uint8_t> out, wire::MacAddress dst_mac, wire::MacAddress src_mac,
                wire::Ipv4Address src, wire::Ipv4Address dst, uint16_t dst_port,
                std::mt19937_64& rng) {
  const uint64_t r = rng();
  wire::TcpHeaderFields tcp;
  tcp.src_port = static_cast<uint16_t>(1024 + (r & 0xFFFF) % (65536 - 1024));
  tcp.dst_port = dst_port;
  tcp.seq = static_cast<uint32_t>(r >> 32);
  tcp.flags = wire::kSyn;
  tcp.window = 64240;  // Linux: 44 full-size (1460) segments of the initial receive window
  wire::TcpOptions opt;
  opt.mss = 1460;
  opt.sack_permitted = true;
  opt.timestamp = std::make_pair(static_cast<uint32_t>(rng()), 0u);
  opt.window_scale = 7;
  const size_t l3 = wire::kEthernetHeaderSize;
  const size_t l4 = l3 + wire::kIpv4MinHeaderSize;
  const size_t tcp_len = wire::WriteTcpSegment(out.subspan(l4), src, dst, tcp, opt, {});
  wire::Ipv4HeaderFields ip;
  ip.src = src;
  ip.dst = dst;
  ip.protocol = wire::kProtoTcp;
  ip.id = static_cast<uint16_t>(r >> 16);
  if (tcp_len == 0 || wire::WriteIpv4Header(out.subspan(l3), ip, tcp_len) == 0) return 0;
  wire::WriteEthernetHeader(out, dst_mac, src_mac, wire::kIpv4);
  return l4 + tcp_len;
}

// The interface's MAC (SIOCGIFHWADDR) and IPv4 address (SIOCGIFADDR; nullopt without one).
bool InterfaceAddresses(const std::string& dev, wire::MacAddress* mac,
                        std::optional<wire::Ipv4Address>* ip) {
  Fd s{socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)};
  if (s.fd < 0) return false;
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, dev.c_str(), IFNAMSIZ - 1);
  if (ioctl(s.fd, SIOCGIFHWADDR, &ifr) != 0) return false;
  std::memcpy(mac->bytes.data(), ifr.ifr_hwaddr.sa_data, 6);
  ip->reset();
  if (ioctl(s.fd, SIOCGIFADDR, &ifr) == 0 && ifr.ifr_addr.sa_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&ifr.ifr_addr);
    *ip = wire::Ipv4Address{ntohl(sin->sin_addr.s_addr)};
  }
  return true;
}

// --to's complete entry on --dev in the kernel's neighbour table of this namespace.
std::optional<wire::MacAddress> NeighbourMac(const std::string& dev, wire::Ipv4Address ip) {
  std::ifstream in("/proc/net/arp");
  std::string line;
  std::getline(in, line);  // "IP address  HW type  Flags  HW address  Mask  Device"
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string addr, type, flags, hw, mask, device;
    if (!(f >> addr >> type >> flags >> hw >> mask >> device)) continue;
    uint32_t fl = 0;
    // ATF_COM (0x2): the entry is resolved (include/uapi/linux/if_arp.h).
    if (device != dev || addr != ip.ToString() || !absl::SimpleHexAtoi(Sv(flags), &fl) ||
        (fl & 0x2) == 0) {
      continue;
    }
    if (std::optional<wire::MacAddress> m = wire::MacAddress::Parse(hw); m && !m->IsZero())
      return m;
  }
  return std::nullopt;
}

// Asks for --to's MAC with an ARP request of our own (RFC 826) from the interface's addresses;
// three tries, a second apart.
std::optional<wire::MacAddress> ArpFor(int ifindex, wire::MacAddress our_mac,
                                       wire::Ipv4Address our_ip, wire::Ipv4Address target) {
  Fd s{socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ARP))};
  if (s.fd < 0) return std::nullopt;
  sockaddr_ll ll{};
  ll.sll_family = AF_PACKET;
  ll.sll_protocol = htons(ETH_P_ARP);
  ll.sll_ifindex = ifindex;
  if (bind(s.fd, reinterpret_cast<sockaddr*>(&ll), sizeof(ll)) != 0) return std::nullopt;
  std::array<uint8_t, wire::kMinEthernetFrame> req{};
  const size_t n =
      wire::WriteEthernetHeader(req, wire::MacAddress::Broadcast(), our_mac, wire::kArp);
  wire::WriteArp(std::span<uint8_t>(req).subspan(n), wire::kArpOpRequest, our_mac, our_ip,
                 wire::MacAddress{}, target);
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (send(s.fd, req.data(), req.size(), 0) < 0) return std::nullopt;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          until - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      pollfd p{s.fd, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
      std::array<uint8_t, 2048> buf;
      const ssize_t got = recv(s.fd, buf.data(), buf.size(), 0);
      if (got <= 0) continue;
      const std::span<const uint8_t> frame(buf.data(), static_cast<size_t>(got));
      wire::EthernetView eth;
      wire::ArpView arp;
      if (wire::EthernetView::Parse(frame, &eth) == wire::DropReason::kNone &&
          eth.ethertype() == wire::kArp &&
          wire::ArpView::Parse(eth.payload(), &arp) == wire::DropReason::kNone &&
          arp.op() == wire::kArpOpReply && arp.sender_ip() == target) {
        return arp.sender_mac();
      }
    }
  }
  return std::nullopt;
}

// Whether the command line names flag `name` (--name, --name=V, -name, -name=V). --count is
// required but is also `taptcp connect`'s flag, with a default of 1, so its value cannot tell;
// this Debian abseil (20220623) keeps CommandLineFlag::IsSpecifiedOnCommandLine private, so ask
// the kernel for our argv instead.
bool GivenOnCommandLine(const std::string& name) {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string arg;
  while (std::getline(in, arg, '\0')) {
    if (arg == "--") break;
    std::string_view a = arg;
    if (a.starts_with("--")) {
      a.remove_prefix(2);
    } else if (a.starts_with("-")) {
      a.remove_prefix(1);
    } else {
      continue;
    }
    if (a == name || a.starts_with(name + "=")) return true;
  }
  return false;
}

uint64_t ReadCounter(const std::string& path) {
  std::ifstream in(path);
  uint64_t v = 0;
  in >> v;
  return v;
}

}  // namespace

int RunSynflood() {
  // --- flags: everything checked before any socket is opened --------------------------------
  const std::string dev = absl::GetFlag(FLAGS_dev);
  if (dev.empty() || dev.size() >= IFNAMSIZ) {
    return Fail(2, "--dev NAME is required: the interface to send on (at most 15 characters)");
  }
  const std::string to = absl::GetFlag(FLAGS_to);
  const size_t colon = to.rfind(':');
  std::optional<wire::Ipv4Address> dst;
  uint32_t port = 0;
  if (colon != std::string::npos) {
    dst = wire::Ipv4Address::Parse(to.substr(0, colon));
    if (!absl::SimpleAtoi(Sv(std::string_view(to).substr(colon + 1)), &port)) port = 0;
  }
  if (!dst || port == 0 || port > 65535) {
    return Fail(2, "bad --to '" + to + "': expected IP:PORT like 192.0.2.2:80");
  }
  if (!InTestNet(*dst)) {
    return Fail(2, "refusing --to " + dst->ToString() +
                       ": only 192.0.2.0/24 and 198.51.100.0/24 (RFC 5737 test networks)");
  }
  const std::string src_text = absl::GetFlag(FLAGS_src);
  const std::optional<std::pair<wire::Ipv4Address, int>> src = wire::ParseCidr(src_text);
  if (!src) return Fail(2, "bad --src '" + src_text + "': expected a prefix like 198.51.100.0/24");
  // Inside a test network means a /24 or longer prefix whose network lies in one.
  if (src->second < 24 || !InTestNet(src->first)) {
    return Fail(2, "refusing --src " + src_text +
                       ": sources must lie in 192.0.2.0/24 or 198.51.100.0/24 (RFC 5737 test "
                       "networks)");
  }
  const SourcePicker sources(src->first, src->second, *dst);
  if (sources.usable() == 0) {
    return Fail(2, "bad --src " + src_text + ": it holds no address but --to's own");
  }
  const int64_t count = absl::GetFlag(FLAGS_count);
  if (!GivenOnCommandLine("count")) {
    return Fail(2, absl::StrCat("--count N is required: how many SYNs, 1..", kMaxCount));
  }
  if (count < 1 || count > kMaxCount) {
    return Fail(2, absl::StrCat("bad --count ", count, ": expected 1..", kMaxCount));
  }
  const int64_t rate = absl::GetFlag(FLAGS_rate);
  if (rate < 1 || rate > kMaxRate) {
    return Fail(2, absl::StrCat("bad --rate ", rate, ": expected SYNs per second, 1..", kMaxRate));
  }
  const double max_seconds = absl::GetFlag(FLAGS_max_seconds);
  if (!(max_seconds > 0 && max_seconds <= kMaxSeconds)) {
    return Fail(
        2, absl::StrCat("bad --max_seconds ", max_seconds, ": expected 0 < S <= ", kMaxSeconds));
  }
  std::optional<wire::MacAddress> dst_mac;
  if (const std::string m = absl::GetFlag(FLAGS_dst_mac); !m.empty()) {
    dst_mac = wire::MacAddress::Parse(m);
    if (!dst_mac) return Fail(2, "bad --dst_mac '" + m + "': expected 02:54:41:50:00:02");
  }

  // --- the interface and the raw socket -------------------------------------------------------
  const unsigned ifindex = if_nametoindex(dev.c_str());
  if (ifindex == 0) {
    return Fail(1, "no interface '" + dev +
                       "' here (ip link lists them; for one in a namespace: ip netns exec NS "
                       "taptcp synflood ...)");
  }
  Fd raw{socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0)};  // protocol 0: send only, receive nothing
  if (raw.fd < 0) {
    if (errno == EPERM || errno == EACCES) {
      return Fail(1,
                  "needs CAP_NET_RAW to write raw frames: run it as root (sudo), or grant it "
                  "with sudo setcap cap_net_raw+ep $(command -v taptcp)");
    }
    return Fail(1, absl::StrCat("AF_PACKET socket: ", std::strerror(errno)));
  }
  sockaddr_ll ll{};
  ll.sll_family = AF_PACKET;
  ll.sll_ifindex = static_cast<int>(ifindex);
  if (bind(raw.fd, reinterpret_cast<sockaddr*>(&ll), sizeof(ll)) != 0) {
    return Fail(1, absl::StrCat("bind to ", dev, ": ", std::strerror(errno)));
  }
  wire::MacAddress src_mac;
  std::optional<wire::Ipv4Address> dev_ip;
  if (!InterfaceAddresses(dev, &src_mac, &dev_ip)) {
    return Fail(1, absl::StrCat("cannot read ", dev, "'s MAC address: ", std::strerror(errno)));
  }
  // The destination MAC: given, or the kernel's neighbour entry, or our own ARP request. The
  // kernel has an entry once it has talked to --to (a ping, a connection); the ARP request needs
  // an IPv4 address on --dev to ask from.
  if (!dst_mac) dst_mac = NeighbourMac(dev, *dst);
  if (!dst_mac && dev_ip) dst_mac = ArpFor(static_cast<int>(ifindex), src_mac, *dev_ip, *dst);
  if (!dst_mac) {
    return Fail(1, "cannot find " + dst->ToString() + "'s MAC on " + dev +
                       (dev_ip ? ": no neighbour entry and no answer to ARP in 3 s"
                               : ": no neighbour entry, and no IPv4 address on it to ARP from") +
                       " (is the listener up? or give --dst_mac)");
  }

  // --- the flood --------------------------------------------------------------------------------
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  const std::string drops_path = "/sys/class/net/" + dev + "/statistics/tx_dropped";
  const uint64_t drops_before = ReadCounter(drops_path);
  std::mt19937_64 rng(absl::GetFlag(FLAGS_seed));
  std::vector<std::array<uint8_t, kSynFrameSize>> frames(kBatch);
  std::array<iovec, kBatch> iov{};
  std::array<mmsghdr, kBatch> msgs{};
  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  int64_t sent = 0, queue_full = 0;
  bool timed_out = false;
  size_t pending = 0, next = 0;  // frames built but not yet sent: frames[next..pending)
  while (!g_stop) {
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    if (elapsed >= max_seconds) {
      timed_out = sent < count;
      break;
    }
    if (sent == count) break;
    if (next == pending) {
      // A token bucket with no burst beyond one batch: SYN k leaves no earlier than k / rate s.
      const int64_t due = std::min<int64_t>(count, static_cast<int64_t>(elapsed * rate) + 1);
      const int64_t n = std::min<int64_t>(kBatch, due - sent);
      if (n <= 0) {
        const double wait = static_cast<double>(sent) / static_cast<double>(rate) - elapsed;
        std::this_thread::sleep_for(std::chrono::duration<double>(std::max(wait, 20e-6)));
        continue;
      }
      for (size_t i = 0; i < static_cast<size_t>(n); ++i) {
        const size_t len = BuildSyn(frames[i], *dst_mac, src_mac, sources.Pick(rng), *dst,
                                    static_cast<uint16_t>(port), rng);
        if (len != kSynFrameSize) return Fail(1, "internal error: could not build a SYN frame");
        iov[i] = {frames[i].data(), len};
        msgs[i] = {};
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
      }
      next = 0;
      pending = static_cast<size_t>(n);
    }
    const int r = sendmmsg(raw.fd, &msgs[next], static_cast<unsigned>(pending - next), 0);
    if (r > 0) {
      next += static_cast<size_t>(r);
      sent += r;
    } else if (r < 0 && (errno == ENOBUFS || errno == EAGAIN)) {
      // The device queue is full: back off and send the same frame again, so --rate is what
      // the interface really took.
      ++queue_full;
      std::this_thread::sleep_for(std::chrono::microseconds(100));
    } else if (r < 0 && errno != EINTR) {
      return Fail(1, absl::StrCat("sendmmsg on ", dev, ": ", std::strerror(errno),
                                  errno == ENETDOWN ? " (ip link set DEV up)" : ""));
    }
  }
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  const uint64_t drops = ReadCounter(drops_path) - drops_before;
  std::printf(
      "taptcp synflood: sent %lld SYNs to %s:%u from %s on %s in %.3f s: %.0f SYN/s "
      "(asked %lld/s)\n",
      static_cast<long long>(sent), dst->ToString().c_str(), port, src_text.c_str(), dev.c_str(),
      secs, secs > 0 ? static_cast<double>(sent) / secs : 0.0, static_cast<long long>(rate));
  if (queue_full > 0) {
    std::printf("  the device queue was full %lld times (ENOBUFS): backed off and resent\n",
                static_cast<long long>(queue_full));
  }
  if (drops > 0) {
    std::printf("  %s dropped %llu of them (tx_dropped: its reader did not keep up)\n", dev.c_str(),
                static_cast<unsigned long long>(drops));
  }
  if (timed_out) {
    std::printf("  stopped by --max_seconds %.3g before --count %lld\n", max_seconds,
                static_cast<long long>(count));
  }
  if (g_stop) std::printf("  interrupted\n");
  return 0;
}

}  // namespace taptcp::apps
