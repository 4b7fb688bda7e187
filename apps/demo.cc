// `taptcp demo`: the README's main command. In a network namespace of its own, the Linux kernel
// and taptcp meet on a TAP device. taptcp serves echo (port 7), HTTP (port 80) and a server that
// closes first (port 9); the kernel pings it, fetches a page with curl, echoes a line through a
// plain socket, and opens a short burst of connections the server closes. Then the demo shows
// both sides: the kernel's `ss` beside taptcp's (TIME-WAIT sits on the side that closed first),
// taptcp's counters, and the capture. It cleans up after itself and explains what the user saw.
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "apps/commands.h"
#include "apps/control_client.h"
#include "apps/frame_summary.h"
#include "apps/host_flags.h"
#include "apps/ss_format.h"
#include "apps/tap_host.h"
#include "apps/tcp_apps.h"
#include "capture/pcap_reader.h"
#include "stack/absl_sv.h"
#include "tap/netns.h"
#include "tap/privileges.h"

ABSL_FLAG(int, pings, 2, "how many echo requests the kernel sends (1..20)");
ABSL_FLAG(int, burst, 5, "connections the server closes first, to show its TIME-WAIT (1..50)");

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

constexpr uint16_t kEchoPort = 7, kClosePort = 9, kHttpPort = 80;

// The kernel's side of the TCP part, as small python3 programs run inside the namespace.
constexpr char kEchoClient[] = R"py(
import socket
s = socket.create_connection(("192.0.2.2", 7), timeout=5)
s.sendall(b"hello, taptcp\n")
got = b""
while not got.endswith(b"\n"):
    chunk = s.recv(100)
    if not chunk:
        break
    got += chunk
print("sent 'hello, taptcp', got back", repr(got.decode().strip()))
s.close()  # the kernel closes first: its side ends in TIME-WAIT
)py";

constexpr char kBurstClient[] = R"py(
import socket, sys
n, eof = int(sys.argv[1]), 0
for _ in range(n):
    s = socket.create_connection(("192.0.2.2", 9), timeout=5)
    if s.recv(100) == b"":  # the server closed first: EOF
        eof += 1
    s.close()
print(f"{n} connections to port 9, {eof} closed by taptcp first (EOF before we closed)")
)py";

// One `ss` row, compacted for the side-by-side table: state, local -> peer, timer.
std::string Compact(std::string_view state, std::string_view local, std::string_view peer,
                    std::string_view timer) {
  char line[160];
  std::snprintf(line, sizeof line, "%-10.*s %-15.*s %-15.*s %.*s", static_cast<int>(state.size()),
                state.data(), static_cast<int>(local.size()), local.data(),
                static_cast<int>(peer.size()), peer.data(), static_cast<int>(timer.size()),
                timer.data());
  return line;
}

// `ss -Htan -o` lines from the kernel: State Recv-Q Send-Q Local Peer [timer:(...)].
std::vector<std::string> KernelRows(const std::string& ss_output) {
  std::vector<std::string> rows;
  for (absl::string_view line : absl::StrSplit(ss_output, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (f.size() < 5) continue;
    std::string timer;
    if (f.size() > 5 && absl::StartsWith(f[5], "timer:(")) {
      std::vector<absl::string_view> t = absl::StrSplit(f[5].substr(7), ',');
      if (t.size() >= 2) timer = absl::StrCat(t[0], " ", t[1]);
    }
    const auto std_sv = [](absl::string_view v) { return std::string_view(v.data(), v.size()); };
    rows.push_back(Compact(std_sv(f[0]), std_sv(f[3]), std_sv(f[4]), timer));
  }
  return rows;
}

std::vector<std::string> TaptcpRows(const std::vector<SsRow>& rows) {
  std::vector<std::string> out;
  for (const SsRow& r : rows) {
    const std::string timer =
        r.timer.empty() ? "" : absl::StrCat(r.timer, " ", PrintMsTimer(r.timer_ms));
    out.push_back(Compact(r.state, r.local, r.peer, timer));
  }
  return out;
}

void SideBySide(const std::vector<std::string>& left, const std::vector<std::string>& right) {
  std::printf("   %-62s | %s\n", "the kernel (ss -tan -o, in the namespace)",
              "taptcp (taptcp ss -tan -o)");
  for (size_t i = 0; i < std::max(left.size(), right.size()); ++i) {
    std::printf("   %-62s | %s\n", i < left.size() ? left[i].c_str() : "",
                i < right.size() ? right[i].c_str() : "");
  }
}

}  // namespace

