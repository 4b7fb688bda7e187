// fuzz_corpus_tool: between captures and fuzz inputs.
//
//   fuzz_corpus_tool seeds PCAP_DIR OUT_DIR   every *.pcap / *.pcapng under PCAP_DIR (recursively)
//                                             becomes seeds: OUT_DIR/tcp_stack/NAME.server and
//                                             NAME.client (pcap2input both ways), OUT_DIR/wire/
//                                             NAME.N (its distinct frames, up to 32), and
//                                             OUT_DIR/pcap_reader/NAME (the capture itself, if
//                                             under 64 KiB). A missing PCAP_DIR gives empty dirs.
//   fuzz_corpus_tool pcap2input [--client] IN.pcap OUT
//                                             one capture -> one tcp_stack_fuzz input: the frames
//                                             of the side that opened each TCP connection, with
//                                             their relative times, replayed against the host's
//                                             listeners (the host plays the other side). With
//                                             --client, the frames of the side that accepted
//                                             the first connection, replayed against the host's
//                                             own active open (the host plays the client).
//   fuzz_corpus_tool describe INPUT           the ops of a tcp_stack_fuzz input, one per line
//   fuzz_corpus_tool examples DIR             writes the hand-made scenarios (Examples() below)
//                                             that seed tests/fuzz/corpus/tcp_stack
//   fuzz_corpus_tool frame2pcap FRAME OUT.pcap   a wire_fuzz input (one frame) -> a capture
//
// Sequence and acknowledgment numbers are written relative to the run (the peer's own sequence
// space, the highest sequence number the host sent), so a seed stays in the window whatever ISN
// the host picks; payload bytes become the harness's pattern so echoed data can be checked.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "capture/pcap_reader.h"
#include "capture/pcap_writer.h"
#include "stack/tcp/seq.h"
#include "stack/wire/frame.h"
#include "tests/fuzz/tcp_stack_input.h"

