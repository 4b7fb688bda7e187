// `taptcp demo`: the README's main command. In a network namespace of its own, the Linux kernel
// and taptcp meet on a TAP device; the kernel pings taptcp, and the demo shows what happened from
// both sides: the kernel's neighbour entry for taptcp's MAC, taptcp's counters and neighbour table,
// and every frame of the capture. It cleans up after itself and explains what the user saw.
//
// It grows with each issue: TCP echo and HTTP, the close orders and TIME_WAIT come next.
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "apps/commands.h"
#include "apps/frame_summary.h"
#include "apps/host_flags.h"
#include "apps/tap_host.h"
#include "capture/pcap_reader.h"
#include "tap/netns.h"
#include "tap/privileges.h"

ABSL_FLAG(int, pings, 3, "how many echo requests the kernel sends (1..20)");

namespace taptcp::apps {
namespace {

constexpr char kKernelAddr[] = "192.0.2.1/24";  // TEST-NET-1, only inside our namespace
constexpr char kStackIp[] = "192.0.2.2";

tap::EventLoop* g_loop = nullptr;
volatile std::sig_atomic_t g_interrupted = 0;

void OnSignal(int) {
  g_interrupted = 1;
  if (g_loop != nullptr) g_loop->Stop();  // async-signal-safe: an eventfd write
}

void Section(const char* title) { std::printf("\n== %s\n", title); }

void Indent(const std::string& text) {
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::printf("   %.*s\n", static_cast<int>(line.size()), line.data());
  }
}

// A demo that crashed (or was killed with SIGKILL) could not run its cleanup. Its namespace is
// named taptcp-demo-<pid>; remove those whose process no longer exists, and nothing else.
void RemoveStaleDemoNamespaces() {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/run/netns", ec)) {
    const std::string name = entry.path().filename().string();
    constexpr std::string_view kPrefix = "taptcp-demo-";
    if (!name.starts_with(kPrefix)) continue;
    int pid = 0;
    if (!absl::SimpleAtoi(name.substr(kPrefix.size()), &pid) || pid <= 0) continue;
    if (kill(pid, 0) == 0 || errno != ESRCH) continue;  // still running (or not ours to judge)
    std::printf("   (removing namespace %s left by a demo that did not finish)\n", name.c_str());
    (void)tap::RunProcess({"ip", "netns", "del", name});
  }
}

int Fail(const absl::Status& s) {
  std::fprintf(stderr, "taptcp demo: %s\n", std::string(s.message()).c_str());
  return 1;
}

}  // namespace

