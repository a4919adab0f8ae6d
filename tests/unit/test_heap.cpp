// The heap trimmer gives back memory that threads freed but malloc kept: the
// long-running daemon's RSS must not stay at every arena's high-water mark.
#include <gtest/gtest.h>

#include <memory>
#include <thread>
#include <vector>

#include "fusefs/daemon/heap.hpp"

namespace gcfs::fusefs {
namespace {

constexpr size_t kBlock = 64 << 10;  // below the mmap threshold: from an arena
constexpr size_t kBlocks = 1024;     // 64 MiB freed, every other block kept

// In another thread (its own arena, as a FUSE worker's): allocates and
// touches 2 x 64 MiB in alternating blocks, frees one of each pair, so the
// freed memory is holes malloc cannot give back by shrinking its heap.
std::vector<std::unique_ptr<char[]>> fragment() {
  std::vector<std::unique_ptr<char[]>> kept;
  std::thread t([&kept] {
    std::vector<std::unique_ptr<char[]>> freed;
    for (size_t i = 0; i < kBlocks; ++i) {
      for (auto* v : {&freed, &kept}) {
        v->emplace_back(new char[kBlock]);
        std::fill_n(v->back().get(), kBlock, static_cast<char>(i));
      }
    }
  });
  t.join();
  return kept;
}

TEST(HeapTrimmer, GivesBackFreedHoles) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer's allocator replaces malloc's arenas: nothing to trim";
#endif
  auto kept = fragment();
  const HeapFigures heap = heap_figures();
  EXPECT_GE(heap.free, kBlocks * kBlock / 2);
  EXPECT_GE(heap.in_use, kBlocks * kBlock);
  HeapTrimmer trimmer(std::chrono::hours(1), 16 << 20);
  trimmer.trim_if_worth_it();
  const HeapTrimStats s = trimmer.stats();
  EXPECT_EQ(s.trims, 1u);
  EXPECT_GE(s.released_bytes, kBlocks * kBlock / 2);  // the holes' pages, most of 64 MiB
  EXPECT_EQ(kept[7][100], static_cast<char>(7));      // what is in use stays
}

TEST(HeapTrimmer, LeavesASmallHeapAlone) {
  HeapTrimmer trimmer(std::chrono::hours(1), uint64_t{1} << 40);
  trimmer.trim_if_worth_it();
  EXPECT_EQ(trimmer.stats().trims, 0u);
}

TEST(HeapTrimmer, StartsAndStopsWithoutARound) {
  HeapTrimmer trimmer(std::chrono::hours(1), 0);
  trimmer.start();
  trimmer.stop();
  EXPECT_EQ(trimmer.stats().trims, 0u);  // the first round waits for the interval
}

}  // namespace
}  // namespace gcfs::fusefs
