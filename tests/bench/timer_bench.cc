// Timer queue benchmark: timers::Wheel against the two usual alternatives, in the same run.
//
//   wheel     timers::Wheel, intrusive 32-byte Timer nodes.
//   heap      std::priority_queue of {when, id, generation}, lazy deletion: cancel bumps the id's
//             generation (the external cancellation record) and stale entries are skipped when
//             they reach the top.
//   multimap  std::multimap<Instant, id>; cancel erases through an iterator stored per id.
//
// Each structure first holds 1,000,000 pending "background" timers with delays spread uniformly
// over 1 ms .. 10 min; a background timer that fires re-arms itself with a fresh delay, so the
// population stays at 1M as virtual time moves (that upkeep is part of every structure's cost).
//
//   BM_ArmCancel/ops_per_ms:N   arm a timer (delay 1 ms .. 1 s, retransmission-timer-like) and
//                               cancel it; virtual time advances 1 ms every N operations, so the
//                               heap pays for popping its stale entries as they come due, as it
//                               would in a running stack.
//   BM_ArmExpire/batch:N        arm N timers 1..2 ms ahead, advance 2 ms: all of them fire.
//   BM_ArmCancelFrozen          arm+cancel with time stopped: the raw cost of the two calls (the
//                               heap's deferred cost then shows as memory). Fixed 2^20 iterations.
//
// N sets how much background upkeep (1M timers firing ~3,300 times per virtual second, each
// re-armed) is spread over each measured operation: every structure pays it, so a small N dilutes
// the ratios. The light settings (64 ops per ms, batches of 256) are an idle stack; the busy ones
// (1024 ops per ms = 1M timer operations per second; batches of 1024) a loaded one.
//
// Counters: per_op (time per timer operation), bytes_per_timer (all memory the structure uses,
// including per-id records, stale entries, capacity slack and fixed parts, divided by the timers
// pending at the end), malloc_bytes_per_timer (the same with glibc's chunk sizes). After the run,
// main() prints heap/wheel and multimap/wheel ratios of the per_op values just measured (medians
// when --benchmark_repetitions is given).
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "tests/bench/median_reporter.h"
#include "timers/wheel.h"

namespace taptcp::timers {
namespace {

constexpr uint32_t kBackground = 1'000'000;
constexpr uint32_t kPool = 4096;  // ids used by the measured operations
constexpr uint32_t kIds = kBackground + kPool;

// Pre-drawn random delays, so every structure sees the same sequence and RNG cost stays out.
class DelayTable {
 public:
  DelayTable(uint64_t seed, Duration lo, Duration hi) : values_(1 << 16) {
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<int64_t> dist(lo.count(), hi.count());
    for (Duration& v : values_) v = Duration(dist(rng));
  }
  Duration Next() { return values_[next_++ & (values_.size() - 1)]; }

 private:
  std::vector<Duration> values_;
  size_t next_ = 0;
};

// Counts what a container asks of the allocator: the requested bytes, and what glibc really uses
// (malloc_usable_size plus its 8-byte chunk header).
struct AllocStats {
  static inline int64_t requested = 0;
  static inline int64_t chunk = 0;
};
template <class T>
struct CountingAllocator {
  using value_type = T;
  CountingAllocator() = default;
  template <class U>
  CountingAllocator(const CountingAllocator<U>&) {}
  T* allocate(size_t n) {
    T* p = static_cast<T*>(::operator new(n * sizeof(T)));
    AllocStats::requested += static_cast<int64_t>(n * sizeof(T));
    AllocStats::chunk += static_cast<int64_t>(malloc_usable_size(p) + sizeof(size_t));
    return p;
  }
  void deallocate(T* p, size_t n) {
    AllocStats::requested -= static_cast<int64_t>(n * sizeof(T));
    AllocStats::chunk -= static_cast<int64_t>(malloc_usable_size(p) + sizeof(size_t));
    ::operator delete(p);
  }
  template <class U>
  bool operator==(const CountingAllocator<U>&) const {
    return true;
  }
};

// Common driver state: the background population and its re-arm delays.
struct Base {
  Instant now = kEpoch;
  DelayTable background_delays{1, milliseconds(1), minutes(10)};
  uint64_t measured_fired = 0;
};

class WheelQueue final : public Base, public TimerHandler {
 public:
  static constexpr const char* kName = "wheel";
  WheelQueue() : timers_(new Timer[kIds]) {
    for (uint32_t i = 0; i < kIds; ++i) timers_[i].set_handler(this);
  }
  void Arm(uint32_t id, Instant when) { wheel_.Arm(timers_[id], when); }
  void Cancel(uint32_t id) { wheel_.Cancel(timers_[id]); }
  void Advance(Instant to) {
    now = to;
    wheel_.Advance(to);
  }
  void OnTimer(Timer& t, Instant at) override {
    if (&t < &timers_[kBackground]) {
      wheel_.Arm(t, at + background_delays.Next());
    } else {
      ++measured_fired;
    }
  }
  size_t pending() const { return wheel_.armed_count(); }
  double Bytes() const { return sizeof(Wheel) + double{kIds} * sizeof(Timer); }
  double ChunkBytes() const { return Bytes(); }  // one array allocation: no per-timer overhead

