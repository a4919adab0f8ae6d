#include "fusefs/daemon/heap.hpp"

#include <malloc.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

#include "store/background_loop.hpp"

namespace gcfs::fusefs {

uint64_t resident_bytes() {
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<uint64_t>(resident) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

void limit_heap_arenas() {
  if (std::getenv("MALLOC_ARENA_MAX") == nullptr) mallopt(M_ARENA_MAX, kHeapArenas);
}

HeapFigures heap_figures() {
  const struct mallinfo2 m = mallinfo2();
  return {m.uordblks + m.hblkhd, m.fordblks};
}

struct HeapTrimmer::Counters {
  std::atomic<uint64_t> trims{0};
  std::atomic<uint64_t> released{0};
};

HeapTrimmer::HeapTrimmer(std::chrono::milliseconds interval, uint64_t min_free)
    : min_free_(min_free), counters_(std::make_unique<Counters>()) {
  loop_ =
      std::make_unique<BackgroundLoop>("heap trimmer", interval, [this] { trim_if_worth_it(); });
}

HeapTrimmer::~HeapTrimmer() { stop(); }

void HeapTrimmer::start() { loop_->start(/*at_once=*/false); }

void HeapTrimmer::stop() { loop_->stop(); }

void HeapTrimmer::trim_if_worth_it() {
  if (heap_figures().free < min_free_) return;
  const uint64_t before = resident_bytes();
  malloc_trim(0);
  const uint64_t after = resident_bytes();
  counters_->trims.fetch_add(1, std::memory_order_relaxed);
  if (before > after) counters_->released.fetch_add(before - after, std::memory_order_relaxed);
}

HeapTrimStats HeapTrimmer::stats() const {
  return {counters_->trims.load(std::memory_order_relaxed),
          counters_->released.load(std::memory_order_relaxed)};
}

}  // namespace gcfs::fusefs