int RunDemo(const std::vector<std::string>& sysctls) {
  const int pings = absl::GetFlag(FLAGS_pings);
  if (pings < 1 || pings > 20) {
    std::fprintf(stderr, "taptcp demo: bad --pings %d: expected 1..20\n", pings);
    return 2;
  }
  const int burst = absl::GetFlag(FLAGS_burst);
  if (burst < 1 || burst > 50) {
    std::fprintf(stderr, "taptcp demo: bad --burst %d: expected 1..50\n", burst);
    return 2;
  }
  if (absl::Status s = tap::CheckTapPrivileges(); !s.ok()) return Fail(s);
  RemoveStaleDemoNamespaces();

  // Names carry the pid so two demos never collide, and cleanup removes exactly what we made.
  const std::string ns_name = absl::StrCat("taptcp-demo-", getpid());
  TapHostOptions options = HostOptionsFromFlags(sysctls);
  options.tap = absl::StrCat("tdemo", getpid() % 100000);
  options.addr = absl::StrCat(kStackIp, "/24");
  options.control = DefaultControlPath(options.tap);
  if (options.pcap.empty()) options.pcap = "taptcp-demo.pcap";

  std::printf("taptcp demo: the Linux kernel and taptcp on one Ethernet link (a TAP device)\n");
  std::printf("   kernel  %s  in network namespace %s, device %s\n", kKernelAddr, ns_name.c_str(),
              options.tap.c_str());
  std::printf("   taptcp  %s/24  in this process, MAC %s: echo on port %d, HTTP on %d,\n", kStackIp,
              options.mac.c_str(), kEchoPort, kHttpPort);
  std::printf("           and on port %d a server that closes each connection first\n", kClosePort);

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
  Stack& stack = h.stack();
  std::vector<std::unique_ptr<TcpServerApp>> servers;
  for (const auto& [mode_name, port] : std::vector<std::pair<std::string, uint16_t>>{
           {"echo", kEchoPort}, {"http", kHttpPort}, {"close", kClosePort}}) {
    ServerMode mode;
    if (absl::Status s = ServerMode::Parse(mode_name, &mode); !s.ok()) return Fail(s);
    servers.push_back(std::make_unique<TcpServerApp>(stack.sockets(), mode));
    if (absl::Status s = servers.back()->Listen(port, 128); !s.ok()) return Fail(s);
  }
  tap::EventLoop& loop = h.loop();
  h.set_service([&servers, &loop] {
    for (auto& app : servers) app->Service(loop.Now());
  });
  loop.set_handle_signals(false);  // this thread handles them, so cleanup always runs
  g_loop = &loop;
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  absl::Status loop_status;
  std::thread stack_thread([&] {
    absl::StatusOr<tap::EventLoop::StopReason> r = loop.Run();
    if (!r.ok()) loop_status = r.status();
  });
  tap::Netns& kernel = **ns;

  Section(absl::StrCat("1. the kernel pings taptcp: ping -c ", pings, " ", kStackIp).c_str());
  absl::StatusOr<tap::ExecResult> ping =
      kernel.Exec({"ping", "-n", "-c", absl::StrCat(pings), "-i", "0.2", "-W", "2", kStackIp},
                  seconds(5 + pings));
  if (ping.ok()) Indent(ping->output);

  Section("2. the kernel fetches a page from taptcp: curl -si http://192.0.2.2/");
  absl::StatusOr<tap::ExecResult> curl =
      kernel.Exec({"curl", "-si", "--max-time", "5", "http://192.0.2.2/"}, seconds(8));
  if (curl.ok()) Indent(curl->output);

  Section("3. a plain socket client echoes a line through taptcp (port 7), then closes first");
  absl::StatusOr<tap::ExecResult> echo = kernel.Exec({"python3", "-c", kEchoClient}, seconds(8));
  if (echo.ok()) Indent(echo->output);

  Section(absl::StrCat("4. a burst of ", burst, " connections that taptcp closes first (port 9)")
              .c_str());
  absl::StatusOr<tap::ExecResult> burst_run =
      kernel.Exec({"python3", "-c", kBurstClient, absl::StrCat(burst)}, seconds(10));
  if (burst_run.ok()) Indent(burst_run->output);

  Section("5. both sides now: TIME-WAIT sits on the side that closed first");
  absl::StatusOr<tap::ExecResult> kernel_ss = kernel.Exec({"ss", "-Htan", "-o"});
  absl::StatusOr<std::string> reply = QueryControl(h.control_path(), "ss");
  absl::StatusOr<std::vector<SsRow>> taptcp_rows =
      reply.ok() ? DecodeSockets(*reply) : absl::StatusOr<std::vector<SsRow>>(reply.status());
  SideBySide(kernel_ss.ok() ? KernelRows(kernel_ss->output) : std::vector<std::string>{},
             taptcp_rows.ok() ? TaptcpRows(*taptcp_rows) : std::vector<std::string>{});
  absl::StatusOr<std::string> counters_reply = QueryControl(h.control_path(), "nstat");

  loop.Stop();
  stack_thread.join();
  g_loop = nullptr;
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  if (!loop_status.ok()) return Fail(loop_status);
  (void)h.capture()->Flush();

  Section("6. taptcp's counters (taptcp nstat: named as nstat names Linux's; zeros left out)");
  absl::StatusOr<CounterRows> counters = counters_reply.ok()
                                             ? DecodeCounters(*counters_reply)
                                             : absl::StatusOr<CounterRows>(counters_reply.status());
  if (counters.ok()) {
    std::string text = FormatNstat(*counters, {}, false);
    Indent(text.substr(text.find('\n') + 1));  // without nstat's "#kernel" line
  }

  Section(absl::StrCat("7. the capture: ", options.pcap, " (open it in Wireshark)").c_str());
  absl::StatusOr<std::vector<capture::CapturedFrame>> frames = capture::ReadPcap(options.pcap);
  if (frames.ok() && !frames->empty()) {
    // The echo connection, from SYN to the last ACK: a whole TCP life in a dozen frames.
    const Instant t0 = frames->front().time;
    int shown = 0;
    for (const capture::CapturedFrame& f : *frames) {
      const std::string line = SummarizeFrame(f.bytes);
      if (line.find(":7 ") == std::string::npos) continue;
      std::printf("   %9.6f  %s\n", ToSeconds(f.time - t0), line.c_str());
      if (++shown == 16) break;
    }
    std::printf("   (%zu frames in all)\n", frames->size());
  }

  const auto contains = [](const absl::StatusOr<tap::ExecResult>& r, std::string_view what) {
    return r.ok() && r->exit_code == 0 && absl::StrContains(r->output, Sv(what));
  };
  const bool ping_ok = contains(ping, absl::StrCat(pings, " received"));
  const bool ignoring = stack.sysctl().icmp_echo_ignore_all != 0;
  const bool curl_ok = contains(curl, "HTTP/1.1 200");
  const bool echo_ok = contains(echo, "got back 'hello, taptcp'");
  const bool burst_ok = contains(burst_run, absl::StrCat(burst, " closed by taptcp first"));
  int taptcp_time_wait = 0;
  if (taptcp_rows.ok()) {
    for (const SsRow& r : *taptcp_rows) taptcp_time_wait += r.state == "TIME-WAIT";
  }
  (*ns).reset();  // deletes the namespace, and with it the TAP device's kernel side
  host->reset();
  std::printf("\n== cleaned up: namespace %s and device %s are gone\n", ns_name.c_str(),
              options.tap.c_str());

  std::printf(R"(
What you saw:
   ARP first: the kernel asked who has 192.0.2.2 and taptcp answered with its MAC; then pings.
   Each TCP connection began with the three-way handshake (SYN, SYN-ACK, ACK) with Linux's
   options (MSS 1460, SACK, timestamps, window scale 7) and ended with FINs from both sides.
   Whoever sends the first FIN waits in TIME-WAIT for 60 s (2 x MSL) so that late segments of
   this connection cannot be mistaken for a new one: the kernel for curl and the echo client
   (they closed first), taptcp for the %d connections on port 9 (it closed first).
   The counters carry Linux's names: TcpPassiveOpens counts the handshakes taptcp answered.
Try next:
   taptcp demo --sysctl net.ipv4.icmp_echo_ignore_all=1     (pings go unanswered)
   taptcp serve --tap tap0 --addr 192.0.2.2/24 --port 80 --app http --trace   (see README)
   taptcp ss -tan -o / taptcp nstat                          (against a running taptcp serve)
   taptcp sysctl                                             (every knob and its Linux default)
)",
              burst);
  if (g_interrupted) return 130;
  std::vector<std::string> failed;
  if (!ping_ok && !ignoring) failed.push_back("not every ping was answered");
  if (!curl_ok) failed.push_back("curl did not get 200 OK");
  if (!echo_ok) failed.push_back("the echo did not come back");
  if (!burst_ok) failed.push_back("the burst did not see taptcp close first");
  if (taptcp_time_wait < burst) {
    failed.push_back(
        absl::StrCat("taptcp shows ", taptcp_time_wait, " TIME-WAIT, expected ", burst));
  }
  if (!failed.empty()) {
    std::fflush(stdout);
    std::fprintf(stderr, "taptcp demo: %s\n", absl::StrJoin(failed, "; ").c_str());
    return 1;
  }
  return 0;
}

}  // namespace taptcp::apps