 private:
  Wheel wheel_;
  std::unique_ptr<Timer[]> timers_;
};

class HeapQueue final : public Base {
 public:
  static constexpr const char* kName = "heap";
  HeapQueue() : generation_(kIds, 0) {}
  void Arm(uint32_t id, Instant when) {
    heap_.push({when, id, ++generation_[id]});
    ++pending_;
  }
  // O(1): the queued entry becomes stale and is dropped when it reaches the top. (The benchmark
  // only cancels armed ids and only arms unarmed ones, so pending_ needs no armed flag.)
  void Cancel(uint32_t id) {
    ++generation_[id];
    --pending_;
  }
  void Advance(Instant to) {
    now = to;
    while (!heap_.empty() && heap_.top().when <= to) {
      const Entry e = heap_.top();
      heap_.pop();
      if (e.generation != generation_[e.id]) continue;  // cancelled or re-armed: stale
      ++generation_[e.id];
      --pending_;
      if (e.id < kBackground) {
        Arm(e.id, e.when + background_delays.Next());
      } else {
        ++measured_fired;
      }
    }
  }
  size_t pending() const { return pending_; }
  double Bytes() const {
    return double(heap_.storage().capacity()) * sizeof(Entry) +
           double(generation_.capacity()) * sizeof(uint32_t);
  }
  double ChunkBytes() const { return Bytes(); }  // two large vectors

 private:
  struct Entry {
    Instant when;
    uint32_t id;
    uint32_t generation;
  };
  struct Later {
    bool operator()(const Entry& a, const Entry& b) const { return a.when > b.when; }
  };
  struct Heap : std::priority_queue<Entry, std::vector<Entry>, Later> {
    const std::vector<Entry>& storage() const { return c; }
  };
  Heap heap_;
  std::vector<uint32_t> generation_;
  size_t pending_ = 0;
};

class MultimapQueue final : public Base {
 public:
  static constexpr const char* kName = "multimap";
  using Map = std::multimap<Instant, uint32_t, std::less<Instant>,
                            CountingAllocator<std::pair<const Instant, uint32_t>>>;
  MultimapQueue() : where_(kIds, map_.end()) {}
  void Arm(uint32_t id, Instant when) {
    if (where_[id] != map_.end()) map_.erase(where_[id]);
    where_[id] = map_.emplace(when, id);
  }
  void Cancel(uint32_t id) {
    if (where_[id] == map_.end()) return;
    map_.erase(where_[id]);
    where_[id] = map_.end();
  }
  void Advance(Instant to) {
    now = to;
    while (!map_.empty() && map_.begin()->first <= to) {
      const auto [when, id] = *map_.begin();
      map_.erase(map_.begin());
      where_[id] = map_.end();
      if (id < kBackground) {
        Arm(id, when + background_delays.Next());
      } else {
        ++measured_fired;
      }
    }
  }
  size_t pending() const { return map_.size(); }
  double Bytes() const {
    return double(AllocStats::requested) + double(where_.capacity()) * sizeof(Map::iterator);
  }
  double ChunkBytes() const {
    return double(AllocStats::chunk) + double(where_.capacity()) * sizeof(Map::iterator);
  }

