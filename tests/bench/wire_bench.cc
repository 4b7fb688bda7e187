// stack/wire benchmarks: what one inbound TCP/IPv4 frame costs to decode and validate, checksum
// throughput, and building a SYN. Baselines measured in the same run (DESIGN.md "Benchmarks"):
// libtins decoding the same frame (which verifies no checksum, so it is also shown against our
// decode without the TCP checksum), and the textbook byte-pair checksum loop of RFC 1071 §4.1.
//
//   build-wire/tests/bench/wire_bench --benchmark_min_time=0.5
#include <cstdint>
#include <numeric>
#include <vector>

#include "benchmark/benchmark.h"
#include "stack/wire/checksum.h"
#include "stack/wire/frame.h"
#include "tins/tins.h"

namespace taptcp::wire {
namespace {

const MacAddress kMacA = *MacAddress::Parse("02:00:00:00:00:01");
const MacAddress kMacB = *MacAddress::Parse("02:00:00:00:00:02");
const Ipv4Address kIpA = *Ipv4Address::Parse("192.0.2.1");
const Ipv4Address kIpB = *Ipv4Address::Parse("192.0.2.2");

// An established-connection data segment as Linux sends it: NOP NOP TS (12 option bytes), and
// with SACK blocks when `sack` is set.
std::vector<uint8_t> TcpFrame(size_t payload_size, bool sack) {
  std::vector<uint8_t> f(kEthernetHeaderSize + 20 + 60 + payload_size);
  size_t n = WriteEthernetHeader(f, kMacB, kMacA, kIpv4);
  TcpOptions o;
  o.timestamp = {{123456789, 987654321}};
  if (sack) {
    o.sack_count = 2;
    o.sack[0] = {1000, 2000};
    o.sack[1] = {3000, 4000};
  }
  std::vector<uint8_t> payload(payload_size);
  std::iota(payload.begin(), payload.end(), 0);
  const TcpHeaderFields h{
      .src_port = 40000, .dst_port = 80, .seq = 1, .ack = 2, .flags = kAck | kPsh, .window = 502};
  const size_t len = WriteTcpSegment(std::span(f).subspan(n + 20), kIpA, kIpB, h, o, payload);
  n += WriteIpv4Header(std::span(f).subspan(n), {.src = kIpA, .dst = kIpB, .protocol = kProtoTcp},
                       static_cast<uint16_t>(len));
  f.resize(n + len);
  return f;
}

void BM_DecodeTcpFrame(benchmark::State& state) {
  const std::vector<uint8_t> f = TcpFrame(static_cast<size_t>(state.range(0)), state.range(1));
  const bool verify = state.range(2) != 0;
  ParsedFrame p;
  for (auto _ : state) {
    benchmark::DoNotOptimize(f.data());
    const DropReason r = ParseFrame(f, &p, verify);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(p.tcp.options().timestamp);
  }
  if (ParseFrame(f, &p) != DropReason::kNone) state.SkipWithError("frame does not parse");
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(f.size()));
}
// Args: payload bytes, SACK blocks present, TCP checksum verified.
BENCHMARK(BM_DecodeTcpFrame)
    ->ArgNames({"payload", "sack", "verify"})
    ->Args({0, 0, 1})
    ->Args({0, 1, 1})
    ->Args({1460, 0, 1})
    ->Args({0, 0, 0})
    ->Args({1460, 0, 0});

// Baseline: libtins builds a PDU tree (allocating) and verifies no checksum.
void BM_DecodeTcpFrameLibtins(benchmark::State& state) {
  const std::vector<uint8_t> f = TcpFrame(static_cast<size_t>(state.range(0)), false);
  for (auto _ : state) {
    Tins::EthernetII eth(f.data(), static_cast<uint32_t>(f.size()));
    benchmark::DoNotOptimize(eth.rfind_pdu<Tins::TCP>().seq());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(f.size()));
}
BENCHMARK(BM_DecodeTcpFrameLibtins)->ArgName("payload")->Arg(0)->Arg(1460);

void BM_Checksum(benchmark::State& state) {
  std::vector<uint8_t> data(static_cast<size_t>(state.range(0)));
  std::iota(data.begin(), data.end(), 7);
  for (auto _ : state) {
    benchmark::DoNotOptimize(data.data());
    benchmark::DoNotOptimize(InternetChecksum(data));
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Checksum)->ArgName("bytes")->Arg(20)->Arg(64)->Arg(1500)->Arg(65536);

// Baseline: RFC 1071 §4.1's reference loop (16 bits at a time into a 32-bit accumulator).
uint16_t NaiveChecksum(const uint8_t* p, size_t n) {
  uint32_t sum = 0;
  while (n > 1) {
    sum += static_cast<uint32_t>(p[0] << 8 | p[1]);
    p += 2;
    n -= 2;
  }
  if (n > 0) sum += static_cast<uint32_t>(p[0] << 8);
  while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

void BM_ChecksumNaive(benchmark::State& state) {
  std::vector<uint8_t> data(static_cast<size_t>(state.range(0)));
  std::iota(data.begin(), data.end(), 7);
  if (NaiveChecksum(data.data(), data.size()) != InternetChecksum(data)) {
    state.SkipWithError("checksums differ");
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(data.data());
    benchmark::DoNotOptimize(NaiveChecksum(data.data(), data.size()));
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_ChecksumNaive)->ArgName("bytes")->Arg(1500)->Arg(65536);

// A Linux SYN (MSS, SACKOK+TS, WS) built in place: Ethernet + IPv4 + TCP, both checksums.
void BM_BuildSyn(benchmark::State& state) {
  std::vector<uint8_t> f(kMaxEthernetFrame);
  TcpOptions o;
  o.mss = 1460;
  o.sack_permitted = true;
  o.window_scale = 7;
  uint32_t seq = 1;
  for (auto _ : state) {
    o.timestamp = {{seq, 0}};
    size_t n = WriteEthernetHeader(f, kMacB, kMacA, kIpv4);
    const size_t len = WriteTcpSegment(
        std::span(f).subspan(n + 20), kIpA, kIpB,
        {.src_port = 40000, .dst_port = 80, .seq = seq++, .flags = kSyn, .window = 64240}, o, {});
    n += WriteIpv4Header(std::span(f).subspan(n), {.src = kIpA, .dst = kIpB, .protocol = kProtoTcp},
                         static_cast<uint16_t>(len));
    benchmark::DoNotOptimize(n + len);
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BuildSyn);

// Baseline: the same SYN with libtins (PDU objects, options list, serialize()).
void BM_BuildSynLibtins(benchmark::State& state) {
  uint32_t seq = 1;
  for (auto _ : state) {
    Tins::TCP tcp(80, 40000);
    tcp.seq(seq++);
    tcp.flags(Tins::TCP::SYN);
    tcp.window(64240);
    tcp.mss(1460);
    tcp.sack_permitted();
    tcp.timestamp(seq, 0);
    tcp.winscale(7);
    Tins::EthernetII eth = Tins::EthernetII("02:00:00:00:00:02", "02:00:00:00:00:01") /
                           Tins::IP("192.0.2.2", "192.0.2.1") / tcp;
    benchmark::DoNotOptimize(eth.serialize());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_BuildSynLibtins);

}  // namespace
}  // namespace taptcp::wire

BENCHMARK_MAIN();
