// The daemon's malloc heap: figures for the metrics, and a trimmer that gives
// freed memory back to the system.
//
// Why a trimmer: glibc keeps memory freed by one thread in that thread's arena
// and returns it to the system only from the top of the main heap. A daemon
// whose FUSE, RocksDB and control threads take turns with large short-lived
// buffers (file contents being written, compaction and export reads) keeps
// the high-water mark of every arena resident for months. malloc_trim(0)
// releases the free pages of every arena (madvise), costing a few ms.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

namespace gcfs {
class BackgroundLoop;
}

namespace gcfs::fusefs {

struct HeapFigures {
  uint64_t in_use = 0;  // allocated and not freed (mallinfo2 uordblks + hblkhd)
  uint64_t free = 0;    // freed but kept by malloc (mallinfo2 fordblks)
};

HeapFigures heap_figures();

// The daemon's resident memory (/proc/self/statm), 0 if unreadable.
uint64_t resident_bytes();

// At most kHeapArenas malloc arenas unless MALLOC_ARENA_MAX says otherwise.
// glibc gives threads that meet in an arena new ones, up to 8 per core, and
// each keeps its high-water mark; the daemon's ~30 threads take their small
// allocations from per-thread caches anyway. In the combined-load run two
// arenas kept 25-30 MiB less resident than glibc's default (docs/design.md).
// Call before any thread starts.
constexpr int kHeapArenas = 2;
void limit_heap_arenas();

struct HeapTrimStats {
  uint64_t trims = 0;           // malloc_trim calls made
  uint64_t released_bytes = 0;  // resident memory they gave back (statm before - after)
};

// Every `interval`, trims when malloc holds at least `min_free` freed bytes.
class HeapTrimmer {
 public:
  HeapTrimmer(std::chrono::milliseconds interval, uint64_t min_free);
  ~HeapTrimmer();
  void start();
  void stop();
  // A trim now when it would pay (tests; the loop's round).
  void trim_if_worth_it();
  HeapTrimStats stats() const;

 private:
  const uint64_t min_free_;
  std::unique_ptr<BackgroundLoop> loop_;
  struct Counters;
  std::unique_ptr<Counters> counters_;
};

}  // namespace gcfs::fusefs