int RunDemo(const std::vector<std::string>& sysctls) {
  const int pings = absl::GetFlag(FLAGS_pings);
  if (pings < 1 || pings > 20) {
    std::fprintf(stderr, "taptcp demo: bad --pings %d: expected 1..20\n", pings);
    return 2;
  }
  if (absl::Status s = tap::CheckTapPrivileges(); !s.ok()) return Fail(s);
  RemoveStaleDemoNamespaces();

  // Names carry the pid so two demos never collide, and cleanup removes exactly what we made.
  const std::string ns_name = absl::StrCat("taptcp-demo-", getpid());
  TapHostOptions options = HostOptionsFromFlags(sysctls);
  options.tap = absl::StrCat("tdemo", getpid() % 100000);
  options.addr = absl::StrCat(kStackIp, "/24");
  if (options.pcap.empty()) options.pcap = "taptcp-demo.pcap";

  std::printf("taptcp demo: the Linux kernel and taptcp on one Ethernet link (a TAP device)\n");
  std::printf("   kernel  %s  in network namespace %s, device %s\n", kKernelAddr, ns_name.c_str(),
              options.tap.c_str());
  std::printf("   taptcp  %s/24  in this process, MAC %s\n", kStackIp, options.mac.c_str());

  absl::StatusOr<std::unique_ptr<tap::Netns>> ns = tap::Netns::Create(ns_name);
  if (!ns.ok()) return Fail(ns.status());
  // IPv6 stays off in the namespace so the capture shows only what this demo is about.
  (void)(*ns)->Exec({"sh", "-c",
                     "echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6; "
                     "echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6"});
  absl::StatusOr<std::unique_ptr<TapHost>> host = TapHost::Open(options);
  if (!host.ok()) return Fail(host.status());
  for (absl::Status s : {(*ns)->MoveLink(options.tap), (*ns)->AddAddress(options.tap, kKernelAddr),
                         (*ns)->SetUp(options.tap)}) {
    if (!s.ok()) return Fail(s);
  }

  TapHost& h = **host;
  h.loop().set_handle_signals(false);  // this thread handles them, so cleanup always runs
  g_loop = &h.loop();
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  absl::Status loop_status;
  std::thread stack_thread([&] {
    absl::StatusOr<tap::EventLoop::StopReason> r = h.loop().Run();
    if (!r.ok()) loop_status = r.status();
  });

  Section(absl::StrCat("the kernel pings taptcp: ping -c ", pings, " ", kStackIp).c_str());
  absl::StatusOr<tap::ExecResult> ping =
      (*ns)->Exec({"ping", "-n", "-c", absl::StrCat(pings), "-i", "0.2", "-W", "2", kStackIp},
                  seconds(5 + pings));
  if (ping.ok()) Indent(ping->output);
  Section("the kernel's neighbour (ARP) entry for taptcp: ip neigh show");
  absl::StatusOr<tap::ExecResult> neigh = (*ns)->Exec({"ip", "neigh", "show", kStackIp});
  if (neigh.ok()) Indent(neigh->output);

  h.loop().Stop();
  stack_thread.join();
  g_loop = nullptr;
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  if (!loop_status.ok()) return Fail(loop_status);
  (void)h.capture()->Flush();

  Stack& stack = h.stack();
  Section("taptcp's neighbour table");
  for (const net::ArpCache::EntryInfo& e : stack.arp().Entries()) {
    std::printf("   %s lladdr %s %s\n", e.ip.ToString().c_str(), e.mac.ToString().c_str(),
                std::string(net::NeighStateName(e.state)).c_str());
  }
  Section("taptcp's counters (as `nstat` names them; zeros left out)");
  Indent(stack.mib().Format(false));

  Section(absl::StrCat("the capture: ", options.pcap, " (open it in Wireshark)").c_str());
  absl::StatusOr<std::vector<capture::CapturedFrame>> frames = capture::ReadPcap(options.pcap);
  if (frames.ok() && !frames->empty()) {
    const Instant t0 = frames->front().time;
    for (const capture::CapturedFrame& f : *frames) {
      std::printf("   %9.6f  %s\n", ToSeconds(f.time - t0), SummarizeFrame(f.bytes).c_str());
    }
  }

  const bool ping_ok = ping.ok() && ping->exit_code == 0 &&
                       ping->output.find(absl::StrCat(pings, " received")) != std::string::npos;
  const std::string mac = stack.config().mac.ToString();
  const bool neigh_ok = neigh.ok() && neigh->output.find(mac) != std::string::npos;
  const bool ignoring = stack.sysctl().icmp_echo_ignore_all != 0;
  (*ns).reset();  // deletes the namespace, and with it the TAP device's kernel side
  host->reset();
  std::printf("\n== cleaned up: namespace %s and device %s are gone\n", ns_name.c_str(),
              options.tap.c_str());

  std::printf(R"(
What you saw:
   The kernel did not know taptcp's MAC, so it broadcast an ARP "who-has 192.0.2.2"; taptcp
   answered "is-at %s" and, because someone asking is about to talk, learned the kernel's
   MAC too (a STALE entry, as Linux's arp_process does). Then each echo request got its reply.
   The counters are named as `nstat` names Linux's: IpInReceives, IcmpInEchos, IcmpOutEchoReps.
Try next:
   taptcp demo --sysctl net.ipv4.icmp_echo_ignore_all=1     (pings go unanswered; see the drops)
   taptcp serve --tap tap0 --addr 192.0.2.2/24 --trace      (your own namespace; see README)
   taptcp sysctl                                            (every knob and its Linux default)
)",
              mac.c_str());
  if (g_interrupted) return 130;
  if (!neigh_ok || (!ping_ok && !ignoring)) {
    std::fprintf(stderr, "taptcp demo: the kernel %s\n",
                 !neigh_ok ? "did not learn taptcp's MAC" : "did not get every ping answered");
    return 1;
  }
  return 0;
}

}  // namespace taptcp::apps
