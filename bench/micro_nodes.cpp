// Micro-benchmark of the daemon's node table (Google Benchmark, no FUSE):
// one inode-pruner sweep over a table past --max-inodes, and the longest a
// concurrent lookup waited for the table lock meanwhile (counter
// max_lookup_wait_us). The sweep holds the lock a slice at a time, so that
// wait stays far below the sweep's own time.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "fusefs/node_table.hpp"

namespace gcfs::fusefs {
namespace {

using Clock = std::chrono::steady_clock;

void BM_PruneSweep(benchmark::State& state) {
  const auto nodes = static_cast<fuse_ino_t>(state.range(0));
  const size_t max_inodes = nodes * 10 / 11;  // 10% over the limit, as the pruner sees it
  double worst_us = 0;
  for (auto _ : state) {
    state.PauseTiming();
    NodeTable table;
    for (fuse_ino_t i = 2; i < 2 + nodes; ++i) table.ref(i, NodeId{1, i});
    std::atomic<bool> stop{false};
    std::atomic<int64_t> worst_ns{0};
    std::thread reader([&] {
      for (fuse_ino_t i = 2; !stop.load(std::memory_order_relaxed); i = i % nodes + 2) {
        const auto t0 = Clock::now();
        benchmark::DoNotOptimize(table.find(i));
        const int64_t ns =
            std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count();
        if (ns > worst_ns.load(std::memory_order_relaxed)) worst_ns.store(ns);
      }
    });
    state.ResumeTiming();
    // As InodePruner::sweep: two passes, the first may only clear the bits.
    size_t want = nodes - max_inodes * 9 / 10;
    for (int pass = 0; pass < 2 && want > 0; ++pass) {
      want -= std::min(want, table.prune_candidates(want).size());
    }
    state.PauseTiming();
    stop = true;
    reader.join();
    worst_us = std::max(worst_us, static_cast<double>(worst_ns.load()) / 1000.0);
    state.ResumeTiming();
  }
  state.counters["max_lookup_wait_us"] = worst_us;
}
BENCHMARK(BM_PruneSweep)->Arg(288'000)->Unit(benchmark::kMillisecond)->Iterations(5);

}  // namespace
}  // namespace gcfs::fusefs

BENCHMARK_MAIN();
