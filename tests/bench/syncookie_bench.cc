// SYN cookie cost per operation (stack/tcp/syncookie.*), what a listener pays per SYN and per final
// ACK under a SYN flood, against the SipHash call it is built from, measured in the same run.
//
//   BM_SipHash4u32          one SipHash-2-4 of four 32-bit words: the baseline. A cookie costs two.
//   BM_CookieMake           SynCookies::Make (the SYN-ACK's ISN): two hashes and a few adds.
//   BM_CookieCheck          SynCookies::Check of a valid cookie: two hashes.
//   BM_CookieCheckForged    Check of a random value: usually one hash (the age test fails first).
//   BM_CookieMakeAndCheck   Make then Check of the same cookie: a whole cookie handshake.
//   BM_CookieTsval          EncodeCookieTsval + DecodeCookieTsecr: the timestamp options.
//
// Inputs are drawn in advance from 4096 random 4-tuples and ISNs, so RNG cost stays out. After the
// run, main() prints each cookie operation's time as a multiple of the SipHash baseline.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "stack/crypto/siphash.h"
#include "stack/tcp/syncookie.h"
#include "tests/bench/median_reporter.h"

namespace taptcp::tcp {
namespace {

struct Input {
  FourTuple tuple;
  Seq isn;
  uint32_t mss_index = 0;
  uint32_t cookie = 0;  // valid for count kCount
  uint32_t forged = 0;  // random
  CookieOptions options;
};

constexpr uint32_t kCount = 0x1234;
constexpr size_t kInputs = 4096;  // a power of two

const SynCookies& Cookies() {
  static const SynCookies cookies(0x5EED);
  return cookies;
}

const std::vector<Input>& Inputs() {
  static const std::vector<Input> inputs = [] {
    std::mt19937_64 rng(1);
    std::vector<Input> v(kInputs);
    for (Input& in : v) {
      in.tuple =
          FourTuple{wire::Ipv4Address{0xC0000202}, 80,
                    wire::Ipv4Address{static_cast<uint32_t>(rng())}, static_cast<uint16_t>(rng())};
      in.isn = Seq(static_cast<uint32_t>(rng()));
      in.mss_index = static_cast<uint32_t>(rng() % kCookieMssTable.size());
      in.cookie = Cookies().Make(in.tuple, in.isn, kCount, in.mss_index);
      in.forged = static_cast<uint32_t>(rng());
      const uint64_t r = rng();
      if (r % 16 != 15) in.options.wscale = static_cast<uint8_t>(r % 16);
      in.options.sack = (r & 0x100) != 0;
      in.options.ecn = (r & 0x200) != 0;
    }
    return v;
  }();
  return inputs;
}

void BM_SipHash4u32(benchmark::State& state) {
  const crypto::SipKey key = crypto::DeriveSipKey(0x5EED, "bench");
  const std::vector<Input>& inputs = Inputs();
  size_t i = 0;
  for (auto _ : state) {
    const Input& in = inputs[i++ & (kInputs - 1)];
    benchmark::DoNotOptimize(crypto::SipHash(key, in.tuple.remote_ip.value, in.tuple.local_ip.value,
                                             uint32_t{in.tuple.remote_port} << 16, kCount));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SipHash4u32);

void BM_CookieMake(benchmark::State& state) {
  const SynCookies& cookies = Cookies();
  const std::vector<Input>& inputs = Inputs();
  size_t i = 0;
  for (auto _ : state) {
    const Input& in = inputs[i++ & (kInputs - 1)];
    benchmark::DoNotOptimize(cookies.Make(in.tuple, in.isn, kCount, in.mss_index));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CookieMake);

void BM_CookieCheck(benchmark::State& state) {
  const SynCookies& cookies = Cookies();
  const std::vector<Input>& inputs = Inputs();
  size_t i = 0;
  for (auto _ : state) {
    const Input& in = inputs[i++ & (kInputs - 1)];
    // Alternate ages 0 and 1 so both counter values are exercised.
    benchmark::DoNotOptimize(cookies.Check(in.tuple, in.isn, in.cookie, kCount + (i & 1)));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CookieCheck);

void BM_CookieCheckForged(benchmark::State& state) {
  const SynCookies& cookies = Cookies();
  const std::vector<Input>& inputs = Inputs();
  size_t i = 0;
  for (auto _ : state) {
    const Input& in = inputs[i++ & (kInputs - 1)];
    benchmark::DoNotOptimize(cookies.Check(in.tuple, in.isn, in.forged, kCount));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CookieCheckForged);

void BM_CookieMakeAndCheck(benchmark::State& state) {
  const SynCookies& cookies = Cookies();
  const std::vector<Input>& inputs = Inputs();
  size_t i = 0;
  for (auto _ : state) {
    const Input& in = inputs[i++ & (kInputs - 1)];
    const uint32_t cookie = cookies.Make(in.tuple, in.isn, kCount, in.mss_index);
    benchmark::DoNotOptimize(cookies.Check(in.tuple, in.isn, cookie, kCount + 1));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CookieMakeAndCheck);

void BM_CookieTsval(benchmark::State& state) {
  const std::vector<Input>& inputs = Inputs();
  size_t i = 0;
  for (auto _ : state) {
    const Input& in = inputs[i++ & (kInputs - 1)];
    const uint32_t tsval = EncodeCookieTsval(in.isn.value(), in.options);
    benchmark::DoNotOptimize(DecodeCookieTsecr(tsval, true, true, true));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CookieTsval);

}  // namespace
}  // namespace taptcp::tcp

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  // CPU time per iteration: steadier than real time on a shared machine.
  taptcp::bench::MedianReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  std::map<std::string, double> ns;
  for (const auto& [name, run] : reporter.results()) ns[name] = run.GetAdjustedCPUTime();
  const auto base = ns.find("BM_SipHash4u32");
  if (base == ns.end() || base->second <= 0) return 0;
  std::printf("\nCPU time per operation as a multiple of one SipHash-2-4 of 4 words (%.2f ns):\n",
              base->second);
  for (const auto& [name, t] : ns) {
    if (name == base->first) continue;
    std::printf("  %-24s %7.2f ns  %5.2fx\n", name.c_str(), t, t / base->second);
  }
  return 0;
}
