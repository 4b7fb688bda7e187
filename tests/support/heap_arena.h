// Heap accounting by arena, for tests and benchmarks that must say how much memory one stack uses
// while other stacks (a simulated client fleet, the simulator's frame queue) share the process.
//
// heap_arena.cc replaces the global operator new/delete of the binary it is linked into. Every
// block carries a 16-byte header with its requested size and the arena that was current when it
// was allocated (ArenaScope), so a free is charged to the arena that made the block, whoever frees
// it. Only C++ allocations are seen (new, std::allocator, absl containers): that is everything
// stack/ allocates. Blocks made before the binary's first ArenaScope count under kOther.
//
// Two sizes are kept per arena: the bytes operator new was asked for, and the bytes glibc's malloc
// would have used for those requests without our header (a chunk is the request plus 8 bytes,
// rounded up to 16, at least 32: 64-bit glibc's SIZE_SZ, MALLOC_ALIGNMENT and MINSIZE). The second
// is what the process's resident heap grows by.
#pragma once

#include <cstddef>
#include <cstdint>

namespace taptcp::testing {

enum class Arena : uint8_t { kOther = 0, kServer = 1 };
inline constexpr int kArenaCount = 2;

struct ArenaUsage {
  int64_t live_bytes = 0;        // requested, allocated minus freed
  int64_t live_chunk_bytes = 0;  // the same as glibc malloc chunks
  int64_t live_blocks = 0;
  int64_t peak_bytes = 0;        // highest live_bytes since the last ResetPeak
  int64_t peak_chunk_bytes = 0;  // highest live_chunk_bytes since the last ResetPeak
  int64_t allocations = 0;       // operator new calls, ever
};

// A snapshot of one arena's counters.
ArenaUsage Usage(Arena a);
// Peaks restart from the current live values.
void ResetPeak(Arena a);
// The glibc chunk a request of `n` bytes gets (64-bit).
constexpr int64_t MallocChunk(size_t n) {
  const size_t c = (n + 8 + 15) & ~size_t{15};
  return static_cast<int64_t>(c < 32 ? 32 : c);
}

// Allocations on this thread are charged to `a` while the scope lives.
class ArenaScope {
 public:
  explicit ArenaScope(Arena a);
  ~ArenaScope();
  ArenaScope(const ArenaScope&) = delete;
  ArenaScope& operator=(const ArenaScope&) = delete;

 private:
  Arena saved_;
};

}  // namespace taptcp::testing
