// The global operator new/delete replacements behind heap_arena.h. Link this file into a binary
// only once, and only into a binary that wants its allocations counted.
#include "tests/support/heap_arena.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <new>

// The replacements pair malloc with free by construction. GCC 12 (with the sanitizers' inlining)
// may still flag free() in a replaced operator delete as mismatched with operator new
// (-Wmismatched-new-delete), a known false positive for replacement functions.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace taptcp::testing {
namespace {

constexpr size_t kHeader = 16;

struct Counters {
  std::atomic<int64_t> live_bytes{0}, live_chunk_bytes{0}, live_blocks{0};
  std::atomic<int64_t> peak_bytes{0}, peak_chunk_bytes{0}, allocations{0};
};

// Constant-initialized, so allocations made before main (static constructors) are counted safely.
Counters g_counters[kArenaCount];
thread_local Arena t_current = Arena::kOther;

// The header: the requested size, then the arena (and, for over-aligned blocks, the base address
// just below the pointer handed out, see AllocateAligned).
struct Header {
  size_t size;
  uint8_t arena;
};
static_assert(sizeof(Header) <= kHeader);

void Raise(std::atomic<int64_t>& peak, int64_t v) {
  // One thread allocates into an arena other than kOther, so load-then-store is enough; kOther's
  // peak is a best effort if other threads allocate.
  if (v > peak.load(std::memory_order_relaxed)) peak.store(v, std::memory_order_relaxed);
}

void Charge(uint8_t arena, size_t n, int sign) {
  Counters& c = g_counters[arena < kArenaCount ? arena : 0];
  const int64_t bytes = sign * static_cast<int64_t>(n);
  const int64_t chunk = sign * MallocChunk(n);
  const int64_t live = c.live_bytes.fetch_add(bytes, std::memory_order_relaxed) + bytes;
  const int64_t live_chunk = c.live_chunk_bytes.fetch_add(chunk, std::memory_order_relaxed) + chunk;
  c.live_blocks.fetch_add(sign, std::memory_order_relaxed);
  if (sign > 0) {
    c.allocations.fetch_add(1, std::memory_order_relaxed);
    Raise(c.peak_bytes, live);
    Raise(c.peak_chunk_bytes, live_chunk);
  }
}

void* Allocate(size_t n, bool nothrow) {
  void* base = std::malloc(n + kHeader);
  if (base == nullptr) {
    if (nothrow) return nullptr;
    throw std::bad_alloc();
  }
  Header* h = static_cast<Header*>(base);
  h->size = n;
  h->arena = static_cast<uint8_t>(t_current);
  Charge(h->arena, n, +1);
  return static_cast<char*>(base) + kHeader;
}

void Free(void* p) {
  if (p == nullptr) return;
  Header* h = reinterpret_cast<Header*>(static_cast<char*>(p) - kHeader);
  Charge(h->arena, h->size, -1);
  std::free(h);
}

// Over-aligned: the block starts `align` bytes before the pointer handed out; the header sits in
// the 16 bytes just below the pointer and the block's address in the 8 bytes below that.
void* AllocateAligned(size_t n, std::align_val_t al, bool nothrow) {
  const size_t align = std::max(static_cast<size_t>(al), 2 * kHeader);
  void* base = std::aligned_alloc(align, (n + 2 * align - 1) / align * align);
  if (base == nullptr) {
    if (nothrow) return nullptr;
    throw std::bad_alloc();
  }
  char* p = static_cast<char*>(base) + align;
  Header* h = reinterpret_cast<Header*>(p - kHeader);
  h->size = n;
  h->arena = static_cast<uint8_t>(t_current);
  reinterpret_cast<void**>(p - kHeader)[-1] = base;
  Charge(h->arena, n, +1);
  return p;
}

void FreeAligned(void* p) {
  if (p == nullptr) return;
  char* q = static_cast<char*>(p);
  const Header* h = reinterpret_cast<const Header*>(q - kHeader);
  Charge(h->arena, h->size, -1);
  std::free(reinterpret_cast<void**>(q - kHeader)[-1]);
}

}  // namespace

ArenaUsage Usage(Arena a) {
  const Counters& c = g_counters[static_cast<int>(a)];
  return {c.live_bytes.load(), c.live_chunk_bytes.load(), c.live_blocks.load(),
          c.peak_bytes.load(), c.peak_chunk_bytes.load(), c.allocations.load()};
}

void ResetPeak(Arena a) {
  Counters& c = g_counters[static_cast<int>(a)];
  c.peak_bytes.store(c.live_bytes.load());
  c.peak_chunk_bytes.store(c.live_chunk_bytes.load());
}

ArenaScope::ArenaScope(Arena a) : saved_(t_current) { t_current = a; }
ArenaScope::~ArenaScope() { t_current = saved_; }

}  // namespace taptcp::testing

using taptcp::testing::Allocate;
using taptcp::testing::AllocateAligned;
using taptcp::testing::Free;
using taptcp::testing::FreeAligned;

void* operator new(size_t n) { return Allocate(n, false); }
void* operator new[](size_t n) { return Allocate(n, false); }
void* operator new(size_t n, const std::nothrow_t&) noexcept { return Allocate(n, true); }
void* operator new[](size_t n, const std::nothrow_t&) noexcept { return Allocate(n, true); }
void operator delete(void* p) noexcept { Free(p); }
void operator delete[](void* p) noexcept { Free(p); }
void operator delete(void* p, size_t) noexcept { Free(p); }
void operator delete[](void* p, size_t) noexcept { Free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { Free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { Free(p); }
void* operator new(size_t n, std::align_val_t a) { return AllocateAligned(n, a, false); }
void* operator new[](size_t n, std::align_val_t a) { return AllocateAligned(n, a, false); }
void* operator new(size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return AllocateAligned(n, a, true);
}
void* operator new[](size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return AllocateAligned(n, a, true);
}
void operator delete(void* p, std::align_val_t) noexcept { FreeAligned(p); }
void operator delete[](void* p, std::align_val_t) noexcept { FreeAligned(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { FreeAligned(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { FreeAligned(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { FreeAligned(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  FreeAligned(p);
}
