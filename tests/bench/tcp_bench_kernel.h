// tcp_bench's baseline: the Linux kernel's TCP over loopback, in a network namespace the benchmark
// process creates for itself (so nothing outside it is ever touched), doing what the taptcp runs
// do. See tcp_bench.cc for the list of benchmarks and how they pair up.
#pragma once

#include <benchmark/benchmark.h>
#include <time.h>

#include <chrono>
#include <cstdint>
#include <string>

namespace taptcp::bench {

inline constexpr uint64_t kBulkBytes = uint64_t{64} << 20;  // per bulk iteration
inline constexpr size_t kChunk = size_t{1} << 20;           // bytes per send()/recv() call
// Listening ports; the kernel's ephemeral range is moved above them (EnterPrivateNetns).
inline constexpr uint16_t kPort = 5001;

struct KernelNet {
  bool ok = false;
  std::string why;  // what failed, when !ok
};

// unshare(CLONE_NEWNET), then lo up at MTU 1500 and the ephemeral port range widened inside the
// new namespace. unshare() moves only the calling thread, so call this first in main(), while the
// process has one thread: every thread started later inherits the namespace.
KernelNet EnterPrivateNetns();

// BM_Lifecycle/kernel and BM_Lifecycle/kernel_2threads; BM_Bulk/kernel and BM_Bulk/kernel_no_tso.
// Without a namespace (`net.ok` false) each one reports "kernel baseline skipped: <why>".
void RegisterKernelLifecycle(const KernelNet& net);
void RegisterKernelBulk(const KernelNet& net);

// Wall-clock and process CPU time (every thread, kernel time included: loopback's softirq work
// runs in the sending thread's system calls) from construction to Report().
struct Stopwatch {
  static double Wall() {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  static double Cpu() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  }
  // Sets counters <what>_per_s (wall clock) and <what>_per_cpu_s for `amount` done so far.
  void Report(benchmark::State& state, const std::string& what, double amount) const {
    const double w = Wall() - wall, c = Cpu() - cpu;
    state.counters[what + "_per_s"] = w > 0 ? amount / w : 0;
    state.counters[what + "_per_cpu_s"] = c > 0 ? amount / c : 0;
  }

  double wall = Wall(), cpu = Cpu();
};

}  // namespace taptcp::bench