namespace taptcp {
namespace {

namespace fs = std::filesystem;
using fuzz::Op;
using tcp::Seq;

constexpr size_t kMaxOps = 256;  // keeps a seed under 4 KiB-ish, libFuzzer's default -max_len

struct Endpoint {
  uint32_t ip = 0;
  uint16_t port = 0;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
  friend auto operator<=>(const Endpoint&, const Endpoint&) = default;
};

struct Flow {
  Endpoint client, server;  // client: the side that sent the first SYN (or the higher port)
  int index = 0;            // order of first appearance
  // Capture-space state, as the harness tracks it in its own run.
  bool peer_sent = false;
  Seq peer_next;
  bool host_sent = false;
  Seq host_max;
};

int16_t Clamp16(int64_t v) { return static_cast<int16_t>(std::clamp<int64_t>(v, -32768, 32767)); }

uint8_t MssByte(uint16_t mss) {
  if (mss == 1460) return 0;
  if (mss > 0 && mss < 64) return static_cast<uint8_t>(mss);
  return static_cast<uint8_t>(std::clamp<int>((mss + 4) / 8, 64, 255));
}

void SetDelay(Op* op, int64_t ms) {
  static constexpr int64_t kUnitMs[] = {1, 10, 1000, 60000};
  for (uint8_t u = 0; u < 4; ++u) {
    if (ms <= 255 * kUnitMs[u] || u == 3) {
      op->delay_unit = u;
      op->delay = static_cast<uint8_t>(std::min<int64_t>((ms + kUnitMs[u] / 2) / kUnitMs[u], 255));
      return;
    }
  }
}

absl::StatusOr<std::vector<uint8_t>> PcapToInput(const std::string& path, bool host_is_client) {
  absl::StatusOr<std::vector<capture::CapturedFrame>> frames = capture::ReadPcap(path, 100000);
  if (!frames.ok()) return frames.status();
  std::map<std::pair<Endpoint, Endpoint>, Flow> flows;  // keyed by (lower, higher) endpoint
  std::vector<uint8_t> out;
  std::optional<Instant> last;
  size_t ops = 0;
  int echo_flows = 0, discard_flows = 0;
  for (const capture::CapturedFrame& f : *frames) {
    wire::ParsedFrame p;
    wire::ParseFrame(f.bytes, &p, /*verify_tcp_checksum=*/false);
    if (p.layer != wire::ParsedFrame::Layer::kTcp) continue;
    const wire::TcpView& t = p.tcp;
    const Endpoint src{p.ip.src().value, t.src_port()}, dst{p.ip.dst().value, t.dst_port()};
    const auto key = std::minmax(src, dst);
    auto [it, fresh] = flows.try_emplace({key.first, key.second});
    Flow& flow = it->second;
    if (fresh) {
      // The side that sent the SYN is the client; mid-stream, the one with the higher port.
      const bool src_is_client = t.syn() ? !t.ack_flag() : src.port > dst.port;
      flow.client = src_is_client ? src : dst;
      flow.server = src_is_client ? dst : src;
      flow.index = static_cast<int>(flows.size()) - 1;
      if (!host_is_client) {
        flow.index =
            flow.server.port == fuzz::kDiscardPort ? 8 + discard_flows++ % 6 : echo_flows++ % 8;
      }
    }
    // Only the first connection when the host plays the client: it has one client socket.
    if (host_is_client && flow.index != 0) continue;
    const Endpoint peer = host_is_client ? flow.server : flow.client;
    const Seq seq(t.seq());
    const Seq end = seq + t.seg_len();
    if (!(src == peer)) {
      // A frame of the side the host plays: only where its sequence space stands matters.
      if (t.syn() || !flow.host_sent || end > flow.host_max) flow.host_max = end;
      flow.host_sent = flow.host_sent || !t.rst() || t.syn();
      continue;
    }
    if (ops == kMaxOps) break;
    Op op;
    op.kind = fuzz::OpKind::kSegment;
    op.target = static_cast<uint8_t>(host_is_client ? fuzz::kClientTarget : flow.index);
    SetDelay(&op, last ? std::chrono::duration_cast<milliseconds>(f.time - *last).count() : 0);
    last = f.time;
    op.flags = t.flags();
    op.window = t.window();
    if (t.syn() || !flow.peer_sent) {
      op.seq_base = fuzz::SeqBase::kAbsolute;
      op.seq_delta = static_cast<int16_t>(t.seq() >> 16);
    } else {
      op.seq_base = fuzz::SeqBase::kPeerNext;
      op.seq_delta = Clamp16(seq - flow.peer_next);
    }
    if (t.syn() || !flow.peer_sent || end > flow.peer_next) flow.peer_next = end;
    flow.peer_sent = true;
    const Seq ack(t.ack());
    if (t.ack_flag() && flow.host_sent) {
      const int64_t d = ack - flow.host_max;
      op.ack_base = d >= -32768 && d <= 32767 ? fuzz::AckBase::kHostMax : fuzz::AckBase::kHostMax64;
      op.ack_delta = op.ack_base == fuzz::AckBase::kHostMax ? Clamp16(d) : Clamp16(d / 64);
    } else {
      op.ack_base = fuzz::AckBase::kAbsolute;
      op.ack_delta = static_cast<int16_t>(t.ack() >> 16);
    }
    const wire::TcpOptions& o = t.options();
    if (o.mss) {
      op.options |= fuzz::kOptMss;
      op.mss = MssByte(*o.mss);
    }
    if (o.window_scale) {
      op.options |= fuzz::kOptWscale;
      op.wscale = *o.window_scale & 15;
    }
    if (o.sack_permitted) op.options |= fuzz::kOptSackPermitted;
    if (o.timestamp) {
      op.options |= fuzz::kOptTimestamp;
      if (o.timestamp->second == 0) op.wscale |= 16;
    }
    for (size_t i = 0; i < o.sack_count && i < 3; ++i) {
      op.sacks[i] = {
          Clamp16(Seq(o.sack[i].left) - ack),
          static_cast<uint16_t>(std::min<uint32_t>(o.sack[i].right - o.sack[i].left, 65535))};
      op.sack_count = i + 1;
    }
    // The payload's real length, even if the capture cut the frame short.
    const size_t ip_payload = p.ip.total_length() >= p.ip.ihl_bytes() + t.data_offset_bytes()
                                  ? p.ip.total_length() - p.ip.ihl_bytes() - t.data_offset_bytes()
                                  : t.payload().size();
    op.len = static_cast<uint16_t>(std::min<size_t>(ip_payload, 65535));
    fuzz::AppendOp(op, &out);
    ++ops;
  }
  return out;
}

bool WriteFile(const fs::path& path, const std::vector<uint8_t>& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return f.good();
}

std::optional<std::vector<uint8_t>> ReadFile(const fs::path& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return std::nullopt;
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

int Seeds(const fs::path& dir, const fs::path& out) {
  for (const char* sub : {"tcp_stack", "wire", "pcap_reader"}) fs::create_directories(out / sub);
  if (!fs::is_directory(dir)) return 0;
  std::vector<fs::path> captures;
  for (const fs::directory_entry& e : fs::recursive_directory_iterator(dir)) {
    const std::string ext = e.path().extension().string();
    if (e.is_regular_file() && (ext == ".pcap" || ext == ".pcapng")) captures.push_back(e.path());
  }
  std::sort(captures.begin(), captures.end());
  int written = 0;
  for (const fs::path& pcap : captures) {
    std::string name = fs::relative(pcap, dir).replace_extension().string();
    std::replace(name.begin(), name.end(), '/', '_');
    for (bool client : {false, true}) {
      absl::StatusOr<std::vector<uint8_t>> input = PcapToInput(pcap.string(), client);
      if (!input.ok()) {
        std::fprintf(stderr, "fuzz_corpus_tool: skipping %s: %s\n", pcap.c_str(),
                     std::string(input.status().message()).c_str());
        break;
      }
      if (!input->empty())
        written += WriteFile(out / "tcp_stack" / (name + (client ? ".client" : ".server")), *input);
    }
    if (fs::file_size(pcap) <= 64 * 1024)
      fs::copy_file(pcap, out / "pcap_reader" / name, fs::copy_options::overwrite_existing);
    absl::StatusOr<std::vector<capture::CapturedFrame>> frames =
        capture::ReadPcap(pcap.string(), 100000);
    if (!frames.ok()) continue;
    std::set<std::vector<uint8_t>> seen;
    for (const capture::CapturedFrame& f : *frames) {
      if (seen.size() == 32) break;
      if (seen.insert(f.bytes).second) {
        WriteFile(out / "wire" / (name + "." + std::to_string(seen.size())), f.bytes);
      }
    }
  }
  std::printf("fuzz_corpus_tool: %zu captures under %s -> %d tcp_stack seeds in %s\n",
              captures.size(), dir.c_str(), written, out.c_str());
  return 0;
}

int Describe(const fs::path& path) {
  const std::optional<std::vector<uint8_t>> bytes = ReadFile(path);
  if (!bytes) {
    std::fprintf(stderr, "fuzz_corpus_tool: cannot read %s\n", path.c_str());
    return 1;
  }
  std::span<const uint8_t> in(*bytes);
  fuzz::Op op;
  for (int i = 0; fuzz::NextOp(in, &op); ++i)
    std::printf("%4d %s\n", i, fuzz::Describe(op).c_str());
  if (!in.empty()) std::printf("     (%zu trailing bytes ignored)\n", in.size());
  return 0;
}

int FrameToPcap(const fs::path& frame, const std::string& out) {
  const std::optional<std::vector<uint8_t>> bytes = ReadFile(frame);
  if (!bytes) {
    std::fprintf(stderr, "fuzz_corpus_tool: cannot read %s\n", frame.c_str());
    return 1;
  }
  absl::StatusOr<std::unique_ptr<capture::PcapWriter>> w = capture::PcapWriter::Open(out);
  if (!w.ok()) {
    std::fprintf(stderr, "fuzz_corpus_tool: %s\n", std::string(w.status().message()).c_str());
    return 1;
  }
  (*w)->Transmit(*bytes, kEpoch);
  return 0;
}

// Hand-made scenarios for tests/fuzz/corpus/tcp_stack (`fuzz_corpus_tool examples DIR`): each
// reaches a state a random input rarely does, for the fuzzer to start from.
class Script {
 public:
  // A segment from the peer. Sequence numbers continue the peer's own space; the ACK covers all
  // the host sent, unless said otherwise.
  Op& Seg(uint8_t target, uint8_t flags, uint16_t len = 0) {
    Op op;
    op.kind = fuzz::OpKind::kSegment;
    op.target = target;
    op.flags = flags;
    op.seq_base = fuzz::SeqBase::kPeerNext;
    op.ack_base = (flags & wire::kAck) ? fuzz::AckBase::kHostMax : fuzz::AckBase::kAbsolute;
    op.window = 65535;
    op.len = len;
    op.options = fuzz::kOptTimestamp;
    ops_.push_back(op);
    return ops_.back();
  }
  // A SYN (or SYN-ACK) with Linux's options: MSS 1460, SACK, timestamps, window scale 7.
  Op& Syn(uint8_t target, bool ack, int16_t isn_high) {
    Op& op = Seg(target, wire::kSyn | (ack ? wire::kAck : 0));
    op.seq_base = fuzz::SeqBase::kAbsolute;
    op.seq_delta = isn_high;
    op.window = 64240;
    op.options = fuzz::kOptMss | fuzz::kOptSackPermitted | fuzz::kOptTimestamp | fuzz::kOptWscale;
    op.wscale = ack ? 7 : 7 | 16;  // a SYN echoes no TSval (TSecr 0); a SYN-ACK echoes the host's
    return op;
  }
  // The three-way handshake with a listener.
  void Handshake(uint8_t target, int16_t isn_high) {
    Syn(target, false, isn_high);
    Seg(target, wire::kAck).delay = 1;
  }
  Op& App(uint8_t target, fuzz::AppCall call, uint16_t arg = 0) {
    Op op;
    op.kind = fuzz::OpKind::kApp;
    op.target = target;
    op.flags = static_cast<uint8_t>(call);
    op.len = arg;
    ops_.push_back(op);
    return ops_.back();
  }
  Op& Wait() {
    Op op;
    op.kind = fuzz::OpKind::kWait;
    ops_.push_back(op);
    return ops_.back();
  }
  std::vector<uint8_t> Bytes() const {
    std::vector<uint8_t> out;
    for (const Op& op : ops_) fuzz::AppendOp(op, &out);
    return out;
  }

 private:
  std::vector<Op> ops_;
};

std::map<std::string, Script> Examples() {
  using fuzz::AppCall;
  constexpr uint8_t kPA = wire::kPsh | wire::kAck, kFA = wire::kFin | wire::kAck;
  std::map<std::string, Script> ex;
  {  // Echo: handshake, data, the echo acknowledged, the peer closes, the host follows.
    Script& s = ex["echo_close"];
    s.Handshake(0, 0x1234);
    s.Seg(0, kPA, 100).delay = 10;
    s.Seg(0, wire::kAck).delay = 50;
    s.Seg(0, kFA).delay = 5;
    s.Seg(0, wire::kAck).delay = 5;
  }
  {  // The host's own connection: SYN-ACK, data, FIN; the app closes; TIME_WAIT.
    Script& s = ex["client_close"];
    s.Syn(fuzz::kClientTarget, true, 0x5555).delay = 20;
    s.Seg(fuzz::kClientTarget, kPA, 500).delay = 1;
    s.Seg(fuzz::kClientTarget, kFA).delay = 1;
    s.App(fuzz::kClientTarget, AppCall::kSend, 3000);
    s.App(fuzz::kClientTarget, AppCall::kClose);
    s.Seg(fuzz::kClientTarget, wire::kAck).delay = 20;
  }
  {  // Simultaneous open: the peer's SYN crosses the host's.
    Script& s = ex["simultaneous_open"];
    s.Syn(fuzz::kClientTarget, false, 0x7777).delay = 10;
    Op& synack = s.Syn(fuzz::kClientTarget, true, 0x7777);
    synack.delay = 10;
    s.Seg(fuzz::kClientTarget, kPA, 200).delay = 10;
  }
  {  // The host sends, the peer loses a segment and SACKs around it: fast retransmit, recovery.
    Script& s = ex["sack_recovery"];
    s.Handshake(8, 0x2000);
    s.App(8, AppCall::kNoDelay, 1);
    s.App(8, AppCall::kSend, 30000);
    for (int i = 1; i <= 4; ++i) {
      Op& a = s.Seg(8, wire::kAck);
      a.delay = 20;
      a.ack_base = fuzz::AckBase::kPeerLast;
      a.ack_delta = i == 1 ? 1448 : 0;  // the first ACK moves, then duplicates
      a.sacks[0] = {static_cast<int16_t>(1448), static_cast<uint16_t>(1448 * i)};
      a.sack_count = 1;
    }
    s.Seg(8, wire::kAck).delay = 30;
    s.Wait();
    s.Seg(8, wire::kAck).delay = 10;
  }
  {  // The app stops reading: the peer fills the window, probes it shut, then the app reads.
    Script& s = ex["zero_window"];
    s.App(2, AppCall::kPauseRead);  // no socket yet: pauses accept on port 7
    s.App(2, AppCall::kPauseRead);  // and resumes it
    s.Handshake(2, 0x3000);
    s.App(2, AppCall::kPauseRead);
    for (int i = 0; i < 96; ++i) s.Seg(2, wire::kAck, 1448);
    s.Seg(2, wire::kAck, 1).delay = 200;
    s.Wait();
    s.App(2, AppCall::kPauseRead);
    s.Seg(2, wire::kAck).delay = 10;
  }
  {  // The peer's window closes on the host: persist timer, probes, the window opens.
    Script& s = ex["persist"];
    s.Handshake(9, 0x4000);
    s.App(9, AppCall::kSend, 20000);
    Op& shut = s.Seg(9, wire::kAck);
    shut.delay = 20;
    shut.window = 0;
    s.Wait();
    s.Wait();
    s.Seg(9, wire::kAck).delay = 10;
  }
  {  // Resets and SYNs in ESTABLISHED: exact RST, in-window RST (challenge ACK), SYN (challenge).
    Script& s = ex["rst_challenge"];
    s.Handshake(3, 0x5000);
    Op& inwin = s.Seg(3, wire::kRst);
    inwin.seq_delta = 100;
    inwin.delay = 5;
    Op& syn = s.Seg(3, wire::kSyn);
    syn.delay = 5;
    Op& exact = s.Seg(3, wire::kRst);
    exact.delay = 60;  // x 10 ms: past the challenge-ACK rate limit
    exact.delay_unit = 1;
  }
  {  // TIME_WAIT on the host's side, and a new SYN that reopens the 4-tuple.
    Script& s = ex["time_wait_reopen"];
    s.Handshake(4, 0x6000);
    s.App(4, AppCall::kClose).delay = 5;
    s.Seg(4, wire::kAck).delay = 5;
    s.Seg(4, kFA).delay = 5;
    Op& syn = s.Syn(4, false, 0);
    syn.seq_base = fuzz::SeqBase::kHostAck64;
    syn.seq_delta = 2000;
    syn.delay = 30;
    s.Seg(4, wire::kAck).delay = 1;
  }
  {  // The accept queue fills (the app stops accepting), then drains.
    Script& s = ex["listen_overflow"];
    s.App(0, AppCall::kPauseRead);
    for (uint8_t t = 0; t < 7; ++t) s.Handshake(t, static_cast<int16_t>(0x100 * (t + 1)));
    s.Wait();
    s.App(0, AppCall::kPauseRead);
    s.Seg(6, wire::kAck).delay = 10;
  }
  {  // Keepalive probes go unanswered; the connection dies.
    Script& s = ex["keepalive"];
    s.Handshake(5, 0x7000);
    s.App(5, AppCall::kKeepalive, 1);
    for (int i = 0; i < 6; ++i) s.Wait();
  }
  {  // Out-of-order data with holes, filled last: reassembly, SACK blocks, D-SACK.
    Script& s = ex["reassembly"];
    s.Handshake(10, 0x0800);
    for (int16_t off : {2000, 5000, 1000, 7000, 5000}) {
      Op& d = s.Seg(10, wire::kAck, 1000);
      d.seq_base = fuzz::SeqBase::kHostAck;
      d.seq_delta = off;
    }
    Op& fill = s.Seg(10, wire::kAck, 1000);
    fill.seq_base = fuzz::SeqBase::kHostAck;
    for (int i = 0; i < 6; ++i) {
      Op& d = s.Seg(10, wire::kAck, 1000);
      d.seq_base = fuzz::SeqBase::kHostAck;
    }
  }
  return ex;
}

int WriteExamples(const fs::path& dir) {
  fs::create_directories(dir);
  for (const auto& [name, script] : Examples()) {
    if (!WriteFile(dir / name, script.Bytes())) {
      std::fprintf(stderr, "fuzz_corpus_tool: cannot write %s\n", (dir / name).c_str());
      return 1;
    }
  }
  return 0;
}

int Usage() {
  std::fprintf(stderr,
               "usage: fuzz_corpus_tool seeds PCAP_DIR OUT_DIR\n"
               "       fuzz_corpus_tool pcap2input [--client] IN.pcap OUT\n"
               "       fuzz_corpus_tool describe INPUT\n"
               "       fuzz_corpus_tool examples DIR\n"
               "       fuzz_corpus_tool frame2pcap FRAME OUT.pcap\n");
  return 2;
}

}  // namespace
}  // namespace taptcp

int main(int argc, char** argv) {
  using namespace taptcp;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) return Usage();
  const std::string cmd = args[0];
  args.erase(args.begin());
  if (cmd == "seeds" && args.size() == 2) return Seeds(args[0], args[1]);
  if (cmd == "describe" && args.size() == 1) return Describe(args[0]);
  if (cmd == "examples" && args.size() == 1) return WriteExamples(args[0]);
  if (cmd == "frame2pcap" && args.size() == 2) return FrameToPcap(args[0], args[1]);
  if (cmd == "pcap2input") {
    const bool client = !args.empty() && args[0] == "--client";
    if (client) args.erase(args.begin());
    if (args.size() != 2) return Usage();
    absl::StatusOr<std::vector<uint8_t>> input = PcapToInput(args[0], client);
    if (!input.ok()) {
      std::fprintf(stderr, "fuzz_corpus_tool: %s\n", std::string(input.status().message()).c_str());
      return 1;
    }
    if (!WriteFile(args[1], *input)) {
      std::fprintf(stderr, "fuzz_corpus_tool: cannot write %s\n", args[1].c_str());
      return 1;
    }
    std::printf("%zu ops\n", fuzz::OpOffsets(*input).size());
    return 0;
  }
  return Usage();
}