 private:
  Map map_;
  std::vector<Map::iterator> where_;
};

// One fixture alive at a time (they hold 40-80 MB each), built on a benchmark's first call and
// kept across its calls (Google Benchmark calls a function several times to size the run).
std::function<void()> release_current;

// `fresh` rebuilds it on every call instead.
template <class Q>
Q& Fixture(const std::string& key, bool fresh = false) {
  static std::unique_ptr<Q> fixture;
  static std::string fixture_key;
  if (!fixture || fixture_key != key || fresh) {
    if (release_current) release_current();
    fixture = std::make_unique<Q>();
    for (uint32_t id = 0; id < kBackground; ++id) {
      fixture->Arm(id, fixture->now + fixture->background_delays.Next());
    }
    fixture_key = key;
    release_current = [] {
      fixture.reset();
      fixture_key.clear();
    };
  }
  return *fixture;
}

template <class Q>
void SetCounters(benchmark::State& state, const Q& q, double ops) {
  state.counters["per_op"] =
      benchmark::Counter(ops, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["pending"] = double(q.pending());
  state.counters["bytes_per_timer"] = q.Bytes() / double(q.pending());
  state.counters["malloc_bytes_per_timer"] = q.ChunkBytes() / double(q.pending());
}

template <class Q>
void BM_ArmCancel(benchmark::State& state, int ops_per_ms) {
  Q& q = Fixture<Q>("arm_cancel/" + std::to_string(ops_per_ms));
  DelayTable delays(2, milliseconds(1), seconds(1));
  uint32_t i = 0;
  int until_tick = ops_per_ms;
  for (auto _ : state) {
    const uint32_t id = kBackground + (i++ & (kPool - 1));
    q.Arm(id, q.now + delays.Next());
    q.Cancel(id);
    if (--until_tick == 0) {
      until_tick = ops_per_ms;
      q.Advance(q.now + milliseconds(1));
    }
  }
  SetCounters(state, q, double(state.iterations()));
}

template <class Q>
void BM_ArmCancelFrozen(benchmark::State& state) {
  Q& q = Fixture<Q>("arm_cancel_frozen", /*fresh=*/true);  // not a steady state: start over
  DelayTable delays(2, milliseconds(1), seconds(1));
  uint32_t i = 0;
  for (auto _ : state) {
    const uint32_t id = kBackground + (i++ & (kPool - 1));
    q.Arm(id, q.now + delays.Next());
    q.Cancel(id);
  }
  SetCounters(state, q, double(state.iterations()));
}

template <class Q>
void BM_ArmExpire(benchmark::State& state, uint32_t batch) {
  Q& q = Fixture<Q>("arm_expire/" + std::to_string(batch));
  DelayTable delays(3, milliseconds(1), milliseconds(2));
  const uint64_t fired_before = q.measured_fired;
  for (auto _ : state) {
    for (uint32_t j = 0; j < batch; ++j) q.Arm(kBackground + j, q.now + delays.Next());
    q.Advance(q.now + milliseconds(2));
  }
  const double ops = double(state.iterations()) * batch;
  if (double(q.measured_fired - fired_before) != ops) state.SkipWithError("not all timers fired");
  SetCounters(state, q, ops);
}

// The ratio lines, from the medians (or single runs) the reporter kept. Names are
// "<benchmark>[/<load>]/<structure>".
void PrintRatios(const bench::MedianReporter& reporter) {
  struct Result {
    double per_op = 0, bytes = 0, malloc_bytes = 0;
  };
  std::map<std::string, Result> results;
  for (const auto& [name, run] : reporter.results()) {
    results[name] = Result{bench::MedianReporter::Counter(run, "per_op"),
                           bench::MedianReporter::Counter(run, "bytes_per_timer"),
                           bench::MedianReporter::Counter(run, "malloc_bytes_per_timer")};
  }
  std::printf("\nRatios from the per_op values above (same run, same machine):\n");
  for (const auto& [name, wheel] : results) {
    const size_t at = name.find("/wheel");
    if (at == std::string::npos) continue;
    const std::string family = name.substr(0, at);
    const std::string suffix = name.substr(at + 6);  // e.g. "/iterations:1048576"
    for (const char* other : {"heap", "multimap"}) {
      const auto it = results.find(family + "/" + other + suffix);
      if (it == results.end() || wheel.per_op <= 0) continue;
      std::printf("ratio %-36s %8s/wheel = %6.1fx  (wheel %6.1f ns, %s %6.1f ns)\n", family.c_str(),
                  other, it->second.per_op / wheel.per_op, wheel.per_op * 1e9, other,
                  it->second.per_op * 1e9);
    }
  }
  std::printf("\nBytes per armed timer at the end of each benchmark (glibc chunk sizes):\n");
  for (const auto& [name, r] : results) {
    std::printf("bytes %-45s = %6.2f  (%6.2f)\n", name.c_str(), r.bytes, r.malloc_bytes);
  }
}

template <class Q>
void RegisterFor() {
  const std::string name = Q::kName;
  for (int ops_per_ms : {64, 1024}) {
    benchmark::RegisterBenchmark(
        ("BM_ArmCancel/ops_per_ms:" + std::to_string(ops_per_ms) + "/" + name).c_str(),
        BM_ArmCancel<Q>, ops_per_ms);
  }
  for (uint32_t batch : {256u, 1024u}) {
    benchmark::RegisterBenchmark(
        ("BM_ArmExpire/batch:" + std::to_string(batch) + "/" + name).c_str(), BM_ArmExpire<Q>,
        batch);
  }
  benchmark::RegisterBenchmark(("BM_ArmCancelFrozen/" + name).c_str(), BM_ArmCancelFrozen<Q>)
      ->Iterations(1 << 20);
}

}  // namespace
}  // namespace taptcp::timers

int main(int argc, char** argv) {
  using namespace taptcp::timers;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RegisterFor<WheelQueue>();
  RegisterFor<HeapQueue>();
  RegisterFor<MultimapQueue>();
  taptcp::bench::MedianReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  if (release_current) release_current();
  PrintRatios(reporter);
  benchmark::Shutdown();
  return 0;
}
